/** The storage section: SQLite paths, PostgreSQL pool and TLS settings, secrets from the environment, and every mistake named. */

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import type { Problem } from '../config/problems.ts';
import { YamlSource } from '../config/yaml-source.ts';
import { DEFAULT_POOL } from '../store/postgres-dialect.ts';
import { resolveStorage, type StorageSettings, storageSchema } from './storage-config.ts';

const fileSchema = z.strictObject({ storage: storageSchema });

let dir: string;

function resolve(
  yaml: string,
  env: Record<string, string> = {},
): { settings: StorageSettings | null; problems: string[] } {
  const parsed = YamlSource.parse(path.join(dir, 'airlock.yaml'), yaml);
  assert.ok(parsed.ok);
  const decoded = parsed.value.decode(fileSchema);
  if (!decoded.ok) return { settings: null, problems: decoded.problems.map(format) };
  const problems: Problem[] = [];
  const settings = resolveStorage(decoded.value.storage, dir, env, parsed.value, problems);
  return { settings, problems: problems.map(format) };
}

const format = (p: Problem) => `${p.line}:${p.path}: ${p.message}`;

describe('storage config', () => {
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-storage-config-'));
    await writeFile(path.join(dir, 'ca.pem'), 'not really a certificate');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a SQLite path resolves against the project directory; migrations apply on start by default', () => {
    const { settings, problems } = resolve('storage:\n  url: sqlite:data/airlock.db\n');
    assert.deepEqual(problems, []);
    assert.deepEqual(settings, {
      url: `sqlite:${path.join(dir, 'data/airlock.db')}`,
      options: { migrations: 'auto' },
    });
    assert.equal(resolve('storage:\n  url: "sqlite::memory:"\n').settings?.url, 'sqlite::memory:');
  });

  it('a PostgreSQL URL gets the default pool, no TLS, and a password from the environment, percent-encoded', () => {
    const { settings, problems } = resolve(
      'storage:\n  url: postgres://airlock:{{ env.DB_PASSWORD }}@db:5432/airlock\n  migrations: explicit\n',
      { DB_PASSWORD: 'p@ss/w:rd' },
    );
    assert.deepEqual(problems, []);
    assert.equal(settings?.url, 'postgres://airlock:p%40ss%2Fw%3Ard@db:5432/airlock');
    assert.equal(decodeURIComponent(new URL(settings?.url ?? '').password), 'p@ss/w:rd');
    assert.deepEqual(settings?.options, {
      migrations: 'explicit',
      postgres: { pool: DEFAULT_POOL, tls: null },
    });
  });

  it('a placeholder that is the whole URL is taken as it is', () => {
    const url = 'postgresql://airlock@db/airlock?application_name=x';
    const { settings } = resolve('storage:\n  url: "{{ env.DATABASE_URL }}"\n', { DATABASE_URL: url });
    assert.equal(settings?.url, url);
  });

  it('pool and TLS settings: durations read, files resolved against the project', () => {
    const { settings, problems } = resolve(
      [
        'storage:',
        '  url: postgres://airlock@db/airlock',
        '  pool: { max: 4, idleTimeout: 5s, connectTimeout: 2s, lockTimeout: 1m }',
        '  tls: { mode: verify-ca, ca: ca.pem }',
        '',
      ].join('\n'),
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(settings?.options.postgres, {
      pool: { max: 4, idleTimeoutMs: 5_000, connectTimeoutMs: 2_000, lockTimeoutMs: 60_000 },
      tls: { mode: 'verify-ca', ca: path.join(dir, 'ca.pem'), cert: undefined, key: undefined },
    });
  });

  const mistakes: readonly [string, string, Record<string, string>, readonly string[]][] = [
    [
      'pool and TLS on SQLite',
      'storage:\n  url: sqlite:x.db\n  pool: { max: 2 }\n  tls: { mode: require }\n',
      {},
      [
        '3:storage.pool: pool settings apply to postgres:// URLs only',
        '4:storage.tls: tls settings apply to postgres:// URLs only',
      ],
    ],
    [
      'an unknown scheme',
      'storage:\n  url: mysql://db/airlock\n',
      {},
      ['2:storage.url: unknown storage scheme "mysql:" (use sqlite:<file> or postgres://…)'],
    ],
    [
      'a missing environment variable',
      'storage:\n  url: postgres://airlock:{{ env.NOPE }}@db/airlock\n',
      {},
      ['2:storage.url: needs the environment variable NOPE, which is not set'],
    ],
    [
      'TLS both in the URL and in tls',
      'storage:\n  url: postgres://db/airlock?sslmode=require\n  tls: { mode: verify-full }\n',
      {},
      ['3:storage.tls: TLS is set both here and in the URL (sslmode); keep one'],
    ],
    [
      'a certificate without its key',
      'storage:\n  url: postgres://db/airlock\n  tls: { cert: client.pem }\n',
      {},
      ['3:storage.tls: a client certificate needs both cert and key'],
    ],
    [
      'a CA file that cannot be read',
      'storage:\n  url: postgres://db/airlock\n  tls: { ca: missing.pem }\n',
      {},
      [`3:storage.tls.ca: cannot read ${path.join('DIR', 'missing.pem')}`],
    ],
    [
      'a pool of no connections and a bad duration',
      'storage:\n  url: postgres://db/airlock\n  pool: { max: 0, lockTimeout: soon }\n',
      {},
      [
        '3:storage.pool.max: Too small: expected number to be >=1',
        '3:storage.pool.lockTimeout: "soon" is not a duration (use e.g. 500ms, 30s, 15m, 2h, 1d)',
      ],
    ],
    [
      'an unknown migrations mode',
      'storage:\n  url: sqlite:x.db\n  migrations: sometimes\n',
      {},
      ['3:storage.migrations: Invalid option: expected one of "auto"|"explicit"'],
    ],
  ];
  for (const [name, yaml, env, expected] of mistakes) {
    it(`names the mistake: ${name}`, () => {
      const { settings, problems } = resolve(yaml, env);
      assert.equal(settings, null);
      assert.deepEqual(
        problems,
        expected.map((p) => p.replace('DIR', dir)),
      );
    });
  }
});
