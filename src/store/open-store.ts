/**
 * Opens the store named by a storage URL (SQLite or PostgreSQL), refusing a schema newer than this
 * version knows, and applies pending migrations (or, when they must be explicit, refuses to open).
 */

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Kysely } from 'kysely';
import { KyselyStore } from './kysely-store.ts';
import type { DialectKind } from './migrations.ts';
import { NodeSqliteDialect } from './node-sqlite-dialect.ts';
import { DEFAULT_POOL, type PostgresSettings, postgresDialect, postgresHooks } from './postgres-dialect.ts';
import type { Database } from './schema.ts';
import {
  assertNotNewer,
  type MigrationStatus,
  migrationStatus,
  runMigrations,
  StoreError,
} from './schema-migrations.ts';
import type { Store } from './store.ts';
import { WriterThread } from './writer-thread.ts';

export { SchemaTooNewError, StoreError } from './schema-migrations.ts';

export type StorageTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface StoreOptions {
  /**
   * `auto` (default): apply pending migrations when opening. `explicit`: refuse to open a database
   * with pending migrations (`airlock migrate` applies them), e.g. when several replicas share it.
   */
  readonly migrations?: 'auto' | 'explicit';
  /** Pool and TLS settings; used for PostgreSQL URLs only. */
  readonly postgres?: PostgresSettings;
}

/** `sqlite:relative/or/absolute.db`, `sqlite::memory:`, a bare file path, or `postgres://…`. */
export function parseStorageUrl(url: string): StorageTarget {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', path: url.slice('sqlite:'.length) };
  return { kind: 'sqlite', path: url };
}

/** The URL without its password, for messages. */
export function describeStorage(url: string): string {
  const target = parseStorageUrl(url);
  if (target.kind === 'sqlite') return `sqlite:${target.path}`;
  try {
    const parsed = new URL(target.url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export async function openStore(url: string, options: StoreOptions = {}): Promise<Store> {
  const target = parseStorageUrl(url);
  const db = await openDatabase(target, options);
  try {
    const status = await checkedStatus(db, target.kind, url);
    if (status.pending.length > 0) {
      if (options.migrations === 'explicit') {
        throw new StoreError(
          `the database at ${describeStorage(url)} needs migration${status.pending.length === 1 ? '' : 's'} ${status.pending.join(', ')}: run \`airlock migrate\` first (storage.migrations is explicit)`,
        );
      }
      await runMigrations(db as Kysely<unknown>, target.kind);
    }
  } catch (error) {
    await db.destroy();
    throw error;
  }
  if (target.kind === 'postgres')
    return new KyselyStore(db, postgresHooks(target.url, postgresSettings(options)));
  // A file database gets a writer thread for hot-path batches; an in-memory one cannot be shared.
  const writer = target.path === ':memory:' ? null : new WriterThread(target.path);
  return new KyselyStore(db, { kind: 'sqlite', lockChain: async () => {} }, writer);
}

export interface MigrationReport extends MigrationStatus {
  readonly storage: DialectKind;
  /** Migrations this run applied, oldest first (none when only asked for the status). */
  readonly ran: readonly string[];
}

/**
 * Where the database's schema stands and, with `apply`, run its pending migrations. Refuses a
 * database migrated by a newer version.
 */
export async function migrateStore(
  url: string,
  options: StoreOptions & { readonly apply: boolean },
): Promise<MigrationReport> {
  const target = parseStorageUrl(url);
  const db = await openDatabase(target, options);
  try {
    const before = await checkedStatus(db, target.kind, url);
    if (!options.apply || before.pending.length === 0) return { storage: target.kind, ...before, ran: [] };
    const ran = await runMigrations(db as Kysely<unknown>, target.kind);
    const after = await migrationStatus(db as Kysely<unknown>, target.kind);
    return { storage: target.kind, ...after, ran };
  } finally {
    await db.destroy();
  }
}

async function openDatabase(target: StorageTarget, options: StoreOptions): Promise<Kysely<Database>> {
  if (target.kind === 'sqlite' && target.path !== ':memory:')
    await mkdir(path.dirname(target.path), { recursive: true });
  return openKysely(target, options);
}

/** A Kysely instance on the database of `target`, with no store around it (and no migrations run). */
export function openKysely(target: StorageTarget, options: StoreOptions): Kysely<Database> {
  if (target.kind === 'sqlite')
    return new Kysely<Database>({ dialect: new NodeSqliteDialect({ path: target.path }) });
  return new Kysely<Database>({ dialect: postgresDialect(target.url, postgresSettings(options)) });
}

export function postgresSettings(options: StoreOptions): PostgresSettings {
  return options.postgres ?? { pool: DEFAULT_POOL, tls: null };
}

async function checkedStatus(db: Kysely<Database>, kind: DialectKind, url: string): Promise<MigrationStatus> {
  let status: MigrationStatus;
  try {
    status = await migrationStatus(db as Kysely<unknown>, kind);
  } catch (error) {
    throw new StoreError(`cannot open the database at ${describeStorage(url)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  assertNotNewer(status);
  return status;
}
