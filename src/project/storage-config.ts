/**
 * The `storage` section of airlock.yaml: where the data lives (a SQLite file, or PostgreSQL with
 * its pool and TLS settings) and whether migrations apply on start. Resolving it checks what the
 * schema cannot: settings that only PostgreSQL takes, `{{ env.NAME }}` values, certificate files.
 */

import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { durationSchema } from '../config/durations.ts';
import type { Problem } from '../config/problems.ts';
import type { YamlSource } from '../config/yaml-source.ts';
import { parseStorageUrl, type StoreOptions } from '../store/open-store.ts';
import { DEFAULT_POOL } from '../store/postgres-dialect.ts';

const DEFAULT_URL = 'sqlite:data/airlock.db';
const DEFAULT_REPLICA_TIMEOUT_MS = 15_000;

const poolSchema = z.strictObject({
  /** Connections each Airlock process opens at most. */
  max: z.number().int().min(1).max(1_000).default(DEFAULT_POOL.max),
  /** An idle connection is closed after this long. */
  idleTimeout: durationSchema.default(DEFAULT_POOL.idleTimeoutMs),
  /** Opening a connection fails after this long. */
  connectTimeout: durationSchema.default(DEFAULT_POOL.connectTimeoutMs),
  /** A write waits this long for its turn (writes queue on the audit chain) before it fails. */
  lockTimeout: durationSchema.default(DEFAULT_POOL.lockTimeoutMs),
});

const tlsSchema = z
  .strictObject({
    /** `require`: encrypt only; `verify-ca`: and check the server's certificate; `verify-full`: and its host name. */
    mode: z.enum(['require', 'verify-ca', 'verify-full']).default('verify-full'),
    /** PEM files, relative to airlock.yaml: the CA to trust, and a client certificate with its key. */
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
  })
  .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), {
    message: 'a client certificate needs both cert and key',
  });

export const storageSchema = z
  .strictObject({
    /**
     * `sqlite:path/to/file.db` (relative to this file) or `postgres://user@host:5432/db`.
     * `{{ env.NAME }}` takes a value from the environment, e.g. a password.
     */
    url: z.string().min(1).default(DEFAULT_URL),
    /**
     * `auto`: apply pending migrations on start. `explicit`: refuse to start until `airlock migrate`
     * applied them (for several replicas on one database, migrated once by a deploy step).
     */
    migrations: z.enum(['auto', 'explicit']).default('auto'),
    pool: poolSchema.optional(),
    tls: tlsSchema.optional(),
    /**
     * How long a server process may go without a heartbeat before the others (or it, restarted)
     * take over what it was executing: interrupted executions become `unknown`, verifications resume.
     */
    replicaTimeout: durationSchema.default(DEFAULT_REPLICA_TIMEOUT_MS),
  })
  .default({ url: DEFAULT_URL, migrations: 'auto', replicaTimeout: DEFAULT_REPLICA_TIMEOUT_MS });

export type StorageConfig = z.output<typeof storageSchema>;

/** What opening the store takes: the URL (secrets filled in, paths absolute) and its options. */
export interface StorageSettings {
  readonly url: string;
  readonly options: StoreOptions;
}

const ENV_PLACEHOLDER = /\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const TLS_PARAMETERS = ['ssl', 'sslmode', 'sslcert', 'sslkey', 'sslrootcert'];

/**
 * Resolve the storage section against the project directory and the environment; problems are
 * added to `problems` (located in `source`) and null returned when there were any.
 */
export function resolveStorage(
  config: StorageConfig,
  dir: string,
  env: Readonly<Record<string, string | undefined>>,
  source: YamlSource,
  problems: Problem[],
): StorageSettings | null {
  const before = problems.length;
  const at = (...keys: string[]) => ['storage', ...keys];
  const url = interpolate(config.url, env, (name) =>
    problems.push(source.problem(at('url'), `needs the environment variable ${name}, which is not set`)),
  );
  const scheme = SCHEME.exec(url)?.[1];
  if (scheme !== undefined && !['postgres', 'postgresql'].includes(scheme.toLowerCase())) {
    problems.push(
      source.problem(at('url'), `unknown storage scheme "${scheme}:" (use sqlite:<file> or postgres://…)`),
    );
  }
  const target = parseStorageUrl(url);
  if (target.kind === 'sqlite') {
    for (const key of ['pool', 'tls'] as const) {
      if (config[key] !== undefined)
        problems.push(source.problem(at(key), `${key} settings apply to postgres:// URLs only`));
    }
    if (problems.length > before) return null;
    const file = target.path === ':memory:' ? target.path : path.resolve(dir, target.path);
    return { url: `sqlite:${file}`, options: { migrations: config.migrations } };
  }

  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    problems.push(source.problem(at('url'), 'not a valid postgres:// URL'));
  }
  const tls = config.tls;
  if (parsed !== null && tls !== undefined) {
    const inUrl = TLS_PARAMETERS.filter((p) => parsed.searchParams.has(p));
    if (inUrl.length > 0) {
      problems.push(
        source.problem(at('tls'), `TLS is set both here and in the URL (${inUrl.join(', ')}); keep one`),
      );
    }
  }
  const file = (key: 'ca' | 'cert' | 'key'): string | undefined => {
    const name = tls?.[key];
    if (name === undefined) return undefined;
    const absolute = path.resolve(dir, name);
    try {
      accessSync(absolute, constants.R_OK);
    } catch {
      problems.push(source.problem(at('tls', key), `cannot read ${absolute}`));
    }
    return absolute;
  };
  const pool = config.pool;
  const settings: StorageSettings = {
    url,
    options: {
      migrations: config.migrations,
      postgres: {
        pool:
          pool === undefined
            ? DEFAULT_POOL
            : {
                max: pool.max,
                idleTimeoutMs: pool.idleTimeout,
                connectTimeoutMs: pool.connectTimeout,
                lockTimeoutMs: pool.lockTimeout,
              },
        tls:
          tls === undefined ? null : { mode: tls.mode, ca: file('ca'), cert: file('cert'), key: file('key') },
      },
    },
  };
  return problems.length > before ? null : settings;
}

/**
 * Fill in `{{ env.NAME }}`. A placeholder that is the whole URL is taken as it is; one inside it
 * (a password, a user name) is percent-encoded, so that `@`, `/` or `:` in a password cannot change
 * where the URL points.
 */
function interpolate(
  url: string,
  env: Readonly<Record<string, string | undefined>>,
  missing: (name: string) => void,
): string {
  const whole = url.replace(ENV_PLACEHOLDER, '') === '' && url.match(ENV_PLACEHOLDER)?.length === 1;
  return url.replace(ENV_PLACEHOLDER, (_, name: string) => {
    const value = env[name];
    if (value === undefined) {
      missing(name);
      return '';
    }
    return whole ? value : encodeURIComponent(value);
  });
}
