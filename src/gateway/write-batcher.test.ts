/** Batched interactive writes over a real SQLite store: sharing, isolation of a failing write, order. */

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../store/open-store.ts';
import type { Store, StoreTx } from '../store/store.ts';
import { WriteBatcher } from './write-batcher.ts';

describe('WriteBatcher', () => {
  let dir: string;
  let store: Store;
  let transactions = 0;
  const counted: Pick<Store, 'write'> = {
    write: (work) => {
      transactions += 1;
      return store.write(work);
    },
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-batcher-'));
    store = await openStore(`sqlite:${path.join(dir, 'airlock.db')}`);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A write that sets a settings key (first value wins), through the store's own transaction. */
  const put = (key: string, value: string) => async (tx: StoreTx) => {
    await tx.putSettingIfAbsent(key, value);
    return value;
  };

  it('writes that arrive together share one transaction, each gets its own result', async () => {
    transactions = 0;
    const batcher = new WriteBatcher(counted);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => batcher.run(put(`share.${i}`, `v${i}`))),
    );
    assert.deepEqual(
      results,
      Array.from({ length: 10 }, (_, i) => `v${i}`),
    );
    assert.equal(transactions, 1);
    for (let i = 0; i < 10; i += 1) assert.equal(await store.getSetting(`share.${i}`), `v${i}`);
  });

  it('a write that fails its batch fails alone; the others land', async () => {
    transactions = 0;
    const batcher = new WriteBatcher(counted);
    const failing = async (tx: StoreTx) => {
      await tx.putSettingIfAbsent('iso.bad', 'written then rolled back');
      throw new Error('refused');
    };
    const settled = await Promise.allSettled([
      batcher.run(put('iso.a', 'a')),
      batcher.run(failing),
      batcher.run(put('iso.b', 'b')),
    ]);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(await store.getSetting('iso.a'), 'a');
    assert.equal(await store.getSetting('iso.b'), 'b');
    assert.equal(await store.getSetting('iso.bad'), null, 'the failed write left nothing behind');
    assert.equal(transactions, 4, 'one shared attempt, then each alone');
  });

  it('later writes in a batch see the earlier ones, in arrival order', async () => {
    const batcher = new WriteBatcher(store);
    const after = (i: number) => async (tx: StoreTx) => {
      const previous = i === 0 ? 'none' : await tx.getSetting(`order.${i - 1}`);
      await tx.putSettingIfAbsent(`order.${i}`, `after ${previous}`);
      return previous;
    };
    const results = await Promise.all([0, 1, 2].map((i) => batcher.run(after(i))));
    assert.deepEqual(results, ['none', 'after none', 'after after none']);
  });

  it('writes beyond the batch size go in further transactions', async () => {
    transactions = 0;
    const batcher = new WriteBatcher(counted, { maxBatch: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.run(put(`size.${i}`, 'v'))));
    assert.equal(transactions, 3);
  });
});
