/** Tests checkPromotion at each criterion's boundary, and demotionFor/demotedLevel for every kind, rule and level. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrustLevel } from '../domain/levels.ts';
import { demotedLevel, demotionFor } from './demotion.ts';
import { EVIDENCE_KINDS, type EvidenceKind, type ScopeMetrics } from './evidence.ts';
import { checkPromotion } from './promotion.ts';
import { rateOf } from './stats.ts';
import {
  type DemotionAction,
  type DemotionRules,
  demotionSchema,
  type PromotionCriteria,
  type PromotionRules,
  promotionSchema,
} from './trust-rules.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-11-24T10:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

type MetricsPatch = {
  atLevel?: Partial<ScopeMetrics['atLevel']>;
  successLower?: number | null;
  agreementLower?: number | null;
  ece?: number | null;
  brier?: number | null;
  lastRollbackAt?: string | null;
  lastIncidentAt?: string | null;
};

/** Metrics that meet every default criterion at any level, patched where a test needs it. */
function metricsOf(level: TrustLevel, p: MetricsPatch = {}): ScopeMetrics {
  const rate = (lower: number | null | undefined) => ({
    ...rateOf(200, 200),
    lower: lower === undefined ? 1 : lower,
  });
  return {
    since: ago(90 * DAY),
    until: NOW.toISOString(),
    counts: Object.fromEntries(EVIDENCE_KINDS.map((k) => [k, 0])) as ScopeMetrics['counts'],
    atLevel: { level, evidence: 200, approved: 200, succeeded: 200, ...p.atLevel },
    success: rate(p.successLower),
    agreement: rate(p.agreementLower),
    rollbacks: 0,
    lastRollbackAt: p.lastRollbackAt ?? null,
    lastIncidentAt: p.lastIncidentAt ?? null,
    calibration: {
      n: 200,
      brier: p.brier === undefined ? 0 : p.brier,
      ece: p.ece === undefined ? 0 : p.ece,
      table: [],
    },
  };
}

/** Rules with `criteria` to reach level 1 and nothing else. */
const toLevel1 = (criteria: PromotionCriteria): PromotionRules => ({
  toLevel1: criteria,
  toLevel2: {},
  toLevel3: {},
});

