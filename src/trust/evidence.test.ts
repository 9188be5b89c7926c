/** Tests the evidence vocabulary by hand: labelOf for every kind, inScope, and scopeMetrics on a built ledger. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrustLevel } from '../domain/levels.ts';
import {
  EVIDENCE_KINDS,
  type EvidenceKind,
  type EvidenceRecord,
  inScope,
  labelOf,
  scopeMetrics,
} from './evidence.ts';

const TOLERANCE = 1e-4;

const near = (actual: number | null, expected: number, what: string): void => {
  assert.notEqual(actual, null, `${what} is null`);
  assert.ok(
    Math.abs((actual ?? Number.NaN) - expected) <= TOLERANCE,
    `${what}: ${actual} is not within ${TOLERANCE} of ${expected}`,
  );
};

describe('labelOf', () => {
  // Every kind on its own: negatives say 0, succeeded and advice_agreed say 1, the rest say nothing.
  const ALONE: Record<EvidenceKind, 0 | 1 | null> = {
    succeeded: 1,
    failed: 0,
    rolled_back: 0,
    unknown: null,
    verification_failed: 0,
    approved_unchanged: null,
    approved_changed: 0,
    denied_by_person: 0,
    expired: null,
    advice_agreed: 1,
    advice_disagreed: 0,
    incident: 0,
    denied_burst: null,
    demoted: null,
  };

  it('the table covers every evidence kind', () => {
    assert.deepEqual(Object.keys(ALONE).sort(), [...EVIDENCE_KINDS].sort());
  });

  for (const [kind, expected] of Object.entries(ALONE) as [EvidenceKind, 0 | 1 | null][]) {
    it(`${kind} alone → ${expected}`, () => assert.equal(labelOf([kind]), expected));
  }

  const combos: [EvidenceKind[], 0 | 1 | null, string][] = [
    [[], null, 'no evidence'],
    [['succeeded', 'incident'], 0, 'an incident after success'],
    [['incident', 'succeeded'], 0, 'order does not matter'],
    [['advice_agreed', 'advice_disagreed'], 0, 'a disagreement beats an agreement'],
    [['approved_unchanged', 'succeeded'], 1, 'approved then succeeded'],
    [['approved_unchanged', 'rolled_back', 'demoted'], 0, 'approved then rolled back'],
    [['succeeded', 'verification_failed'], 0, 'verification failed after success'],
    [['demoted', 'denied_burst', 'expired', 'approved_unchanged'], null, 'only non-labelling kinds'],
    [['expired', 'advice_agreed'], 1, 'a positive among neutral kinds'],
  ];
  for (const [kinds, expected, why] of combos) {
    it(`[${kinds.join(', ')}] → ${expected} (${why})`, () => assert.equal(labelOf(kinds), expected));
  }

  it('takes any iterable, e.g. a Set', () => {
    assert.equal(labelOf(new Set<EvidenceKind>(['succeeded', 'failed'])), 0);
  });
});

describe('inScope', () => {
  const cases: [string, string, string, string, boolean][] = [
    // [typePattern, environment, evidence type, evidence environment, expected]
    ['service.restart', 'staging', 'service.restart', 'staging', true],
    ['service.restart', 'staging', 'service.restart', 'production', false],
    ['service.restart', 'staging', 'service.restarts', 'staging', false],
    ['service.restart', 'staging', 'serviceXrestart', 'staging', false],
    ['service.*', 'staging', 'service.restart', 'staging', true],
    ['service.*', 'staging', 'cache.flush', 'staging', false],
    ['svc.*', 'staging', 'svcXflush', 'staging', false],
    ['*.restart', 'production', 'service.restart', 'production', true],
    ['*', 'staging', 'cache.flush', 'staging', true],
    ['*', '*', 'database.migrate', 'production', true],
    ['service.restart', '*', 'service.restart', 'production', true],
    ['service.restart', '*', 'service.restart', 'staging', true],
    ['service.restart', '*', 'cache.flush', 'staging', false],
    ['service', '*', 'service.restart', 'staging', false],
  ];
  for (const [typePattern, environment, type, env, expected] of cases) {
    it(`${typePattern}@${environment} ${expected ? 'holds' : 'does not hold'} ${type}@${env}`, () =>
      assert.equal(inScope({ typePattern, environment }, { type, environment: env }), expected));
  }
});

let seq = 0;
function ev(
  actionId: string,
  kind: EvidenceKind,
  at: string,
  opts: { type?: string; environment?: string; level?: TrustLevel; confidence?: number | null } = {},
): EvidenceRecord {
  return {
    id: `ev-${++seq}`,
    agentId: 'triage-bot',
    actionId,
    type: opts.type ?? 'service.restart',
    environment: opts.environment ?? 'staging',
    kind,
    level: opts.level ?? 2,
    confidence: opts.confidence === undefined ? 0.9 : opts.confidence,
    by: 'airlock',
    detail: null,
    at,
  };
}

const d = (day: number, hour = 0) =>
  `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`;
const WINDOW = { since: d(1), until: d(30) };

/** Ten-odd actions of `triage-bot`, most in `service.*@staging`; see the comments for what each adds. */
const LEDGER: EvidenceRecord[] = [
  // a1, level 2, 0.9: approved unchanged, succeeded. Executed ok, agreed, label 1.
  ev('a1', 'approved_unchanged', d(9), { confidence: 0.9 }),
  ev('a1', 'succeeded', d(10), { confidence: 0.9 }),
  // a2, level 2, 0.8: approved unchanged, rolled back (and demoted). Executed not ok, agreed, label 0.
  ev('a2', 'approved_unchanged', d(11), { confidence: 0.8 }),
  ev('a2', 'rolled_back', d(12), { confidence: 0.8 }),
  ev('a2', 'demoted', d(12), { confidence: 0.8 }),
  // a3, service.scale, level 1, 0.6: approved changed, succeeded. Executed ok, not agreed, label 0.
  ev('a3', 'approved_changed', d(13), { type: 'service.scale', level: 1, confidence: 0.6 }),
  ev('a3', 'succeeded', d(14), { type: 'service.scale', level: 1, confidence: 0.6 }),
  // a4, level 0, 0.3: advice disagreed. Not agreed, label 0.
  ev('a4', 'advice_disagreed', d(15), { level: 0, confidence: 0.3 }),
  // a5, level 0, 0.7: advice agreed. Agreed, label 1.
  ev('a5', 'advice_agreed', d(16), { level: 0, confidence: 0.7 }),
  // a6, level 2, no confidence: succeeded, then an incident. Executed not ok, label 0, not calibrated.
  ev('a6', 'succeeded', d(17), { confidence: null }),
  ev('a6', 'incident', d(20), { confidence: null }),
  // a7, level 2, 0.95: unknown (and demoted). Executed not ok, label null.
  ev('a7', 'unknown', d(18), { confidence: 0.95 }),
  ev('a7', 'demoted', d(18), { confidence: 0.95 }),
  // a8, level 2, 0.85: denied by a person. Not agreed, label 0.
  ev('a8', 'denied_by_person', d(19), { confidence: 0.85 }),
  // a9, level 1: expired. No verdict, label null.
  ev('a9', 'expired', d(21), { level: 1, confidence: 0.4 }),
  // a10, level 2, 0.5: verification failed, rolled back (and demoted). Executed not ok, label 0.
  ev('a10', 'verification_failed', d(22), { confidence: 0.5 }),
  ev('a10', 'rolled_back', d(22, 1), { confidence: 0.5 }),
  ev('a10', 'demoted', d(22, 1), { confidence: 0.5 }),
  // a11, level 2, 1.0: succeeded exactly at `since` (inside). Executed ok, label 1.
  ev('a11', 'succeeded', d(1), { confidence: 1 }),
  // a12, level 0, 0.65: advice agreed exactly at `until` (inside). Agreed, label 1.
  ev('a12', 'advice_agreed', d(30), { level: 0, confidence: 0.65 }),
  // Outside service.*@staging: a rollback in production, an incident of cache.flush.
  ev('b1', 'rolled_back', d(25), { environment: 'production' }),
  ev('b2', 'incident', d(26), { type: 'cache.flush' }),
  // Outside the window: a rollback before `since`, an incident after `until`.
  ev('b3', 'rolled_back', '2026-10-31T23:59:59.999Z'),
  ev('b3', 'incident', '2026-11-30T00:00:00.001Z'),
];

