/** The queries every proposal runs, built and compiled once per store (see PreparedQuery). */

import type { Kysely, Selectable } from 'kysely';
import { PreparedQuery, slot } from './prepared-query.ts';
import type { ActionsTable, AgentsTable, CredentialsTable, Database, GrantsTable } from './schema.ts';

/** Rows per multi-row insert statement. */
export const INSERT_BATCH = 100;

const AUDIT_COLUMNS = [
  'seq',
  'at',
  'kind',
  'actor_kind',
  'actor_id',
  'subject',
  'data',
  'prev_hash',
  'hash',
] as const;
const ACTION_COLUMNS = [
  'id',
  'agent_id',
  'type',
  'environment',
  'status',
  'request_hash',
  'idempotency_key',
  'incident',
  'effect',
  'trust_level',
  'policy_version',
  'created_at',
  'updated_at',
] as const;

/** Columns as slots 0..n-1, for building a prepared insert. */
function slots<C extends string>(columns: readonly C[], offset = 0): Record<C, string> {
  return Object.fromEntries(columns.map((c, i) => [c, slot(offset + i)])) as Record<C, string>;
}

/** The queries every proposal runs, compiled once per store. */
export class HotQueries {
  readonly accessVersion: PreparedQuery<{ value: number }>;
  readonly credential: PreparedQuery<Selectable<CredentialsTable>>;
  readonly agent: PreparedQuery<Selectable<AgentsTable>>;
  readonly grants: PreparedQuery<Selectable<GrantsTable>>;
  readonly actionByKey: PreparedQuery<Selectable<ActionsTable>>;
  readonly auditHead: PreparedQuery<{ seq: number; hash: string }>;
  readonly #db: Kysely<Database>;
  readonly #insertAudit = new Map<number, PreparedQuery<unknown>>();
  readonly #insertActions = new Map<number, PreparedQuery<{ id: string }>>();

  constructor(db: Kysely<Database>) {
    this.#db = db;
    this.accessVersion = new PreparedQuery(
      db.selectFrom('meta').select('value').where('key', '=', 'access_version'),
    );
    this.credential = new PreparedQuery(db.selectFrom('credentials').selectAll().where('hash', '=', slot(0)));
    this.agent = new PreparedQuery(db.selectFrom('agents').selectAll().where('id', '=', slot(0)));
    this.grants = new PreparedQuery(
      db
        .selectFrom('grants')
        .selectAll()
        .where('agent_id', '=', slot(0))
        .orderBy('type_pattern')
        .orderBy('environment'),
    );
    this.actionByKey = new PreparedQuery(
      db
        .selectFrom('actions')
        .selectAll()
        .where('agent_id', '=', slot(0))
        .where('idempotency_key', '=', slot(1)),
    );
    this.auditHead = new PreparedQuery(
      db.selectFrom('audit_events').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1),
    );
  }

  /** A multi-row action insert for `rows` rows that skips used idempotency keys and says which went in. */
  insertActions(rows: number): PreparedQuery<{ id: string }> {
    let query = this.#insertActions.get(rows);
    if (query === undefined) {
      const values = Array.from({ length: rows }, (_, r) => slots(ACTION_COLUMNS, r * ACTION_COLUMNS.length));
      query = new PreparedQuery(
        this.#db
          .insertInto('actions')
          .values(values as never)
          .onConflict((oc) =>
            oc.columns(['agent_id', 'idempotency_key']).where('idempotency_key', 'is not', null).doNothing(),
          )
          .returning('id'),
      );
      this.#insertActions.set(rows, query);
    }
    return query;
  }

  /** A multi-row audit insert for `rows` rows (compiled once per row count). */
  insertAudit(rows: number): PreparedQuery<unknown> {
    let query = this.#insertAudit.get(rows);
    if (query === undefined) {
      const values = Array.from({ length: rows }, (_, r) => slots(AUDIT_COLUMNS, r * AUDIT_COLUMNS.length));
      query = new PreparedQuery(this.#db.insertInto('audit_events').values(values as never));
      this.#insertAudit.set(rows, query);
    }
    return query;
  }
}
