/** The evidence ledger's queries: outcomes and verdicts per action, and the counts demotion reads. */

import type { Kysely, Selectable } from 'kysely';
import type { TrustLevel } from '../domain/levels.ts';
import type { EvidenceKind, EvidenceRecord } from '../trust/evidence.ts';
import type { EvidenceFilter } from './records.ts';
import type { Database, EvidenceTable } from './schema.ts';

type Db = Kysely<Database>;

function toEvidence(row: Selectable<EvidenceTable>): EvidenceRecord {
  return {
    id: row.id,
    agentId: row.agent_id,
    actionId: row.action_id,
    type: row.type,
    environment: row.environment,
    kind: row.kind as EvidenceKind,
    level: Number(row.level) as TrustLevel,
    confidence: row.confidence === null ? null : Number(row.confidence),
    by: row.by,
    detail: row.detail,
    at: row.at,
  };
}

function selectEvidence(db: Db, filter: Omit<EvidenceFilter, 'limit'>) {
  let query = db.selectFrom('evidence');
  if (filter.agentId !== undefined) query = query.where('agent_id', '=', filter.agentId);
  if (filter.actionId !== undefined) query = query.where('action_id', '=', filter.actionId);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('at', '<=', filter.until);
  if (filter.kinds !== undefined) query = query.where('kind', 'in', filter.kinds);
  return query;
}

/** Oldest first; the newest `filter.limit` when there are more. */
export async function listEvidence(db: Db, filter: EvidenceFilter): Promise<EvidenceRecord[]> {
  if (filter.kinds?.length === 0) return [];
  const query = selectEvidence(db, filter).selectAll();
  // The newest `limit` rows (a window that overflows loses its oldest evidence), oldest first.
  const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  return rows.reverse().map(toEvidence);
}

/** How many records match, without reading them. */
export async function countEvidence(db: Db, filter: Omit<EvidenceFilter, 'limit'>): Promise<number> {
  if (filter.kinds?.length === 0) return 0;
  const row = await selectEvidence(db, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Insert evidence, skipping any kind an action already has; returns what was inserted. */
export async function insertEvidence(db: Db, records: readonly EvidenceRecord[]): Promise<EvidenceRecord[]> {
  const inserted: EvidenceRecord[] = [];
  for (const e of records) {
    const result = await db
      .insertInto('evidence')
      .values({
        id: e.id,
        agent_id: e.agentId,
        action_id: e.actionId,
        type: e.type,
        environment: e.environment,
        kind: e.kind,
        level: e.level,
        confidence: e.confidence,
        by: e.by,
        detail: e.detail,
        at: e.at,
      })
      .onConflict((oc) => oc.columns(['action_id', 'kind']).doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) === 1) inserted.push(e);
  }
  return inserted;
}

/** Proposals of an agent denied at their decision (by policy or limits) after `since`. */
export async function countDenied(db: Db, agentId: string, since: string): Promise<number> {
  const row = await db
    .selectFrom('actions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('agent_id', '=', agentId)
    .where('created_at', '>', since)
    .where('effect', '=', 'deny')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
