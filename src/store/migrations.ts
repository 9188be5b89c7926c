/** Versioned schema migrations, written once with Kysely's schema builder for every dialect. */

import { type Expression, type Kysely, sql } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

export type DialectKind = 'sqlite' | 'postgres';

/**
 * The text type. On PostgreSQL it compares bytewise (collation "C"), as SQLite's does, so sorting
 * and paging give the same order on both whatever the database's locale. SQLite's stays `text`:
 * a database created before keeps the schema it has.
 */
function textType(kind: DialectKind): 'text' | Expression<unknown> {
  return kind === 'postgres' ? sql`text collate "C"` : 'text';
}

const initial = (kind: DialectKind): Migration => ({
  async up(db: Kysely<unknown>) {
    const text = textType(kind);
    await db.schema
      .createTable('agents')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('owner', text, (c) => c.notNull())
      .addColumn('status', text, (c) => c.notNull())
      .addColumn('description', text)
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('credentials')
      .addColumn('hash', text, (c) => c.primaryKey())
      .addColumn('principal_kind', text, (c) => c.notNull())
      .addColumn('principal_id', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('revoked_at', text)
      .execute();
    await db.schema
      .createIndex('credentials_principal')
      .on('credentials')
      .columns(['principal_kind', 'principal_id'])
      .execute();

    await db.schema
      .createTable('grants')
      .addColumn('agent_id', text, (c) => c.notNull())
      .addColumn('type_pattern', text, (c) => c.notNull())
      .addColumn('environment', text, (c) => c.notNull())
      .addColumn('level', 'integer', (c) => c.notNull())
      .addColumn('granted_by', text, (c) => c.notNull())
      .addColumn('reason', text, (c) => c.notNull())
      .addColumn('granted_at', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('grants_pk', ['agent_id', 'type_pattern', 'environment'])
      .execute();

    // An index over the audit chain: the request, facts and decision live in the action's
    // chained events (action.proposed, action.decided), never twice.
    await db.schema
      .createTable('actions')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('agent_id', text, (c) => c.notNull())
      .addColumn('type', text, (c) => c.notNull())
      .addColumn('environment', text, (c) => c.notNull())
      .addColumn('status', text, (c) => c.notNull())
      .addColumn('request_hash', text, (c) => c.notNull())
      .addColumn('idempotency_key', text)
      .addColumn('incident', text)
      .addColumn('effect', text, (c) => c.notNull())
      .addColumn('trust_level', 'integer', (c) => c.notNull())
      .addColumn('policy_version', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .execute();
    // Partial: most proposals carry no idempotency key or incident, and need no entry.
    await db.schema
      .createIndex('actions_idempotency')
      .unique()
      .on('actions')
      .columns(['agent_id', 'idempotency_key'])
      .where('idempotency_key', 'is not', null)
      .execute();
    await db.schema.createIndex('actions_created').on('actions').columns(['created_at', 'id']).execute();
    await db.schema.createIndex('actions_agent').on('actions').columns(['agent_id', 'created_at']).execute();
    await db.schema.createIndex('actions_status').on('actions').columns(['status', 'created_at']).execute();
    await db.schema
      .createIndex('actions_incident')
      .on('actions')
      .columns(['incident', 'created_at'])
      .where('incident', 'is not', null)
      .execute();

    await db.schema
      .createTable('audit_events')
      // On SQLite, INTEGER PRIMARY KEY is the rowid itself: no second index to maintain.
      .addColumn('seq', kind === 'sqlite' ? 'integer' : 'bigint', (c) => c.primaryKey())
      .addColumn('at', text, (c) => c.notNull())
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('actor_kind', text, (c) => c.notNull())
      .addColumn('actor_id', text, (c) => c.notNull())
      .addColumn('subject', text)
      .addColumn('data', text, (c) => c.notNull())
      .addColumn('prev_hash', text, (c) => c.notNull())
      .addColumn('hash', text, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('audit_events_subject')
      .on('audit_events')
      .columns(['subject', 'seq'])
      .execute();

    // Counters that other replicas and processes read to know when their caches went stale.
    await db.schema
      .createTable('meta')
      .addColumn('key', text, (c) => c.primaryKey())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .execute();
    await (db as Kysely<{ meta: { key: string; value: number } }>)
      .insertInto('meta')
      .values({ key: 'access_version', value: 0 })
      .execute();
  },
});

const approvals = (kind: DialectKind): Migration => ({
  async up(db: Kysely<unknown>) {
    const text = textType(kind);
    await db.schema
      .createTable('approvals')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('action_id', text, (c) => c.notNull().unique())
      .addColumn('agent_id', text, (c) => c.notNull())
      .addColumn('status', text, (c) => c.notNull())
      .addColumn('step', 'integer', (c) => c.notNull())
      .addColumn('deadline', text, (c) => c.notNull())
      .addColumn('route', text, (c) => c.notNull())
      .addColumn('state', text, (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .addColumn('resolved_at', text)
      .execute();
    // The timers' question, "what is due?", reads only pending approvals.
    await db.schema
      .createIndex('approvals_due')
      .on('approvals')
      .columns(['deadline', 'id'])
      .where(sql.ref('status'), '=', 'pending')
      .execute();
    await db.schema
      .createIndex('approvals_status')
      .on('approvals')
      .columns(['status', 'created_at'])
      .execute();

    await db.schema
      .createTable('approval_votes')
      .addColumn('approval_id', text, (c) => c.notNull())
      .addColumn('person_id', text, (c) => c.notNull())
      .addColumn('step', 'integer', (c) => c.notNull())
      .addColumn('verdict', text, (c) => c.notNull())
      .addColumn('comment', text)
      .addColumn('override', 'integer', (c) => c.notNull())
      .addColumn('request_hash', text, (c) => c.notNull())
      .addColumn('at', text, (c) => c.notNull())
      // A person counts once per step.
      .addPrimaryKeyConstraint('approval_votes_pk', ['approval_id', 'step', 'person_id'])
      .execute();

    // Notifications to send, written in the same transaction as the change they announce.
    await db.schema
      .createTable('outbox')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('subject', text, (c) => c.notNull())
      .addColumn('webhook', text, (c) => c.notNull())
      .addColumn('event', text, (c) => c.notNull())
      .addColumn('payload', text, (c) => c.notNull())
      .addColumn('status', text, (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', text, (c) => c.notNull())
      .addColumn('last_error', text)
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('outbox_due')
      .on('outbox')
      .columns(['next_attempt_at', 'id'])
      .where(sql.ref('status'), '=', 'pending')
      .execute();
  },
});

const execution = (kind: DialectKind): Migration => ({
  async up(db: Kysely<unknown>) {
    const text = textType(kind);
    // One row per action that was cleared: inserting it is the claim, so an action runs at most once.
    await db.schema
      .createTable('executions')
      .addColumn('action_id', text, (c) => c.primaryKey())
      .addColumn('mode', text, (c) => c.notNull())
      .addColumn('phase', text, (c) => c.notNull())
      .addColumn('deadline', text)
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('state', text, (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('executions_open')
      .on('executions')
      .columns(['phase', 'deadline'])
      .where(sql.ref('phase'), '!=', 'done')
      .execute();

    // Each cleared action leaves one row per limit counter it counts against.
    await db.schema
      .createTable('limit_usage')
      .addColumn('key', text, (c) => c.notNull())
      .addColumn('action_id', text, (c) => c.notNull())
      .addColumn('at', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('limit_usage_pk', ['key', 'action_id'])
      .execute();
    await db.schema.createIndex('limit_usage_window').on('limit_usage').columns(['key', 'at']).execute();

    // The kill switch: '*' halts every agent, an agent id halts one.
    await db.schema
      .createTable('freezes')
      .addColumn('scope', text, (c) => c.primaryKey())
      .addColumn('reason', text, (c) => c.notNull())
      .addColumn('frozen_by', text, (c) => c.notNull())
      .addColumn('frozen_at', text, (c) => c.notNull())
      .execute();

    // Server-side secrets every replica shares, e.g. the key that signs permits.
    await db.schema
      .createTable('settings')
      .addColumn('key', text, (c) => c.primaryKey())
      .addColumn('value', text, (c) => c.notNull())
      .execute();
  },
});

const trust = (kind: DialectKind): Migration => ({
  async up(db: Kysely<unknown>) {
    const text = textType(kind);
    // The evidence ledger: one row per kind of evidence per action (recording twice keeps the first).
    await db.schema
      .createTable('evidence')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('agent_id', text, (c) => c.notNull())
      .addColumn('action_id', text, (c) => c.notNull())
      .addColumn('type', text, (c) => c.notNull())
      .addColumn('environment', text, (c) => c.notNull())
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('level', 'integer', (c) => c.notNull())
      .addColumn('confidence', 'double precision')
      .addColumn('by', text, (c) => c.notNull())
      .addColumn('detail', text)
      .addColumn('at', text, (c) => c.notNull())
      .addUniqueConstraint('evidence_action_kind', ['action_id', 'kind'])
      .execute();
    await db.schema.createIndex('evidence_agent').on('evidence').columns(['agent_id', 'at']).execute();
  },
});

/**
 * Several server processes on one database: each records a heartbeat, and each execution the
 * replica running it, so that a replica that dies leaves its executions to the others (and a
 * replica that starts leaves the living ones' alone).
 */
const replicas = (kind: DialectKind): Migration => ({
  async up(db: Kysely<unknown>) {
    const text = textType(kind);
    await db.schema.alterTable('executions').addColumn('owner', text).execute();
    await db.schema
      .createTable('replicas')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('started_at', text, (c) => c.notNull())
      .addColumn('heartbeat_at', text, (c) => c.notNull())
      .execute();
  },
});

const shadow = (kind: DialectKind): Migration => ({
  async up(db: Kysely<unknown>) {
    const text = textType(kind);
    // Decisions of a shadow policy bundle that disagree with the live one (agreements are only
    // counted, in metrics): one row per action, written in the same commit as the action.
    await db.schema
      .createTable('shadow_decisions')
      .addColumn('action_id', text, (c) => c.primaryKey())
      .addColumn('agent_id', text, (c) => c.notNull())
      .addColumn('type', text, (c) => c.notNull())
      .addColumn('environment', text, (c) => c.notNull())
      .addColumn('live_bundle', text, (c) => c.notNull())
      .addColumn('shadow_bundle', text, (c) => c.notNull())
      .addColumn('live_effect', text, (c) => c.notNull())
      .addColumn('shadow_effect', text, (c) => c.notNull())
      .addColumn('change', text, (c) => c.notNull())
      .addColumn('reasons', text, (c) => c.notNull())
      .addColumn('rules', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('shadow_decisions_created')
      .on('shadow_decisions')
      .columns(['created_at', 'action_id'])
      .execute();
    await db.schema
      .createIndex('shadow_decisions_bundle')
      .on('shadow_decisions')
      .columns(['shadow_bundle', 'created_at'])
      .execute();

    // The rules (and limits) that made each difference, one row each, so reports count them in SQL.
    await db.schema
      .createTable('shadow_decision_rules')
      .addColumn('action_id', text, (c) => c.notNull())
      .addColumn('rule', text, (c) => c.notNull())
      .addColumn('difference', text, (c) => c.notNull())
      .addColumn('shadow_bundle', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('shadow_decision_rules_pk', ['action_id', 'rule', 'difference'])
      .execute();
    await db.schema
      .createIndex('shadow_decision_rules_bundle')
      .on('shadow_decision_rules')
      .columns(['shadow_bundle', 'created_at'])
      .execute();
    await db.schema
      .createIndex('shadow_decision_rules_created')
      .on('shadow_decision_rules')
      .columns(['created_at'])
      .execute();
  },
});

export function migrationProvider(kind: DialectKind): MigrationProvider {
  return {
    async getMigrations() {
      return {
        '0001_initial': initial(kind),
        '0002_approvals': approvals(kind),
        '0003_execution': execution(kind),
        '0004_trust': trust(kind),
        '0005_shadow': shadow(kind),
        '0006_replicas': replicas(kind),
      };
    },
  };
}