describe('checkPromotion: each criterion at its boundary (level 0 → 1)', () => {
  // biome-ignore format: one case a line reads as a table
  const cases: {
    name: string;
    criteria: PromotionCriteria;
    metrics?: MetricsPatch;
    levelSince?: string | null;
    passed: boolean;
    observed: number | null;
    required: number;
    message: string;
  }[] = [
    { name: 'minEvidence met exactly', criteria: { minEvidence: 20 }, metrics: { atLevel: { evidence: 20 } }, passed: true, observed: 20, required: 20, message: 'labelled outcomes at level 0 20 ≥ 20' },
    { name: 'minEvidence one short', criteria: { minEvidence: 20 }, metrics: { atLevel: { evidence: 19 } }, passed: false, observed: 19, required: 20, message: 'labelled outcomes at level 0 19 < 20' },
    { name: 'minApproved met exactly', criteria: { minApproved: 50 }, metrics: { atLevel: { approved: 50 } }, passed: true, observed: 50, required: 50, message: 'approved unchanged at level 0 50 ≥ 50' },
    { name: 'minApproved one short', criteria: { minApproved: 50 }, metrics: { atLevel: { approved: 49 } }, passed: false, observed: 49, required: 50, message: 'approved unchanged at level 0 49 < 50' },
    { name: 'minSucceeded met exactly', criteria: { minSucceeded: 100 }, metrics: { atLevel: { succeeded: 100 } }, passed: true, observed: 100, required: 100, message: 'succeeded at level 0 100 ≥ 100' },
    { name: 'minSucceeded one short', criteria: { minSucceeded: 100 }, metrics: { atLevel: { succeeded: 99 } }, passed: false, observed: 99, required: 100, message: 'succeeded at level 0 99 < 100' },
    { name: 'minAgreementLowerBound met exactly', criteria: { minAgreementLowerBound: 0.8 }, metrics: { agreementLower: 0.8 }, passed: true, observed: 0.8, required: 0.8, message: 'agreement (Wilson lower bound) 0.8 ≥ 0.8' },
    { name: 'minAgreementLowerBound just under', criteria: { minAgreementLowerBound: 0.8 }, metrics: { agreementLower: 0.799 }, passed: false, observed: 0.799, required: 0.8, message: 'agreement (Wilson lower bound) 0.799 < 0.8' },
    { name: 'minAgreementLowerBound with no verdicts', criteria: { minAgreementLowerBound: 0.8 }, metrics: { agreementLower: null }, passed: false, observed: null, required: 0.8, message: 'agreement (Wilson lower bound) none yet < 0.8' },
    { name: 'minSuccessLowerBound met exactly', criteria: { minSuccessLowerBound: 0.95 }, metrics: { successLower: 0.95 }, passed: true, observed: 0.95, required: 0.95, message: 'success (Wilson lower bound) 0.95 ≥ 0.95' },
    { name: 'minSuccessLowerBound just under', criteria: { minSuccessLowerBound: 0.95 }, metrics: { successLower: 0.949 }, passed: false, observed: 0.949, required: 0.95, message: 'success (Wilson lower bound) 0.949 < 0.95' },
    { name: 'minSuccessLowerBound with no executions', criteria: { minSuccessLowerBound: 0.95 }, metrics: { successLower: null }, passed: false, observed: null, required: 0.95, message: 'success (Wilson lower bound) none yet < 0.95' },
    { name: 'maxEce met exactly', criteria: { maxEce: 0.1 }, metrics: { ece: 0.1 }, passed: true, observed: 0.1, required: 0.1, message: 'calibration error (ECE) 0.1 ≤ 0.1' },
    { name: 'maxEce just over', criteria: { maxEce: 0.1 }, metrics: { ece: 0.101 }, passed: false, observed: 0.101, required: 0.1, message: 'calibration error (ECE) 0.101 > 0.1' },
    { name: 'maxEce with nothing labelled', criteria: { maxEce: 0.1 }, metrics: { ece: null }, passed: false, observed: null, required: 0.1, message: 'calibration error (ECE) not measurable yet > 0.1' },
    { name: 'maxBrier met exactly', criteria: { maxBrier: 0.2 }, metrics: { brier: 0.2 }, passed: true, observed: 0.2, required: 0.2, message: 'Brier score 0.2 ≤ 0.2' },
    { name: 'maxBrier just over', criteria: { maxBrier: 0.2 }, metrics: { brier: 0.201 }, passed: false, observed: 0.201, required: 0.2, message: 'Brier score 0.201 > 0.2' },
    { name: 'maxBrier with nothing labelled', criteria: { maxBrier: 0.2 }, metrics: { brier: null }, passed: false, observed: null, required: 0.2, message: 'Brier score not measurable yet > 0.2' },
    // required is in days: 30d = 2 592 000 000 ms / 86 400 000 = 30.
    { name: 'noRollbackWithin with no rollback', criteria: { noRollbackWithin: 30 * DAY }, passed: true, observed: null, required: 30, message: 'no rollback on record (needs none within 30d)' },
    { name: 'noRollbackWithin, rollback exactly 30 days ago', criteria: { noRollbackWithin: 30 * DAY }, metrics: { lastRollbackAt: ago(30 * DAY) }, passed: true, observed: 30, required: 30, message: `last rollback at ${ago(30 * DAY)}` },
    // 30 days less one hour: (30·24 − 1) / 24 = 719/24 days.
    { name: 'noRollbackWithin, rollback an hour too recent', criteria: { noRollbackWithin: 30 * DAY }, metrics: { lastRollbackAt: ago(30 * DAY - 3_600_000) }, passed: false, observed: 719 / 24, required: 30, message: `last rollback at ${ago(30 * DAY - 3_600_000)}, within 30d` },
    { name: 'noIncidentWithin with no incident', criteria: { noIncidentWithin: 30 * DAY }, passed: true, observed: null, required: 30, message: 'no incident on record (needs none within 30d)' },
    { name: 'noIncidentWithin, incident exactly 30 days ago', criteria: { noIncidentWithin: 30 * DAY }, metrics: { lastIncidentAt: ago(30 * DAY) }, passed: true, observed: 30, required: 30, message: `last incident at ${ago(30 * DAY)}` },
    // 30 days less 12 hours = 29.5 days.
    { name: 'noIncidentWithin, incident 29.5 days ago', criteria: { noIncidentWithin: 30 * DAY }, metrics: { lastIncidentAt: ago(29.5 * DAY) }, passed: false, observed: 29.5, required: 30, message: `last incident at ${ago(29.5 * DAY)}, within 30d` },
    { name: 'minTimeAtLevel held exactly 3 days', criteria: { minTimeAtLevel: 3 * DAY }, levelSince: ago(3 * DAY), passed: true, observed: 3, required: 3, message: 'days at level 0 3 ≥ 3' },
    // 3 days less 6 hours = 2.75 days.
    { name: 'minTimeAtLevel held 2.75 days', criteria: { minTimeAtLevel: 3 * DAY }, levelSince: ago(2.75 * DAY), passed: false, observed: 2.75, required: 3, message: 'days at level 0 2.75 < 3' },
    { name: 'minTimeAtLevel never granted', criteria: { minTimeAtLevel: 3 * DAY }, levelSince: null, passed: false, observed: null, required: 3, message: 'days at level 0 none yet < 3' },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const check = checkPromotion(
        toLevel1(c.criteria),
        0,
        metricsOf(0, c.metrics),
        c.levelSince === undefined ? ago(365 * DAY) : c.levelSince,
        NOW,
      );
      assert.ok(check !== null);
      assert.equal(check.criteria.length, 1);
      const [result] = check.criteria;
      assert.equal(result?.criterion, Object.keys(c.criteria)[0]);
      assert.equal(result?.passed, c.passed);
      if (c.observed === null) assert.equal(result?.observed, null);
      else assert.ok(Math.abs((result?.observed ?? Number.NaN) - c.observed) < 1e-9, `${result?.observed}`);
      assert.equal(result?.required, c.required);
      assert.equal(result?.message, c.message);
      assert.equal(check.qualifies, c.passed, 'one criterion: qualifies exactly when it passes');
    });
  }
});

