/** Opens the store named by a storage URL and brings its schema up to date. */

import { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { KyselyStore } from './kysely-store.ts';
import { migrationProvider } from './migrations.ts';
import { NodeSqliteDialect } from './node-sqlite-dialect.ts';
import type { Database } from './schema.ts';
import type { Store } from './store.ts';
import { WriterThread } from './writer-thread.ts';

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

/** `sqlite:relative/or/absolute.db`, `sqlite::memory:`, or a bare file path. */
export function parseStorageUrl(
  url: string,
): { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', path: url.slice('sqlite:'.length) };
  return { kind: 'sqlite', path: url };
}

export async function openStore(url: string): Promise<Store> {
  const target = parseStorageUrl(url);
  if (target.kind === 'postgres') {
    throw new StoreError('PostgreSQL storage is not available in this version; use a sqlite: URL');
  }
  const db = new Kysely<Database>({ dialect: new NodeSqliteDialect({ path: target.path }) });
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  // A file database gets a writer thread for hot-path batches; an in-memory one cannot be shared.
  const writer = target.path === ':memory:' ? null : new WriterThread(target.path);
  return new KyselyStore(db, { kind: 'sqlite', lockChain: async () => {} }, writer);
}

async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider('sqlite') });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new StoreError(`database migration ${failed ?? ''} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
