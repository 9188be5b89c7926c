/**
 * Raw SQL on a project's database, whatever its backend (a SQLite file or a PostgreSQL database),
 * for tests that look past the store: read what is really stored, tamper with it, copy it.
 * SQL is written once with `?` placeholders; on PostgreSQL they become `$1…`, and 64-bit integers
 * read as numbers (as the store reads them), so rows look the same on both.
 */

import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { Client, type CustomTypesConfig, types } from 'pg';
import { loadStorage } from '../src/project/project-loader.ts';
import { openStore, parseStorageUrl } from '../src/store/open-store.ts';
import { createDatabaseOn } from './pg-server.ts';

export type RawKind = 'sqlite' | 'postgres';
export type RawValue = string | number | bigint | null | Uint8Array;
export type RawRow = Record<string, unknown>;

export interface RawDb {
  readonly kind: RawKind;
  /** Every row `sql` returns. */
  all<T = RawRow>(sql: string, ...params: RawValue[]): Promise<T[]>;
  /** The first row `sql` returns, or undefined. */
  get<T = RawRow>(sql: string, ...params: RawValue[]): Promise<T | undefined>;
  /** Run a statement; returns how many rows it changed. */
  run(sql: string, ...params: RawValue[]): Promise<number>;
  close(): Promise<void>;
}

/** The storage URL of the project in `dir` (its airlock.yaml), resolved as Airlock resolves it. */
export async function projectStorage(dir: string): Promise<string> {
  const storage = await loadStorage(path.join(dir, 'airlock.yaml'));
  if (!storage.ok) {
    throw new Error(
      `cannot read the storage of ${dir}: ${storage.problems.map((p) => p.message).join('; ')}`,
    );
  }
  return storage.value.url;
}

const INT8_OID = 20;

/** 64-bit integers as numbers, every other type as pg reads it by default. */
const NUMBER_TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (text: string) => Number(text)
      : types.getTypeParser(oid, format ?? 'text')) as CustomTypesConfig['getTypeParser'],
};

/** Every value as the text PostgreSQL sends (for copying rows exactly, whatever their types). */
const TEXT_TYPES: CustomTypesConfig = {
  getTypeParser: (() => (text: string) => text) as CustomTypesConfig['getTypeParser'],
};

/** `?` placeholders → `$1, $2, …`, leaving quoted strings and identifiers alone. */
export function numberedPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const char of sql) {
    if (quote !== null) {
      if (char === quote) quote = null;
      out += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      out += char;
    } else if (char === '?') {
      out += `$${++n}`;
    } else {
      out += char;
    }
  }
  return out;
}

function pgClient(url: string, options: { readOnly?: boolean; text?: boolean } = {}): Client {
  return new Client({
    connectionString: url,
    types: options.text === true ? TEXT_TYPES : NUMBER_TYPES,
    ...(options.readOnly === true ? { options: '-c default_transaction_read_only=on' } : {}),
  });
}

/** A plain connection to the database at `url` (a storage URL, as `projectStorage` gives). */
export async function openRawDb(url: string, options: { readOnly?: boolean } = {}): Promise<RawDb> {
  const target = parseStorageUrl(url);
  if (target.kind === 'sqlite') {
    const db = new DatabaseSync(target.path, { readOnly: options.readOnly === true });
    const params = (values: RawValue[]) => values as SQLInputValue[];
    return {
      kind: 'sqlite',
      all: async <T>(sql: string, ...values: RawValue[]) =>
        db.prepare(sql).all(...params(values)) as unknown as T[],
      get: async <T>(sql: string, ...values: RawValue[]) =>
        db.prepare(sql).get(...params(values)) as unknown as T | undefined,
      run: async (sql, ...values) => Number(db.prepare(sql).run(...params(values)).changes),
      close: async () => db.close(),
    };
  }
  const client = pgClient(target.url, options);
  await client.connect();
  const query = (sql: string, values: RawValue[]) => client.query(numberedPlaceholders(sql), values);
  return {
    kind: 'postgres',
    all: async <T>(sql: string, ...values: RawValue[]) => (await query(sql, values)).rows as T[],
    get: async <T>(sql: string, ...values: RawValue[]) => (await query(sql, values)).rows[0] as T | undefined,
    run: async (sql, ...values) => (await query(sql, values)).rowCount ?? 0,
    close: () => client.end(),
  };
}

