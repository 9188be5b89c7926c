/** Versioned schema migrations, written once with Kysely's schema builder for every dialect. */

import type { Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('agents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('credentials')
      .addColumn('hash', 'text', (c) => c.primaryKey())
      .addColumn('principal_kind', 'text', (c) => c.notNull())
      .addColumn('principal_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema
      .createIndex('credentials_principal')
      .on('credentials')
      .columns(['principal_kind', 'principal_id'])
      .execute();

    await db.schema
      .createTable('grants')
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('type_pattern', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('level', 'integer', (c) => c.notNull())
      .addColumn('granted_by', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('granted_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('grants_pk', ['agent_id', 'type_pattern', 'environment'])
      .execute();

    await db.schema
      .createTable('actions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('request', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('idempotency_key', 'text')
      .addColumn('incident', 'text')
      .addColumn('facts', 'text', (c) => c.notNull())
      .addColumn('decision', 'text', (c) => c.notNull())
      .addColumn('effect', 'text', (c) => c.notNull())
      .addColumn('trust_level', 'integer', (c) => c.notNull())
      .addColumn('policy_version', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('actions_idempotency')
      .unique()
      .on('actions')
      .columns(['agent_id', 'idempotency_key'])
      .execute();
    await db.schema.createIndex('actions_created').on('actions').columns(['created_at', 'id']).execute();
    await db.schema.createIndex('actions_agent').on('actions').columns(['agent_id', 'created_at']).execute();
    await db.schema.createIndex('actions_status').on('actions').columns(['status', 'created_at']).execute();
    await db.schema.createIndex('actions_incident').on('actions').columns(['incident']).execute();

    await db.schema
      .createTable('audit_events')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('actor_kind', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text', (c) => c.notNull())
      .addColumn('subject', 'text')
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('audit_events_subject')
      .on('audit_events')
      .columns(['subject', 'seq'])
      .execute();
  },
};

export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_initial': initial,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return MIGRATIONS;
  },
};
