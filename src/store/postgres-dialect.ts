/**
 * PostgreSQL for the store: Kysely's PostgresDialect over a `pg` pool, with what the store needs on
 * top: 64-bit integers read as numbers (as SQLite gives them), TLS and pool settings from config, a
 * commit whose outcome is unknown reported as such, and the lock that keeps the audit chain linear.
 */

import { readFileSync } from 'node:fs';
import {
  type DatabaseConnection,
  type Driver,
  isAbortedTransactionError,
  PostgresDialect,
  type PostgresDialectConfig,
  PostgresDriver,
  sql,
  type Transaction,
} from 'kysely';
import { Client, DatabaseError, Pool, type PoolConfig, types } from 'pg';
import type { DialectHooks } from './kysely-store.ts';
import type { ChainHead } from './records.ts';
import type { Database } from './schema.ts';
import { OutcomeUnknownError } from './write-ops.ts';

export interface PostgresPoolSettings {
  /** Connections per process. */
  readonly max: number;
  readonly idleTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** How long a write waits for its turn (writers queue on the audit chain) before it fails. */
  readonly lockTimeoutMs: number;
}

export interface PostgresTlsSettings {
  /** `require`: encrypt only; `verify-ca`: also check the certificate; `verify-full`: and the host name. */
  readonly mode: 'require' | 'verify-ca' | 'verify-full';
  /** Absolute paths of PEM files. */
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

export interface PostgresSettings {
  readonly pool: PostgresPoolSettings;
  readonly tls: PostgresTlsSettings | null;
}

export const DEFAULT_POOL: PostgresPoolSettings = {
  max: 10,
  idleTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  lockTimeoutMs: 30_000,
};

/**
 * The advisory lock every write transaction takes first ("airlock" in ASCII). One lock means one
 * order of locks, hence no deadlocks between writers, and each writer reads the chain head only
 * after the previous one committed: the chain stays one line across connections and replicas.
 */
const CHAIN_LOCK = '27419012907361131';

/** The channel a committed append is announced on, with the new head's sequence number. */
const APPEND_CHANNEL = 'airlock_chain';

/** The hooks of a store on the database at `url`: the chain lock, and appends announced and heard. */
export function postgresHooks(url: string, settings: PostgresSettings): DialectHooks {
  let listener: AppendListener | null = null;
  return {
    kind: 'postgres',
    async lockChain(tx: Transaction<Database>): Promise<void> {
      await sql`select pg_advisory_xact_lock(${sql.raw(CHAIN_LOCK)})`.execute(tx);
    },
    // Sent at COMMIT, and only if it commits; notifications of one transaction arrive in commit order.
    async chainAppended(tx: Transaction<Database>, head: ChainHead): Promise<void> {
      await sql`select pg_notify(${APPEND_CHANNEL}, ${String(head.seq)})`.execute(tx);
    },
    watchAppends(onAppend: () => void): () => void {
      listener ??= new AppendListener(poolConfig(url, settings));
      return listener.add(onAppend);
    },
    async close(): Promise<void> {
      await listener?.close();
      listener = null;
    },
  };
}

/**
 * One connection that LISTENs for appends and tells every listener. When it drops it reconnects
 * with backoff, and tells listeners once it is back (appends in between went unannounced).
 */
class AppendListener {
  readonly #config: PoolConfig;
  readonly #listeners = new Set<() => void>();
  #client: Client | null = null;
  #closed = false;
  #retry: NodeJS.Timeout | null = null;
  #failures = 0;

  constructor(config: PoolConfig) {
    this.#config = config;
    void this.#connect();
  }