/** Run `work` on a raw connection to `url`, closed afterwards. */
export async function withRawDb<T>(
  url: string,
  work: (db: RawDb) => Promise<T> | T,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  const db = await openRawDb(url, options);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** Tables the migrator keeps for itself: a migrated copy has its own. */
const MIGRATOR_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * A consistent copy of the database at `url` in a new database, while its server may still write;
 * returns the copy's URL. SQLite: `VACUUM INTO` targetDir/data/airlock.db over a second connection.
 * PostgreSQL: a new database on the same server (the one under test holds connections, so `CREATE
 * DATABASE … TEMPLATE` is refused), migrated by opening a store on it, emptied, then filled with
 * every table's rows from one REPEATABLE READ snapshot of the source, and its sequences set as the
 * source's are.
 */
export async function copyDatabase(url: string, targetDir: string): Promise<string> {
  const target = parseStorageUrl(url);
  if (target.kind === 'sqlite') {
    const file = path.join(targetDir, 'data', 'airlock.db');
    await mkdir(path.dirname(file), { recursive: true });
    const source = new DatabaseSync(target.path);
    try {
      source.prepare('VACUUM INTO ?').run(file);
    } finally {
      source.close();
    }
    return `sqlite:${file}`;
  }

  const admin = new URL(target.url);
  admin.pathname = '/postgres';
  const copyUrl = await createDatabaseOn(admin.toString());
  await (await openStore(copyUrl)).close();

  const from = pgClient(target.url, { readOnly: true, text: true });
  const to = pgClient(copyUrl);
  await from.connect();
  try {
    await to.connect();
    await from.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await to.query('BEGIN');
    const tablesOf = async (client: Client) =>
      (
        await client.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
        )
      ).rows
        .map((r) => r.table_name)
        .filter((name) => !MIGRATOR_TABLES.has(name));
    const tables = await tablesOf(from);
    const copyTables = await tablesOf(to);
    if (tables.join() !== copyTables.join())
      throw new Error(`the migrated copy has tables ${copyTables.join()}, the source ${tables.join()}`);

    // Foreign keys (and any other triggers) stay off while rows go in, in whatever order (superuser).
    await to.query('SET LOCAL session_replication_role = replica');
    // The migrations insert default rows (meta's): the copy holds the source's rows only.
    if (tables.length > 0) await to.query(`TRUNCATE ${tables.map(ident).join(', ')}`);
    for (const table of tables) {
      const columns = (
        await from.query<{ column_name: string }>(
          "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position",
          [table],
        )
      ).rows.map((r) => r.column_name);
      const rows = (
        await from.query<Record<string, string | null>>(
          `SELECT ${columns.map(ident).join(', ')} FROM ${ident(table)}`,
        )
      ).rows;
      const perBatch = Math.max(1, Math.floor(10_000 / columns.length));
      for (let start = 0; start < rows.length; start += perBatch) {
        const batch = rows.slice(start, start + perBatch);
        const values: (string | null)[] = [];
        const tuples = batch.map((row) => {
          const slots = columns.map((column) => {
            values.push(row[column] ?? null);
            return `$${values.length}`;
          });
          return `(${slots.join(', ')})`;
        });
        await to.query(
          `INSERT INTO ${ident(table)} (${columns.map(ident).join(', ')}) OVERRIDING SYSTEM VALUE VALUES ${tuples.join(', ')}`,
          values,
        );
      }
    }

    // Serial and identity columns (and any other sequence) go on where the source's would.
    const sequences = (
      await from.query<{ name: string }>(
        'SELECT sequencename AS name FROM pg_sequences WHERE schemaname = current_schema() ORDER BY sequencename',
      )
    ).rows;
    for (const { name } of sequences) {
      const state = (
        await from.query<{ last_value: string; is_called: string }>(
          `SELECT last_value, is_called FROM ${ident(name)}`,
        )
      ).rows[0];
      if (state === undefined) continue;
      await to.query('SELECT setval($1, $2, $3)', [ident(name), state.last_value, state.is_called === 't']);
    }
    await to.query('COMMIT');
    await from.query('COMMIT');
  } finally {
    await from.end();
    await to.end();
  }
  return copyUrl;
}

/** Remove a database `copyDatabase` made: a SQLite file (and its journal), or a PostgreSQL database. */
export async function dropDatabase(url: string): Promise<void> {
  const target = parseStorageUrl(url);
  if (target.kind === 'sqlite') {
    for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(target.path + suffix, { force: true });
    return;
  }
  const parsed = new URL(target.url);
  const name = decodeURIComponent(parsed.pathname.slice(1));
  parsed.pathname = '/postgres';
  const admin = new Client({ connectionString: parsed.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
