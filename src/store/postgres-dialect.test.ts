/** What the pool is told: pool settings, the lock timeout, and TLS modes as libpq's sslmode means them. */

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConnectionOptions } from 'node:tls';
import { DEFAULT_POOL, type PostgresTlsSettings, poolConfig } from './postgres-dialect.ts';

const URL = 'postgres://airlock@db.internal/airlock';

describe('postgres pool config', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-pg-config-'));
    await writeFile(path.join(dir, 'ca.pem'), 'CA PEM');
    await writeFile(path.join(dir, 'cert.pem'), 'CERT PEM');
    await writeFile(path.join(dir, 'key.pem'), 'KEY PEM');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const ssl = (tls: PostgresTlsSettings) =>
    poolConfig(URL, { pool: DEFAULT_POOL, tls }).ssl as ConnectionOptions;

  it('pool settings and the lock timeout; no TLS unless configured', () => {
    const config = poolConfig(URL, {
      pool: { max: 3, idleTimeoutMs: 1_000, connectTimeoutMs: 2_000, lockTimeoutMs: 3_000 },
      tls: null,
    });
    assert.equal(config.connectionString, URL);
    assert.equal(config.max, 3);
    assert.equal(config.idleTimeoutMillis, 1_000);
    assert.equal(config.connectionTimeoutMillis, 2_000);
    assert.equal(config.lock_timeout, 3_000);
    assert.equal(config.ssl, undefined);
  });

  it('64-bit integers are read as numbers', () => {
    const parse = poolConfig(URL, { pool: DEFAULT_POOL, tls: null }).types?.getTypeParser(20, 'text') as (
      text: string,
    ) => unknown;
    assert.strictEqual(parse('9007199254740991'), 9007199254740991);
  });

  it('require encrypts without checking the certificate', () => {
    assert.equal(ssl({ mode: 'require' }).rejectUnauthorized, false);
  });

  it('verify-ca checks the certificate against the CA but not the host name', () => {
    const options = ssl({ mode: 'verify-ca', ca: path.join(dir, 'ca.pem') });
    assert.equal(options.rejectUnauthorized, true);
    assert.equal(options.ca, 'CA PEM');
    assert.equal(options.checkServerIdentity?.('elsewhere', {} as never), undefined);
  });

  it('verify-full checks both, and sends a client certificate when given', () => {
    const options = ssl({
      mode: 'verify-full',
      ca: path.join(dir, 'ca.pem'),
      cert: path.join(dir, 'cert.pem'),
      key: path.join(dir, 'key.pem'),
    });
    assert.equal(options.rejectUnauthorized, true);
    assert.equal(options.checkServerIdentity, undefined);
    assert.deepEqual([options.ca, options.cert, options.key], ['CA PEM', 'CERT PEM', 'KEY PEM']);
  });
});