describe('scopeMetrics on a hand-built ledger (service.*@staging at level 2)', () => {
  const m = scopeMetrics(LEDGER, { typePattern: 'service.*', environment: 'staging' }, 2, WINDOW);

  it('keeps the window it was given', () => {
    assert.equal(m.since, WINDOW.since);
    assert.equal(m.until, WINDOW.until);
  });

  it('counts each kind in scope and window (a1–a12 only)', () => {
    assert.deepEqual(m.counts, {
      succeeded: 4, // a1, a3, a6, a11
      failed: 0,
      rolled_back: 2, // a2, a10 (b1 is production, b3 before the window)
      unknown: 1, // a7
      verification_failed: 1, // a10
      approved_unchanged: 2, // a1, a2
      approved_changed: 1, // a3
      denied_by_person: 1, // a8
      expired: 1, // a9
      advice_agreed: 2, // a5, a12
      advice_disagreed: 1, // a4
      incident: 1, // a6 (b2 is cache.flush, b3 after the window)
      denied_burst: 0,
      demoted: 3, // a2, a7, a10
    });
  });

  it('counts evidence at the current level (2): labelled, approved unchanged, succeeded', () => {
    // Level-2 actions: a1 (label 1, approved, ok), a2 (label 0, approved), a6 (label 0), a7 (label
    // null), a8 (label 0), a10 (label 0), a11 (label 1, ok). Labelled: 6; approved: 2; succeeded: 2.
    assert.deepEqual(m.atLevel, { level: 2, evidence: 6, approved: 2, succeeded: 2 });
  });

  it('the same ledger at level 0 counts only a4, a5, a12', () => {
    const at0 = scopeMetrics(LEDGER, { typePattern: 'service.*', environment: 'staging' }, 0, WINDOW);
    // a4 label 0, a5 label 1, a12 label 1: 3 labelled, none approved or succeeded.
    assert.deepEqual(at0.atLevel, { level: 0, evidence: 3, approved: 0, succeeded: 0 });
  });

  it('success: 3 of 7 executions, Wilson lower bound ≈ 0.15822', () => {
    // Executed: a1, a2, a3, a6, a7, a10, a11 = 7. Ok (succeeded, no failure or incident): a1, a3, a11 = 3.
    // p = 3/7 = 0.428571; z² = 3.841459; z²/2n = 0.274390; p(1−p)/n = 0.244898/7 = 0.034985;
    // z²/4n² = 3.841459/196 = 0.019599; √(0.054584) = 0.233634; ·z = 0.457913;
    // (0.428571 + 0.274390 − 0.457913) / (1 + 3.841459/7) = 0.245048 / 1.548780 = 0.158220.
    assert.equal(m.success.successes, 3);
    assert.equal(m.success.trials, 7);
    near(m.success.rate, 3 / 7, 'success rate');
    near(m.success.lower, 0.15822, 'success lower bound');
  });

  it('agreement: 4 of 7 verdicts, Wilson lower bound ≈ 0.25046', () => {
    // Verdicts: a1, a2 (approved unchanged), a3 (changed), a4 (disagreed), a5, a12 (agreed),
    // a8 (denied) = 7; agreed: a1, a2, a5, a12 = 4. p = 4/7 = 0.571429, same spread as above:
    // (0.571429 + 0.274390 − 0.457913) / 1.548780 = 0.387906 / 1.548780 = 0.250459.
    assert.equal(m.agreement.successes, 4);
    assert.equal(m.agreement.trials, 7);
    near(m.agreement.rate, 4 / 7, 'agreement rate');
    near(m.agreement.lower, 0.250459, 'agreement lower bound');
  });

  it('rollbacks and the last rollback and incident', () => {
    assert.equal(m.rollbacks, 2);
    assert.equal(m.lastRollbackAt, d(22, 1)); // a10's, after a2's on the 12th
    assert.equal(m.lastIncidentAt, d(20)); // a6's
  });

  it('calibration over the nine labelled actions with a stated confidence', () => {
    // Points (confidence, label): a1 (0.9, 1), a2 (0.8, 0), a3 (0.6, 0), a4 (0.3, 0), a5 (0.7, 1),
    // a8 (0.85, 0), a10 (0.5, 0), a11 (1, 1), a12 (0.65, 1). a6 has no confidence, a7 and a9 no label.
    assert.equal(m.calibration.n, 9);
    // Brier: 0.01 + 0.64 + 0.36 + 0.09 + 0.09 + 0.7225 + 0.25 + 0 + 0.1225 = 2.285; / 9 = 0.253889.
    near(m.calibration.brier, 0.253889, 'brier');
    // Bins: 3 {0.3:0} |0.3−0|; 5 {0.5:0} |0.5−0|; 6 {0.6:0, 0.65:1} |0.625−0.5| = 0.125;
    // 7 {0.7:1} |0.7−1| = 0.3; 8 {0.8:0, 0.85:0} |0.825−0| = 0.825; 9 {0.9:1, 1:1} |0.95−1| = 0.05.
    // ECE = (0.3 + 0.5 + 2·0.125 + 0.3 + 2·0.825 + 2·0.05) / 9 = 3.1 / 9 = 0.344444.
    near(m.calibration.ece, 0.344444, 'ece');
    assert.deepEqual(
      m.calibration.table.map((b) => b.count),
      [0, 0, 0, 1, 0, 1, 2, 1, 2, 2],
    );
  });
});