describe('checkPromotion: levels and the default criteria', () => {
  const defaults: PromotionRules = promotionSchema.parse({});

  it('level 3 has no next level', () => {
    assert.equal(checkPromotion(defaults, 3, metricsOf(3), ago(365 * DAY), NOW), null);
  });

  it('each level is checked against the criteria of the level above', () => {
    const rules: PromotionRules = {
      toLevel1: { minEvidence: 1 },
      toLevel2: { minApproved: 1 },
      toLevel3: { minSucceeded: 1 },
    };
    const names = ([0, 1, 2] as const).map((level) => {
      const check = checkPromotion(rules, level, metricsOf(level), null, NOW);
      return [check?.from, check?.to, check?.criteria.map((r) => r.criterion)];
    });
    assert.deepEqual(names, [
      [0, 1, ['minEvidence']],
      [1, 2, ['minApproved']],
      [2, 3, ['minSucceeded']],
    ]);
  });

  const expectedOrder: Record<0 | 1 | 2, string[]> = {
    0: ['minEvidence', 'minAgreementLowerBound', 'minTimeAtLevel'],
    1: ['minApproved', 'minAgreementLowerBound', 'maxEce', 'noRollbackWithin', 'minTimeAtLevel'],
    2: [
      'minSucceeded',
      'minSuccessLowerBound',
      'maxEce',
      'noRollbackWithin',
      'noIncidentWithin',
      'minTimeAtLevel',
    ],
  };
  // What breaks each default criterion (and only it), given metricsOf's all-good values.
  const breaks: Record<string, { metrics?: MetricsPatch; levelSince?: string }> = {
    minEvidence: { metrics: { atLevel: { evidence: 19 } } },
    minApproved: { metrics: { atLevel: { approved: 49 } } },
    minSucceeded: { metrics: { atLevel: { succeeded: 99 } } },
    minAgreementLowerBound: { metrics: { agreementLower: null } },
    minSuccessLowerBound: { metrics: { successLower: 0.94 } },
    maxEce: { metrics: { ece: 0.2 } },
    noRollbackWithin: { metrics: { lastRollbackAt: ago(DAY) } },
    noIncidentWithin: { metrics: { lastIncidentAt: ago(DAY) } },
    minTimeAtLevel: { levelSince: ago(DAY) },
  };

  for (const level of [0, 1, 2] as const) {
    it(`level ${level}: qualifies when every default criterion passes`, () => {
      const check = checkPromotion(defaults, level, metricsOf(level), ago(31 * DAY), NOW);
      assert.deepEqual(
        check?.criteria.map((r) => r.criterion),
        expectedOrder[level],
      );
      assert.ok(
        check?.criteria.every((r) => r.passed),
        JSON.stringify(check?.criteria),
      );
      assert.equal(check?.qualifies, true);
    });

    for (const criterion of expectedOrder[level]) {
      it(`level ${level}: ${criterion} alone failing blocks the promotion`, () => {
        const b = breaks[criterion] ?? {};
        const check = checkPromotion(
          defaults,
          level,
          metricsOf(level, b.metrics),
          b.levelSince ?? ago(31 * DAY),
          NOW,
        );
        assert.deepEqual(
          check?.criteria.filter((r) => !r.passed).map((r) => r.criterion),
          [criterion],
        );
        assert.equal(check?.qualifies, false);
      });
    }
  }

  it('no criteria at all: nothing to fail, qualifies', () => {
    const check = checkPromotion(toLevel1({}), 0, metricsOf(0), null, NOW);
    assert.deepEqual(check, { from: 0, to: 1, qualifies: true, criteria: [] });
  });
});

