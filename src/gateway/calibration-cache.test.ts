/** The calibration cache over a real SQLite store: new outcomes, late commits, and what it reads. */

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../store/open-store.ts';
import type { EvidenceFilter } from '../store/records.ts';
import type { Store, StoreReader } from '../store/store.ts';
import type { EvidenceRecord } from '../trust/evidence.ts';
import { trustSettingsSchema } from '../trust/trust-settings.ts';
import { CalibrationCache } from './calibration-cache.ts';

const SCOPE = { typePattern: 'service.restart', environment: 'staging' };
const NOW = Date.parse('2026-11-24T12:00:00.000Z');

let serial = 0;
function outcome(atMs: number, kind: 'succeeded' | 'failed' = 'succeeded'): EvidenceRecord {
  serial += 1;
  return {
    id: `ev-${serial}`,
    agentId: 'bot',
    actionId: `act-${serial}`,
    type: 'service.restart',
    environment: 'staging',
    kind,
    level: 2,
    confidence: 0.9,
    by: 'system',
    detail: null,
    at: new Date(atMs).toISOString(),
  };
}

describe('CalibrationCache', () => {
  let dir: string;
  let store: Store;
  const reads: string[] = [];
  /** The store as the cache sees it, each read it makes noted. */
  let reader: Pick<StoreReader, 'listEvidence' | 'countEvidence'>;
  const insert = (...records: EvidenceRecord[]) => store.write((tx) => tx.insertEvidence(records));

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-calibration-'));
    store = await openStore(`sqlite:${path.join(dir, 'airlock.db')}`);
    reader = {
      listEvidence: (filter: EvidenceFilter) => {
        reads.push(filter.until === undefined ? 'newer' : 'overlap');
        return store.listEvidence(filter);
      },
      countEvidence: (filter) => {
        reads.push('count');
        return store.countEvidence(filter);
      },
    };
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sees each new outcome in the next fact, a late commit within the overlap too, reading only what changed', async () => {
    const settings = trustSettingsSchema.parse({ calibration: { minEvidence: 1 } });
    const cache = new CalibrationCache(reader as StoreReader, () => settings);
    const fact = () => cache.fact('bot', SCOPE, 0.9, new Date(NOW));

    await insert(outcome(NOW - 30_000), outcome(NOW - 20_000), outcome(NOW - 10_000, 'failed'));
    assert.equal((await fact()).n, 3, 'the first fact loads the window');

    reads.length = 0;
    assert.equal((await fact()).n, 3);
    assert.deepEqual(reads, ['newer', 'count'], 'nothing new: the overlap is counted, not read');

    await insert(outcome(NOW - 5_000));
    reads.length = 0;
    const fourth = await fact();
    assert.equal(fourth.n, 4, 'a newer outcome is in the very next fact');
    assert.deepEqual(reads, ['newer', 'count']);

    // Committed after the newest the cache holds, but stamped earlier (another process's clock).
    await insert(outcome(NOW - 25_000, 'failed'));
    reads.length = 0;
    const fifth = await fact();
    assert.equal(fifth.n, 5, 'a late commit within the overlap is found');
    assert.deepEqual(reads, ['newer', 'count', 'overlap'], 'the count told it to read the overlap');
    assert.ok(
      (fifth.calibrated ?? 1) < (fourth.calibrated ?? 0),
      'the late failure lowers the calibrated confidence',
    );

    reads.length = 0;
    assert.equal((await fact()).n, 5, 'and is not counted twice');
    assert.deepEqual(reads, ['newer', 'count']);
  });
});
