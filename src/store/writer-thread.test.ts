/** The SQLite writer thread: batches commit durably; a thread that dies fails its batches as "unknown". */

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { openStore } from './open-store.ts';
import type { Store } from './store.ts';
import { OutcomeUnknownError, type WriteOp } from './write-ops.ts';
import { WriterThread } from './writer-thread.ts';

const append = (n: number): WriteOp => ({
  kind: 'append',
  at: '2026-11-24T10:00:00.000Z',
  events: [{ kind: 'test.event', actor: { kind: 'system', id: 'test' }, subject: null, data: { n } }],
});

describe('WriterThread', () => {
  let dir: string;
  let file: string;
  let store: Store;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-writer-'));
    file = path.join(dir, 'airlock.db');
    store = await openStore(`sqlite:${file}`);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('commits a batch in order, visible to another connection as soon as it resolves', async () => {
    const results = await store.commit([append(1), append(2), append(3)]);
    assert.deepEqual(
      results.map((r) => (r.kind === 'appended' ? r.records.map((e) => e.seq) : null)),
      [[1], [2], [3]],
    );
    const other = new DatabaseSync(file, { readOnly: true });
    try {
      const rows = other.prepare('SELECT seq, kind FROM audit_events ORDER BY seq').all();
      assert.deepEqual(
        rows.map((r) => [r.seq, r.kind]),
        [
          [1, 'test.event'],
          [2, 'test.event'],
          [3, 'test.event'],
        ],
      );
    } finally {
      other.close();
    }
  });

  it('a thread that dies mid-batch fails it as outcome unknown, and the next batch gets a new thread', async () => {
    const dying = new WriterThread(file, new URL('../../test/fixtures/dying-writer.ts', import.meta.url));
    await assert.rejects(dying.commit([append(4)]), (error: unknown) => {
      assert.ok(error instanceof OutcomeUnknownError);
      assert.match((error as Error).message, /stopped \(exit code 3\); the outcome of this write is unknown/);
      return true;
    });
    await assert.rejects(dying.commit([append(5)]), OutcomeUnknownError);
    await dying.close();

    const healthy = new WriterThread(file);
    const [result] = await healthy.commit([append(6)]);
    assert.equal(result?.kind, 'appended');
    await healthy.close();
  });
});