describe('scopeMetrics: other scopes of the same ledger', () => {
  it('service.restart@* takes in the production rollback and leaves out service.scale', () => {
    const m = scopeMetrics(LEDGER, { typePattern: 'service.restart', environment: '*' }, 2, WINDOW);
    // a2, a10 and b1 rolled back; b1 (the 25th) is the latest. a3 (service.scale) is out: 3 succeeded.
    assert.equal(m.rollbacks, 3);
    assert.equal(m.lastRollbackAt, d(25));
    assert.equal(m.counts.succeeded, 3);
    assert.equal(m.counts.approved_changed, 0);
    // b1 executed at level 2 and rolled back: 7 − a3 + b1 = 7 executions, 2 ok (a1, a11).
    assert.deepEqual([m.success.successes, m.success.trials], [2, 7]);
    // b1 rolled back at level 2 with confidence 0.9: labelled at level 6 − 0 + 1 = 7.
    assert.equal(m.atLevel.evidence, 7);
  });

  it('*@staging takes in the cache.flush incident as the last incident', () => {
    const m = scopeMetrics(LEDGER, { typePattern: '*', environment: 'staging' }, 2, WINDOW);
    assert.equal(m.lastIncidentAt, d(26));
    assert.equal(m.counts.incident, 2);
    assert.equal(m.rollbacks, 2);
  });

  it('a window holding only b3 sees its rollback and incident', () => {
    const m = scopeMetrics(LEDGER, { typePattern: 'service.*', environment: 'staging' }, 2, {
      since: '2026-10-01T00:00:00.000Z',
      until: '2026-12-31T00:00:00.000Z',
    });
    assert.equal(m.rollbacks, 3); // a2, a10, b3
    assert.equal(m.lastRollbackAt, d(22, 1));
    assert.equal(m.lastIncidentAt, '2026-11-30T00:00:00.001Z');
  });

  it('no evidence: zero counts, null rates and calibration', () => {
    const m = scopeMetrics([], { typePattern: '*', environment: '*' }, 1, WINDOW);
    assert.ok(Object.values(m.counts).every((n) => n === 0));
    assert.deepEqual(m.success, { successes: 0, trials: 0, rate: null, lower: null });
    assert.deepEqual(m.agreement, { successes: 0, trials: 0, rate: null, lower: null });
    assert.deepEqual(m.atLevel, { level: 1, evidence: 0, approved: 0, succeeded: 0 });
    assert.equal(m.lastRollbackAt, null);
    assert.equal(m.lastIncidentAt, null);
    assert.deepEqual([m.calibration.n, m.calibration.brier, m.calibration.ece], [0, null, null]);
  });
});
