/**
 * A Kysely dialect over Node's built-in `node:sqlite`: WAL, synchronous=FULL, a cache of prepared
 * statements, one connection guarded by a mutex (so a transaction never interleaves with other
 * queries), and BEGIN IMMEDIATE (so concurrent writers from other processes queue on the lock), except
 * for read-only transactions (a deferred BEGIN: a snapshot that holds up no writer).
 */

import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type TransactionSettings,
} from 'kysely';

export interface NodeSqliteOptions {
  /** File path, or `:memory:`. */
  readonly path: string;
  /** How long a writer waits for another process's lock before failing. */
  readonly busyTimeoutMs?: number;
}

const BUSY_TIMEOUT_MS = 10_000;
/** Pauses between attempts to take the write lock (SQLite's own busy handler waits alike). */
const BUSY_BACKOFF_MS = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100] as const;
const SQLITE_BUSY = 5;

export class NodeSqliteDialect implements Dialect {
  readonly #options: NodeSqliteOptions;

  constructor(options: NodeSqliteOptions) {
    this.#options = options;
  }

  createDriver(): Driver {
    return new NodeSqliteDriver(this.#options);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

class NodeSqliteDriver implements Driver {
  readonly #options: NodeSqliteOptions;
  #connection: NodeSqliteConnection | null = null;
  #locked: Promise<void> = Promise.resolve();

  constructor(options: NodeSqliteOptions) {
    this.#options = options;
  }

  async init(): Promise<void> {
    const db = new DatabaseSync(this.#options.path);
    db.exec(`PRAGMA busy_timeout = ${this.#options.busyTimeoutMs ?? BUSY_TIMEOUT_MS}`);
    if (this.#options.path !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA foreign_keys = ON');
    this.#connection = new NodeSqliteConnection(db);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = this.#connection;
    if (connection === null) throw new Error('the SQLite database is closed');
    // A promise chain as mutex: each holder releases by resolving the next link.
    let release!: () => void;
    const previous = this.#locked;
    this.#locked = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    connection.release = release;
    return connection;
  }

  /**
   * A read-only transaction is a deferred BEGIN: a snapshot (in WAL mode) from its first read that
   * takes no write lock, so a long read (`airlock export`) never holds up writers. Every other
   * transaction begins IMMEDIATE.
   */
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (settings.accessMode === 'read only') {
      await connection.executeQuery(CompiledQuery.raw('BEGIN DEFERRED'));
      return;
    }
    await (connection as NodeSqliteConnection).beginImmediate(this.#options.busyTimeoutMs ?? BUSY_TIMEOUT_MS);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as NodeSqliteConnection).release();
  }

  async destroy(): Promise<void> {
    this.#connection?.close();
    this.#connection = null;
  }
}

class NodeSqliteConnection implements DatabaseConnection {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, { statement: StatementSync; reader: boolean }>();
  release: () => void = () => {};

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  #prepare(sql: string): { statement: StatementSync; reader: boolean } {
    let cached = this.#statements.get(sql);
    if (cached === undefined) {
      const statement = this.#db.prepare(sql);
      cached = { statement, reader: statement.columns().length > 0 };
      if (this.#statements.size > 2_000) this.#statements.clear();
      this.#statements.set(sql, cached);
    }
    return cached;
  }

  /**
   * BEGIN IMMEDIATE, waiting for another connection's write lock between attempts rather than in
   * SQLite's busy handler, which would block this thread (and every other connection on it).
   */
  async beginImmediate(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.#db.exec('PRAGMA busy_timeout = 0');
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          this.#db.exec('BEGIN IMMEDIATE');
          return;
        } catch (error) {
          const code = (error as { errcode?: number }).errcode;
          if (code === undefined || (code & 0xff) !== SQLITE_BUSY || Date.now() >= deadline) throw error;
        }
        await sleep(BUSY_BACKOFF_MS[Math.min(attempt, BUSY_BACKOFF_MS.length - 1)]);
      }
    } finally {
      this.#db.exec(`PRAGMA busy_timeout = ${timeoutMs}`);
    }
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { statement, reader } = this.#prepare(compiledQuery.sql);
    const parameters = compiledQuery.parameters as never[];
    if (reader) return { rows: statement.all(...parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(...parameters);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const { statement } = this.#prepare(compiledQuery.sql);
    for (const row of statement.iterate(...(compiledQuery.parameters as never[]))) yield { rows: [row as R] };
  }

  close(): void {
    this.#statements.clear();
    this.#db.close();
  }
}
