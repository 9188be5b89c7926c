/** Storage URLs: which backend they name, and how they are shown (never with a password). */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeStorage, parseStorageUrl } from './open-store.ts';

describe('storage URLs', () => {
  const cases: readonly [string, ReturnType<typeof parseStorageUrl>, string][] = [
    [
      'sqlite:/var/lib/airlock.db',
      { kind: 'sqlite', path: '/var/lib/airlock.db' },
      'sqlite:/var/lib/airlock.db',
    ],
    ['sqlite::memory:', { kind: 'sqlite', path: ':memory:' }, 'sqlite::memory:'],
    ['data/airlock.db', { kind: 'sqlite', path: 'data/airlock.db' }, 'sqlite:data/airlock.db'],
    [
      'postgres://airlock:s3cret@db:5432/airlock',
      { kind: 'postgres', url: 'postgres://airlock:s3cret@db:5432/airlock' },
      'postgres://airlock:***@db:5432/airlock',
    ],
    [
      'postgresql://airlock@db/airlock?sslmode=require',
      { kind: 'postgres', url: 'postgresql://airlock@db/airlock?sslmode=require' },
      'postgresql://airlock@db/airlock?sslmode=require',
    ],
  ];
  for (const [url, target, shown] of cases) {
    it(`${url} → ${target.kind}, shown as ${shown}`, () => {
      assert.deepEqual(parseStorageUrl(url), target);
      assert.equal(describeStorage(url), shown);
    });
  }
});