  add(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new Client(this.#config);
    this.#client = client;
    const lost = () => {
      if (this.#client !== client) return;
      this.#client = null;
      void client.end().catch(() => {});
      this.#reconnectLater();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => this.#notify());
    try {
      await client.connect();
      await client.query(`listen ${APPEND_CHANNEL}`);
      if (this.#closed) {
        await client.end();
        return;
      }
      this.#failures = 0;
      this.#notify();
    } catch {
      lost();
    }
  }

  #reconnectLater(): void {
    if (this.#closed || this.#retry !== null) return;
    const delay = Math.min(100 * 2 ** this.#failures++, 5_000);
    this.#retry = setTimeout(() => {
      this.#retry = null;
      void this.#connect();
    }, delay);
    this.#retry.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }
}

const INT8_OID = 20;

/** 64-bit integers (sequence numbers, counts) as numbers, the way the SQLite path reads them. */
const TYPES: NonNullable<PoolConfig['types']> = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (text: string) => Number(text)
      : types.getTypeParser(oid, format ?? 'text')) as NonNullable<PoolConfig['types']>['getTypeParser'],
};

/** The pool's connection settings: the URL, then pool and TLS settings from config. */
export function poolConfig(url: string, settings: PostgresSettings): PoolConfig {
  const { pool, tls } = settings;
  return {
    connectionString: url,
    max: pool.max,
    idleTimeoutMillis: pool.idleTimeoutMs,
    connectionTimeoutMillis: pool.connectTimeoutMs,
    lock_timeout: pool.lockTimeoutMs,
    // A peer that vanished (a replica's machine, a partition) is noticed, and its locks released.
    keepAlive: true,
    application_name: 'airlock',
    types: TYPES,
    ...(tls === null ? {} : { ssl: sslOptions(tls) }),
  };
}

function sslOptions(tls: PostgresTlsSettings): NonNullable<PoolConfig['ssl']> {
  const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file, 'utf8'));
  const files = { ca: read(tls.ca), cert: read(tls.cert), key: read(tls.key) };
  const present = Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined));
  switch (tls.mode) {
    case 'require':
      return { ...present, rejectUnauthorized: false };
    case 'verify-ca':
      return { ...present, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...present, rejectUnauthorized: true };
    default: {
      const never: never = tls.mode;
      throw new Error(`unknown TLS mode ${String(never)}`);
    }
  }
}

/** A Kysely dialect over a new pool for `url`. */
export function postgresDialect(url: string, settings: PostgresSettings): PostgresDialect {
  const pool = new Pool(poolConfig(url, settings));
  // A connection that drops (a server restart, a failover) fails the query on it, if any, and is
  // replaced on the next checkout; without listeners its error event would end the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return new StorePostgresDialect({ pool });
}

class StorePostgresDialect extends PostgresDialect {
  readonly #config: PostgresDialectConfig;

  constructor(config: PostgresDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new StorePostgresDriver(this.#config);
  }
}

type PostgresConnection = Parameters<PostgresDriver['rollbackTransaction']>[0];

class StorePostgresDriver extends PostgresDriver {
  /** Connections whose COMMIT went unanswered: nothing is left to roll back on them. */
  readonly #unanswered = new WeakSet<DatabaseConnection>();

  /**
   * A COMMIT the server refused rolled back; one whose answer never came (the connection broke)
   * may or may not have committed, and must not be retried blindly.
   */
  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.commitTransaction(connection);
    } catch (error) {
      if (error instanceof DatabaseError || isAbortedTransactionError(error)) throw error;
      this.#unanswered.add(connection);
      throw new OutcomeUnknownError(
        `the connection to PostgreSQL failed during commit (${(error as Error).message}); the outcome of this write is unknown`,
        { cause: error },
      );
    }
  }

  /** After an unanswered COMMIT the rollback fails too; its error must not hide the unknown outcome. */
  override async rollbackTransaction(connection: PostgresConnection): Promise<void> {
    if (!this.#unanswered.delete(connection)) return super.rollbackTransaction(connection);
    // The attempt marks the broken connection to be discarded rather than pooled again.
    await super.rollbackTransaction(connection).catch(() => {});
  }
}