describe('demotionFor', () => {
  const defaults: DemotionRules = demotionSchema.parse({});
  // Default rules: rollback, verification failure and unknown drop one level; an incident drops to
  // 0; a failure does nothing; a burst of denials drops one. Every other kind is no demotion event.
  const DEFAULT: Record<EvidenceKind, { rule: string; action: DemotionAction } | null> = {
    succeeded: null,
    failed: null,
    rolled_back: { rule: 'rollback', action: 'drop_one' },
    unknown: { rule: 'unknown', action: 'drop_one' },
    verification_failed: { rule: 'verificationFailed', action: 'drop_one' },
    approved_unchanged: null,
    approved_changed: null,
    denied_by_person: null,
    expired: null,
    advice_agreed: null,
    advice_disagreed: null,
    incident: { rule: 'incident', action: 'drop_to_zero' },
    denied_burst: { rule: 'deniedBurst', action: 'drop_one' },
    demoted: null,
  };

  it('the table covers every evidence kind', () => {
    assert.deepEqual(Object.keys(DEFAULT).sort(), [...EVIDENCE_KINDS].sort());
  });

  for (const [kind, expected] of Object.entries(DEFAULT) as [
    EvidenceKind,
    (typeof DEFAULT)[EvidenceKind],
  ][]) {
    it(`default rules: ${kind} → ${expected === null ? 'no demotion' : `${expected.rule}/${expected.action}`}`, () =>
      assert.deepEqual(demotionFor(defaults, kind), expected));
  }

  it('failed demotes when its rule says so', () => {
    const rules = demotionSchema.parse({ failed: 'suspend' });
    assert.deepEqual(demotionFor(rules, 'failed'), { rule: 'failed', action: 'suspend' });
  });

  const none: DemotionRules = demotionSchema.parse({
    rollback: 'none',
    verificationFailed: 'none',
    unknown: 'none',
    failed: 'none',
    incident: 'none',
    deniedBurst: { count: 5, within: '1h', action: 'none' },
  });

  for (const kind of EVIDENCE_KINDS.filter((k) => k !== 'denied_burst')) {
    it(`rules set to none: ${kind} → no demotion`, () => assert.equal(demotionFor(none, kind), null));
  }

  it('rules set to none: denied_burst → no demotion', () =>
    assert.equal(
      demotionFor(none, 'denied_burst'),
      null,
      'a burst rule set to none demotes nobody, like every other rule set to none',
    ));
});

describe('demotedLevel', () => {
  // [action, [from 0, 1, 2, 3] → level after]
  const TABLE: [DemotionAction, TrustLevel[]][] = [
    ['drop_one', [0, 0, 1, 2]], // max(0, level − 1)
    ['drop_to_zero', [0, 0, 0, 0]],
    ['suspend', [0, 1, 2, 3]], // suspension stops the agent, levels stay
    ['none', [0, 1, 2, 3]],
  ];
  for (const [action, after] of TABLE) {
    for (const from of [0, 1, 2, 3] as const) {
      it(`${action} from ${from} → ${after[from]}`, () =>
        assert.equal(demotedLevel(from, action), after[from]));
    }
  }
});
