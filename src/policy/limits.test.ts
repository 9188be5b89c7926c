/** Tests the pure part of policy limits: counter keys, facts from counts and inventory, and judging. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActionRequest, Target } from '../domain/action.ts';
import { judgeLimit, type LimitFact, limitCounters, limitFacts } from './limits.ts';
import { compile } from './policy-test-helpers.ts';

const BUNDLE = compile([
  [
    'policies/limits.yaml',
    `limits:
  - name: restart-rate
    match: { types: [service.restart], environments: [production] }
    rate: { count: 5, per: 1h, by: [agent, type] }
    effect: escalate
    reason: at most 5 restarts an hour without a human
  - name: per-target
    match: { types: [service.*] }
    rate: { count: 2, per: 15m, by: [target] }
    effect: deny
    reason: leave a target alone after two changes
  - name: blast-radius
    targets: { max: 3 }
    effect: deny
    reason: never more than 3 targets at once
  - name: share-of-service
    match: { types: [service.restart] }
    fraction: { max: 0.25 }
    effect: escalate
    reason: a quarter of a service at most
  - name: changes-in-flight
    match: { environments: [production] }
    inFlight: { max: 3, by: [environment] }
    effect: escalate
    reason: three changes at a time
`,
  ],
]);

function request(overrides: Partial<ActionRequest> = {}): ActionRequest {
  return {
    type: 'service.restart',
    environment: 'production',
    targets: [{ id: 'checkout-1' }],
    params: {},
    confidence: 0.9,
    anomalyScore: 0.1,
    reasoning: null,
    context: null,
    incident: null,
    ...overrides,
  };
}

const NONE = new Map<string, number>();
const KEYS = {
  rate: 'restart-rate|agent=a1|type=service.restart',
  target1: 'per-target|target=checkout-1',
  target2: 'per-target|target=checkout-2',
  inFlight: 'changes-in-flight|environment=production',
};

describe('limitCounters', () => {
  it('asks for one key per applicable counted limit, with the window of a rate', () => {
    assert.deepEqual(limitCounters(BUNDLE, request(), 'a1'), [
      { limit: 'restart-rate', kind: 'rate', key: KEYS.rate, since: 3_600_000 },
      { limit: 'per-target', kind: 'rate', key: KEYS.target1, since: 900_000 },
      { limit: 'changes-in-flight', kind: 'in_flight', key: KEYS.inFlight },
    ]);
  });

  it('asks for one key per distinct target of a limit kept per target', () => {
    const targets = [{ id: 'checkout-1' }, { id: 'checkout-2' }, { id: 'checkout-1' }];
    assert.deepEqual(
      limitCounters(BUNDLE, request({ type: 'service.scale', environment: 'staging', targets }), 'a1'),
      [
        { limit: 'per-target', kind: 'rate', key: KEYS.target1, since: 900_000 },
        { limit: 'per-target', kind: 'rate', key: KEYS.target2, since: 900_000 },
      ],
    );
  });

  it('skips limits whose match does not cover the action, and a per-target limit without targets', () => {
    assert.deepEqual(
      limitCounters(BUNDLE, request({ type: 'cache.flush', environment: 'staging', targets: [] }), 'a1'),
      [],
    );
  });

  it('keys a limit counted by nothing by its name alone, and follows the default by', () => {
    const bundle = compile([
      [
        'l.yaml',
        'limits:\n  - name: global\n    inFlight: { max: 9, by: [] }\n    effect: deny\n    reason: r\n  - name: usual\n    rate: { count: 9, per: 1d }\n    effect: deny\n    reason: r\n',
      ],
    ]);
    assert.deepEqual(
      limitCounters(bundle, request(), 'a1').map((q) => q.key),
      ['global', 'usual|agent=a1|type=service.restart|environment=production'],
    );
  });
});

describe('limitFacts', () => {
  const counts = new Map([
    [KEYS.rate, 2],
    [KEYS.target1, 1],
    [KEYS.inFlight, 3],
  ]);

  it('builds one fact per check, with what was counted', () => {
    assert.deepEqual(limitFacts(BUNDLE, request(), 'a1', counts, NONE), [
      {
        limit: 'restart-rate',
        file: 'policies/limits.yaml',
        effect: 'escalate',
        reason: 'at most 5 restarts an hour without a human',
        kind: 'rate',
        key: KEYS.rate,
        observed: 2,
        max: 5,
        window: 3_600_000,
      },
      {
        limit: 'per-target',
        file: 'policies/limits.yaml',
        effect: 'deny',
        reason: 'leave a target alone after two changes',
        kind: 'rate',
        key: KEYS.target1,
        observed: 1,
        max: 2,
        window: 900_000,
      },
      {
        limit: 'blast-radius',
        file: 'policies/limits.yaml',
        effect: 'deny',
        reason: 'never more than 3 targets at once',
        kind: 'targets',
        key: null,
        observed: 1,
        max: 3,
      },
      {
        limit: 'changes-in-flight',
        file: 'policies/limits.yaml',
        effect: 'escalate',
        reason: 'three changes at a time',
        kind: 'in_flight',
        key: KEYS.inFlight,
        observed: 3,
        max: 3,
      },
    ]);
  });

  it('marks a count that could not be read as unknown, and judges it exceeded', () => {
    const facts = limitFacts(BUNDLE, request(), 'a1', new Map([[KEYS.target1, 0]]), NONE);
    const rate = facts.find((f) => f.limit === 'restart-rate');
    assert.equal(rate?.unknown, true);
    assert.equal(rate?.observed, 5);
    assert.deepEqual(judgeLimit(rate as LimitFact), {
      exceeded: true,
      message: 'restart-rate: the uses in the last 1h could not be counted; counted as exceeded',
    });
    const inFlight = facts.find((f) => f.limit === 'changes-in-flight') as LimitFact;
    assert.equal(inFlight.unknown, true);
    assert.equal(judgeLimit(inFlight).exceeded, true);
    assert.equal(facts.find((f) => f.limit === 'per-target')?.unknown, undefined);
  });

  it('treats a count that is not a count (negative, NaN) as unknown', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const facts = limitFacts(BUNDLE, request(), 'a1', new Map([[KEYS.rate, bad]]), NONE);
      const rate = facts.find((f) => f.limit === 'restart-rate') as LimitFact;
      assert.equal(rate.unknown, true, String(bad));
      assert.equal(judgeLimit(rate).exceeded, true);
    }
  });

  describe('fraction: one fact per service, total from inventory, else the request, else unknown', () => {
    const fractionOf = (targets: Target[], inventory: ReadonlyMap<string, number> = NONE) =>
      limitFacts(BUNDLE, request({ environment: 'staging', targets }), 'a1', NONE, inventory).filter(
        (f) => f.kind === 'fraction',
      );
    const checkout = (n: number, extra: Record<string, number> = {}) =>
      Array.from({ length: n }, (_, i) => ({ id: `checkout-${i + 1}`, service: 'checkout', ...extra }));

    it('takes the total from the inventory first', () => {
      const facts = fractionOf(checkout(3, { serviceInstances: 100 }), new Map([['checkout', 4]]));
      assert.deepEqual(facts, [
        {
          limit: 'share-of-service',
          file: 'policies/limits.yaml',
          effect: 'escalate',
          reason: 'a quarter of a service at most',
          kind: 'fraction',
          key: null,
          observed: 0.75,
          max: 0.25,
          service: 'checkout',
          total: 4,
          touched: 3,
        },
      ]);
      assert.deepEqual(judgeLimit(facts[0] as LimitFact), {
        exceeded: true,
        message: 'share-of-service: 3 of 4 checkout instances (75%) > 25%',
      });
    });

    it('else from the targets’ serviceInstances, the smallest when they disagree', () => {
      const targets = [
        { id: 'checkout-1', service: 'checkout', serviceInstances: 8 },
        { id: 'checkout-2', service: 'checkout', serviceInstances: 4 },
        { id: 'checkout-3', service: 'checkout', serviceInstances: 2.5 },
      ];
      const [fact] = fractionOf(targets);
      assert.equal(fact?.total, 4);
      assert.equal(
        judgeLimit(fact as LimitFact).message,
        'share-of-service: 3 of 4 checkout instances (75%) > 25%',
      );
    });

    it('else null: unknown, exceeded, and the message says the total is unknown', () => {
      const [fact] = fractionOf(checkout(1, { serviceInstances: 0 }), new Map([['payments', 10]]));
      assert.equal(fact?.total, null);
      assert.equal(fact?.unknown, true);
      assert.deepEqual(judgeLimit(fact as LimitFact), {
        exceeded: true,
        message:
          'share-of-service: the number of checkout instances is unknown (not in the inventory, no serviceInstances on the targets); counted as exceeded',
      });
    });

    it('groups targets by service and ignores targets without one', () => {
      const targets = [
        { id: 'checkout-1', service: 'checkout' },
        { id: 'db-1' },
        { id: 'cart-1', service: 'cart' },
        { id: 'checkout-2', service: 'checkout' },
      ];
      const facts = fractionOf(
        targets,
        new Map([
          ['checkout', 8],
          ['cart', 2],
        ]),
      );
      assert.deepEqual(
        facts.map((f) => [f.service, f.touched, f.total, judgeLimit(f).exceeded]),
        [
          ['checkout', 2, 8, false],
          ['cart', 1, 2, true],
        ],
      );
      assert.deepEqual(fractionOf([{ id: 'db-1' }]), []);
    });
  });
});

describe('judgeLimit', () => {
  const base = { limit: 'restart-rate', file: 'l.yaml', effect: 'escalate', reason: 'r' } as const;
  const rate = (observed: number, key: string | null = KEYS.rate): LimitFact => ({
    ...base,
    kind: 'rate',
    key,
    observed,
    max: 5,
    window: 3_600_000,
  });

  const cases: { name: string; fact: LimitFact; exceeded: boolean; message: string }[] = [
    {
      name: 'rate: the use that reaches the count passes',
      fact: rate(4),
      exceeded: false,
      message: '5th restart-rate use in 1h; the limit is 5',
    },
    {
      name: 'rate: the use after the count exceeds',
      fact: rate(5),
      exceeded: true,
      message: '6th restart-rate use in 1h; the limit is 5',
    },
    {
      name: 'rate: first use',
      fact: rate(0),
      exceeded: false,
      message: '1st restart-rate use in 1h; the limit is 5',
    },
    {
      name: 'rate: ordinals in the teens',
      fact: rate(11),
      exceeded: true,
      message: '12th restart-rate use in 1h; the limit is 5',
    },
    {
      name: 'rate: ordinals past twenty',
      fact: rate(22),
      exceeded: true,
      message: '23rd restart-rate use in 1h; the limit is 5',
    },
    {
      name: 'rate kept per target names the target',
      fact: { ...rate(2, 'restart-rate|target=checkout-1'), max: 2, window: 900_000 },
      exceeded: true,
      message: '3rd restart-rate use in 15m on checkout-1; the limit is 2',
    },
    {
      name: 'in flight: room for one more',
      fact: { ...base, limit: 'flight', kind: 'in_flight', key: 'flight', observed: 2, max: 3 },
      exceeded: false,
      message: '3rd flight change in flight; the limit is 3',
    },
    {
      name: 'in flight: full',
      fact: { ...base, limit: 'flight', kind: 'in_flight', key: 'flight', observed: 3, max: 3 },
      exceeded: true,
      message: '4th flight change in flight; the limit is 3',
    },
    {
      name: 'targets: at the max',
      fact: { ...base, limit: 'blast', kind: 'targets', key: null, observed: 10, max: 10 },
      exceeded: false,
      message: 'blast: 10 targets; the limit is 10',
    },
    {
      name: 'targets: above the max',
      fact: { ...base, limit: 'blast', kind: 'targets', key: null, observed: 11, max: 10 },
      exceeded: true,
      message: 'blast: 11 targets; the limit is 10',
    },
    {
      name: 'fraction: exactly at the max',
      fact: {
        ...base,
        limit: 'share',
        kind: 'fraction',
        key: null,
        observed: 1 / 4,
        max: 0.25,
        service: 'checkout',
        total: 4,
        touched: 1,
      },
      exceeded: false,
      message: 'share: 1 of 4 checkout instances (25%) ≤ 25%',
    },
    {
      name: 'fraction: 3 of 10 is not above 0.3 (no float noise)',
      fact: {
        ...base,
        limit: 'share',
        kind: 'fraction',
        key: null,
        observed: 3 / 10,
        max: 0.3,
        service: 'api',
        total: 10,
        touched: 3,
      },
      exceeded: false,
      message: 'share: 3 of 10 api instances (30%) ≤ 30%',
    },
    {
      name: 'a stored fact of an unknown kind counts as exceeded',
      fact: { ...rate(1), kind: 'sideways' as never },
      exceeded: true,
      message: 'restart-rate: unknown kind of limit "sideways"; counted as exceeded',
    },
    {
      name: 'a stored fact with a number missing counts as exceeded',
      fact: { ...rate(1), observed: Number.NaN },
      exceeded: true,
      message: 'restart-rate: the uses in the last 1h could not be counted; counted as exceeded',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(judgeLimit(c.fact), { exceeded: c.exceeded, message: c.message });
    });
  }
});
