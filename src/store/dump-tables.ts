/**
 * What a dump holds, table by table: every table of the schema with its key, its columns and the
 * kind of value each holds (typed against the schema, so a table or column added there without
 * being listed here does not compile), and the migration that brought it.
 */

import type { Database } from './schema.ts';

/**
 * How a column's values look in a dump. `int` is a 32-bit integer (PostgreSQL's `integer`), `bigint`
 * a 64-bit one within JavaScript's safe range (both dialects read them as numbers), `real` a
 * double. A `?` allows null.
 */
export type ColumnKind = 'text' | 'text?' | 'int' | 'bigint' | 'real?';

/** A column: its kind, and for one added to the table later, the migration that added it. */
export type ColumnSpec = ColumnKind | { readonly kind: ColumnKind; readonly since: string };

export interface TableSpec<Row> {
  /** The migration that creates the table: a database (or dump) before it has no such table. */
  readonly migration: string;
  /**
   * Every column, in the order of the table's definition (which is the order in the dump). A
   * database (or dump) from before a column's migration lacks it; an import leaves it to its default.
   */
  readonly columns: { readonly [C in keyof Row]-?: ColumnSpec };
  /** The primary key: rows are exported in its order and paged by it. */
  readonly key: readonly (keyof Row & string)[];
}

/**
 * Every table, in dump (and insert) order. The schema declares no foreign keys, but tables that
 * others point at still come first (agents before grants and actions, actions before approvals,
 * approvals before votes), so constraints added later are met by this order too. Typed against
 * `Database`: a table or column added to the schema without being added here does not compile
 * (and transfer.test.ts checks this list against the migrated schema).
 */
