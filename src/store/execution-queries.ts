/** Executions, limit usage, freezes and settings: the queries behind the store's execution methods. */

import type { Kysely, Selectable } from 'kysely';
import type { JsonObject } from '../domain/json.ts';
import type { ExecutionPhase, ExecutionRecord, FreezeRecord, LimitUsage, ReplicaRecord } from './records.ts';
import type { Database, ExecutionsTable } from './schema.ts';

/** Statuses in which a cleared change is still in flight (counted by `inFlight` limits). */
export const IN_FLIGHT_STATUSES = ['approved', 'executing', 'verifying'] as const;

type Db = Kysely<Database>;

function toExecution(row: Selectable<ExecutionsTable>): ExecutionRecord {
  return {
    actionId: row.action_id,
    mode: row.mode as ExecutionRecord['mode'],
    phase: row.phase as ExecutionPhase,
    deadline: row.deadline,
    attempts: Number(row.attempts),
    state: JSON.parse(row.state) as JsonObject,
    version: Number(row.version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    owner: row.owner,
  };
}

function executionRow(e: ExecutionRecord): Selectable<ExecutionsTable> {
  return {
    action_id: e.actionId,
    mode: e.mode,
    phase: e.phase,
    deadline: e.deadline,
    attempts: e.attempts,
    state: JSON.stringify(e.state),
    version: e.version,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
    owner: e.owner,
  };
}

export async function getExecution(db: Db, actionId: string): Promise<ExecutionRecord | null> {
  const row = await db
    .selectFrom('executions')
    .selectAll()
    .where('action_id', '=', actionId)
    .executeTakeFirst();
  return row === undefined ? null : toExecution(row);
}

export async function listExecutions(
  db: Db,
  filter: { readonly phases?: readonly ExecutionPhase[]; readonly actionIds?: readonly string[] },
  limit: number,
): Promise<ExecutionRecord[]> {
  let query = db.selectFrom('executions').selectAll();
  if (filter.phases !== undefined) {
    if (filter.phases.length === 0) return [];
    query = query.where('phase', 'in', filter.phases);
  }
  if (filter.actionIds !== undefined) {
    if (filter.actionIds.length === 0) return [];
    query = query.where('action_id', 'in', filter.actionIds);
  }
  const rows = await query.orderBy('created_at').orderBy('action_id').limit(limit).execute();
  return rows.map(toExecution);
}

/** Action ids in `phase` whose deadline is at or before `now`, earliest first. */
export async function dueExecutions(
  db: Db,
  phase: ExecutionPhase,
  now: string,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('executions')
    .select('action_id')
    .where('phase', '=', phase)
    .where('deadline', '<=', now)
    .orderBy('deadline')
    .limit(limit)
    .execute();
  return rows.map((r) => r.action_id);
}

/** Insert the claim; false when the action was claimed already (it must not run again). */
export async function insertExecution(db: Db, execution: ExecutionRecord): Promise<boolean> {
  const result = await db
    .insertInto('executions')
    .values(executionRow(execution))
    .onConflict((oc) => oc.column('action_id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** Store `next` only if the row is still at `expectedVersion`. */
export async function saveExecution(
  db: Db,
  next: ExecutionRecord,
  expectedVersion: number,
): Promise<boolean> {
  const row = executionRow(next);
  const result = await db
    .updateTable('executions')
    .set({
      phase: row.phase,
      deadline: row.deadline,
      attempts: row.attempts,
      state: row.state,
      version: row.version,
      updated_at: row.updated_at,
      owner: row.owner,
    })
    .where('action_id', '=', next.actionId)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function listReplicas(db: Db): Promise<ReplicaRecord[]> {
  const rows = await db.selectFrom('replicas').selectAll().orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, startedAt: r.started_at, heartbeatAt: r.heartbeat_at }));
}

/** Record that `replica` is alive at `at` (registering it on its first beat). */
export async function heartbeat(
  db: Db,
  replica: Omit<ReplicaRecord, 'heartbeatAt'>,
  at: string,
): Promise<void> {
  await db
    .insertInto('replicas')
    .values({ id: replica.id, started_at: replica.startedAt, heartbeat_at: at })
    .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: at }))
    .execute();
}

export async function removeReplica(db: Db, id: string): Promise<void> {
  await db.deleteFrom('replicas').where('id', '=', id).execute();
}

export async function countUsage(db: Db, key: string, since: string): Promise<number> {
  const row = await db
    .selectFrom('limit_usage')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('key', '=', key)
    .where('at', '>', since)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Changes counted against `key` whose action is still in flight. */
export async function countInFlight(db: Db, key: string): Promise<number> {
  const row = await db
    .selectFrom('limit_usage')
    .innerJoin('actions', 'actions.id', 'limit_usage.action_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('limit_usage.key', '=', key)
    .where('actions.status', 'in', IN_FLIGHT_STATUSES)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function recordUsage(db: Db, usage: readonly LimitUsage[]): Promise<void> {
  if (usage.length === 0) return;
  await db
    .insertInto('limit_usage')
    .values(usage.map((u) => ({ key: u.key, action_id: u.actionId, at: u.at })))
    .onConflict((oc) => oc.columns(['key', 'action_id']).doNothing())
    .execute();
}

export async function listFreezes(db: Db): Promise<FreezeRecord[]> {
  const rows = await db.selectFrom('freezes').selectAll().orderBy('scope').execute();
  return rows.map((r) => ({
    scope: r.scope,
    reason: r.reason,
    frozenBy: r.frozen_by,
    frozenAt: r.frozen_at,
  }));
}

export async function putFreeze(db: Db, freeze: FreezeRecord): Promise<void> {
  const values = {
    scope: freeze.scope,
    reason: freeze.reason,
    frozen_by: freeze.frozenBy,
    frozen_at: freeze.frozenAt,
  };
  await db
    .insertInto('freezes')
    .values(values)
    .onConflict((oc) =>
      oc.column('scope').doUpdateSet({
        reason: values.reason,
        frozen_by: values.frozen_by,
        frozen_at: values.frozen_at,
      }),
    )
    .execute();
}

export async function deleteFreeze(db: Db, scope: string): Promise<boolean> {
  const result = await db.deleteFrom('freezes').where('scope', '=', scope).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function getSetting(db: Db, key: string): Promise<string | null> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value ?? null;
}

/** Keep the first value written for `key` (every replica then uses the same). */
export async function putSettingIfAbsent(db: Db, key: string, value: string): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
}

/** Write `value` for `key`, replacing the value before it (the last writer wins). */
export async function putSetting(db: Db, key: string, value: string): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

/** Actions cleared for execution that nobody has claimed yet (approved elsewhere, or a crash came between). */
export async function unclaimedActions(db: Db, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('actions')
    .leftJoin('executions', 'executions.action_id', 'actions.id')
    .select('actions.id')
    .where('actions.status', '=', 'approved')
    .where('executions.action_id', 'is', null)
    .orderBy('actions.created_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}
