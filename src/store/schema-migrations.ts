/**
 * Where a database's schema stands against the migrations this version knows: which ran, which
 * are pending, and whether the database was migrated by a newer version (then nothing may open it).
 */

import type { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { type DialectKind, migrationProvider } from './migrations.ts';

export class StoreError extends Error {
  override readonly name: string = 'StoreError';
}

/** The database holds migrations this version does not know: it was migrated by a newer one. */
export class SchemaTooNewError extends StoreError {
  override readonly name = 'SchemaTooNewError';
}

export interface MigrationStatus {
  /** Every migration this version knows, oldest first. */
  readonly known: readonly string[];
  /** Migrations the database has run, oldest first (including any this version does not know). */
  readonly applied: readonly string[];
  /** Known migrations the database has not run yet. */
  readonly pending: readonly string[];
  /** Migrations the database has run that this version does not know. */
  readonly unknown: readonly string[];
}

const MIGRATION_TABLE = 'kysely_migration';

export async function migrationStatus(db: Kysely<unknown>, kind: DialectKind): Promise<MigrationStatus> {
  const known = Object.keys(await migrationProvider(kind).getMigrations()).sort();
  const applied = await appliedMigrations(db);
  const ran = new Set(applied);
  const knownSet = new Set(known);
  return {
    known,
    applied,
    pending: known.filter((name) => !ran.has(name)),
    unknown: applied.filter((name) => !knownSet.has(name)),
  };
}

/** Names in the migration table, oldest first; none when the table does not exist yet. */
async function appliedMigrations(db: Kysely<unknown>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === MIGRATION_TABLE)) return [];
  const rows = await (db as Kysely<{ kysely_migration: { name: string } }>)
    .selectFrom(MIGRATION_TABLE)
    .select('name')
    .orderBy('name')
    .execute();
  return rows.map((r) => r.name);
}

/** Refuse a database migrated by a newer version, naming the newest migration known and found. */
export function assertNotNewer(status: MigrationStatus): void {
  if (status.unknown.length === 0) return;
  const found = status.unknown[status.unknown.length - 1];
  const known = status.known[status.known.length - 1] ?? '(none)';
  throw new SchemaTooNewError(
    `the database schema is newer than this version of Airlock: the newest migration it knows is ${known}, the database has ${found}; use the newer Airlock that migrated it`,
  );
}

/** Run every pending migration (each in its own transaction; concurrent runners wait on a lock). */
export async function runMigrations(db: Kysely<unknown>, kind: DialectKind): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider(kind) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new StoreError(
      `database migration ${failed ?? ''} failed: ${(error as Error).message ?? String(error)}`,
      { cause: error },
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