export const TABLES: { readonly [T in keyof Database]: TableSpec<Database[T]> } = {
  meta: { migration: '0001_initial', key: ['key'], columns: { key: 'text', value: 'bigint' } },
  agents: {
    migration: '0001_initial',
    key: ['id'],
    columns: {
      id: 'text',
      owner: 'text',
      status: 'text',
      description: 'text?',
      created_at: 'text',
      updated_at: 'text',
    },
  },
  credentials: {
    migration: '0001_initial',
    key: ['hash'],
    columns: {
      hash: 'text',
      principal_kind: 'text',
      principal_id: 'text',
      created_at: 'text',
      revoked_at: 'text?',
    },
  },
  grants: {
    migration: '0001_initial',
    key: ['agent_id', 'type_pattern', 'environment'],
    columns: {
      agent_id: 'text',
      type_pattern: 'text',
      environment: 'text',
      level: 'int',
      granted_by: 'text',
      reason: 'text',
      granted_at: 'text',
    },
  },
  actions: {
    migration: '0001_initial',
    key: ['id'],
    columns: {
      id: 'text',
      agent_id: 'text',
      type: 'text',
      environment: 'text',
      status: 'text',
      request_hash: 'text',
      idempotency_key: 'text?',
      incident: 'text?',
      effect: 'text',
      trust_level: 'int',
      policy_version: 'text',
      created_at: 'text',
      updated_at: 'text',
    },
  },
  audit_events: {
    migration: '0001_initial',
    key: ['seq'],
    columns: {
      seq: 'bigint',
      at: 'text',
      kind: 'text',
      actor_kind: 'text',
      actor_id: 'text',
      subject: 'text?',
      data: 'text',
      prev_hash: 'text',
      hash: 'text',
    },
  },
  approvals: {
    migration: '0002_approvals',
    key: ['id'],
    columns: {
      id: 'text',
      action_id: 'text',
      agent_id: 'text',
      status: 'text',
      step: 'int',
      deadline: 'text',
      route: 'text',
      state: 'text',
      version: 'int',
      created_at: 'text',
      updated_at: 'text',
      resolved_at: 'text?',
    },
  },
  approval_votes: {
    migration: '0002_approvals',
    key: ['approval_id', 'step', 'person_id'],
    columns: {
      approval_id: 'text',
      person_id: 'text',
      step: 'int',
      verdict: 'text',
      comment: 'text?',
      override: 'int',
      request_hash: 'text',
      at: 'text',
    },
  },
  outbox: {
    migration: '0002_approvals',
    key: ['id'],
    columns: {
      id: 'text',
      subject: 'text',
      webhook: 'text',
      event: 'text',
      payload: 'text',
      status: 'text',
      attempts: 'int',
      next_attempt_at: 'text',
      last_error: 'text?',
      created_at: 'text',
      updated_at: 'text',
    },
  },
  replicas: {
    migration: '0006_replicas',
    key: ['id'],
    columns: { id: 'text', started_at: 'text', heartbeat_at: 'text' },
  },
  executions: {
    migration: '0003_execution',
    key: ['action_id'],
    columns: {
      action_id: 'text',
      mode: 'text',
      phase: 'text',
      deadline: 'text?',
      attempts: 'int',
      state: 'text',
      version: 'int',
      created_at: 'text',
      updated_at: 'text',
      owner: { kind: 'text?', since: '0006_replicas' },
    },
  },
  limit_usage: {
    migration: '0003_execution',
    key: ['key', 'action_id'],
    columns: { key: 'text', action_id: 'text', at: 'text' },
  },
  freezes: {
    migration: '0003_execution',
    key: ['scope'],
    columns: { scope: 'text', reason: 'text', frozen_by: 'text', frozen_at: 'text' },
  },
  settings: { migration: '0003_execution', key: ['key'], columns: { key: 'text', value: 'text' } },
  evidence: {
    migration: '0004_trust',
    key: ['id'],
    columns: {
      id: 'text',
      agent_id: 'text',
      action_id: 'text',
      type: 'text',
      environment: 'text',
      kind: 'text',
      level: 'int',
      confidence: 'real?',
      by: 'text',
      detail: 'text?',
      at: 'text',
    },
  },
  shadow_decisions: {
    migration: '0005_shadow',
    key: ['action_id'],
    columns: {
      action_id: 'text',
      agent_id: 'text',
      type: 'text',
      environment: 'text',
      live_bundle: 'text',
      shadow_bundle: 'text',
      live_effect: 'text',
      shadow_effect: 'text',
      change: 'text',
      reasons: 'text',
      rules: 'text',
      created_at: 'text',
    },
  },
  shadow_decision_rules: {
    migration: '0005_shadow',
    key: ['action_id', 'rule', 'difference'],
    columns: {
      action_id: 'text',
      rule: 'text',
      difference: 'text',
      shadow_bundle: 'text',
      created_at: 'text',
    },
  },
};

export type TableName = keyof Database;

/** Every table, in dump order. */
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

const columnSpecs = (table: TableName) => Object.entries(TABLES[table].columns) as [string, ColumnSpec][];
const kindOf = (spec: ColumnSpec): ColumnKind => (typeof spec === 'string' ? spec : spec.kind);

/** A table's columns, in dump order: all of them, or those a schema with `migrations` applied has. */
export function tableColumns(table: TableName, migrations?: readonly string[]): string[] {
  const applied = migrations === undefined ? null : new Set(migrations);
  return columnSpecs(table)
    .filter(([, spec]) => applied === null || typeof spec === 'string' || applied.has(spec.since))
    .map(([name]) => name);
}

/** The kind of each column of a table. */
export function columnKinds(table: TableName): Record<string, ColumnKind> {
  return Object.fromEntries(columnSpecs(table).map(([name, spec]) => [name, kindOf(spec)]));
}

/** A table's primary key columns. */
export function tableKey(table: TableName): readonly string[] {
  return TABLES[table].key;
}

/**
 * Rows the migrations themselves insert (in a fresh database they do not make it "not empty"). An
 * import replaces them with the dump's rows of the same table.
 */
export const MIGRATION_ROWS: { readonly [T in TableName]?: readonly Record<string, unknown>[] } = {
  meta: [{ key: 'access_version', value: 0 }],
};

/** The tables a database (or a dump) with these migrations applied has, in dump order. */
export function tablesOf(migrations: readonly string[]): TableName[] {
  const applied = new Set(migrations);
  return TABLE_NAMES.filter((t) => applied.has(TABLES[t].migration));
}
