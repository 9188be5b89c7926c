/** Group commit over a real SQLite store: batching, isolation of a failing write, no retry of an unknown outcome. */

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../store/open-store.ts';
import type { ActionRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import { OutcomeUnknownError, type WriteOp, type WriteResult } from '../store/write-ops.ts';
import { GroupCommitter } from './group-commit.ts';

function action(id: string, idempotencyKey: string | null = null): ActionRecord {
  const at = '2026-11-24T10:00:00.000Z';
  const request = {
    type: 'service.restart',
    environment: 'staging',
    targets: [{ id: 'api-1' }],
    params: {},
    confidence: null,
    anomalyScore: null,
    reasoning: null,
    context: null,
    incident: null,
  };
  return {
    id,
    agentId: 'bot',
    type: 'service.restart',
    environment: 'staging',
    status: 'advised',
    request,
    requestHash: 'h',
    idempotencyKey,
    incident: null,
    facts: { request },
    decision: {
      effect: 'advise',
      policyEffect: 'allow',
      reasons: [],
      trustLevel: 0,
      policyVersion: 'sha256:x',
      route: null,
    },
    createdAt: at,
    updatedAt: at,
  };
}

describe('GroupCommitter', () => {
  let dir: string;
  let store: Store;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-commit-'));
    store = await openStore(`sqlite:${path.join(dir, 'airlock.db')}`);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes that arrive together share one commit', async () => {
    const sizes: number[] = [];
    const committer = new GroupCommitter(store, { onBatch: (size) => sizes.push(size) });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        committer.run({ kind: 'propose', action: action(`act_share_${i}`) }),
      ),
    );
    assert.ok(results.every((r) => r.kind === 'appended'));
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      20,
    );
    assert.ok(sizes.length < 20, `expected shared commits, got ${sizes.length} for 20 writes`);
  });

  it('a write that fails its batch fails alone: the others are retried one by one and land', async () => {
    const committer = new GroupCommitter(store);
    await committer.run({ kind: 'propose', action: action('act_taken') });
    const ops: WriteOp[] = [
      { kind: 'propose', action: action('act_ok_1') },
      { kind: 'propose', action: action('act_taken') }, // the primary key is already used
      { kind: 'propose', action: action('act_ok_2') },
    ];
    const settled = await Promise.allSettled(ops.map((op) => committer.run(op)));
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.ok((await store.getAction('act_ok_1')) !== null);
    assert.ok((await store.getAction('act_ok_2')) !== null);
  });

  it('an idempotency key used twice in one batch records one action; the second is a duplicate', async () => {
    const committer = new GroupCommitter(store);
    const [first, second] = await Promise.all([
      committer.run({ kind: 'propose', action: action('act_key_1', 'k-1') }),
      committer.run({ kind: 'propose', action: action('act_key_2', 'k-1') }),
    ]);
    assert.equal(first?.kind, 'appended');
    assert.equal(second?.kind, 'duplicate');
    assert.equal((await store.findActionByKey('bot', 'k-1'))?.id, 'act_key_1');
  });

  it('a batch whose outcome is unknown is failed whole and never retried', async () => {
    // A stand-in store whose commit reports an unknown outcome, as a writer thread that dies
    // mid-commit does (that crash itself is exercised for real in writer-thread.test.ts).
    let calls = 0;
    const unknown: Store = Object.create(store, {
      commit: {
        value: async (): Promise<WriteResult[]> => {
          calls += 1;
          throw new OutcomeUnknownError('writer died');
        },
      },
    });
    const committer = new GroupCommitter(unknown);
    const settled = await Promise.allSettled(
      [1, 2, 3].map((i) => committer.run({ kind: 'propose', action: action(`act_u_${i}`) })),
    );
    assert.ok(settled.every((s) => s.status === 'rejected' && s.reason instanceof OutcomeUnknownError));
    assert.equal(calls, 1, 'one attempt, no retries');
  });
});
