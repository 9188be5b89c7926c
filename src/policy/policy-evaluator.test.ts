/** Tests evaluatePolicy: combining matching rules, conditions that fail at run time, and CEL helpers and fields. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Effect, Reason } from '../domain/decision.ts';
import type { JsonObject } from '../domain/json.ts';
import type { TrustLevel } from '../domain/levels.ts';
import { evaluatePolicy } from './policy-evaluator.ts';
import { CONTEXT, compile, input, rule } from './policy-test-helpers.ts';

describe('evaluatePolicy: combining rules', () => {
  const bundle = compile([
    [
      'policies/a.yaml',
      `rules:\n${[
        rule('allow-restarts', null, 'allow', 'types: [service.restart]'),
        rule('escalate-production', null, 'escalate', 'environments: [production]'),
        rule('deny-many', 'size(request.targets) > 5', 'deny', 'types: ["service.*"]'),
        rule('allow-scaling', 'request.params.replicas <= 20', 'allow', 'types: ["*.scale"]'),
      ].join('')}`,
    ],
    [
      'policies/b.yaml',
      `rules:\n${[
        rule('escalate-big-scaling', 'request.params.replicas > 10', 'escalate', 'types: [deployment.scale]'),
        rule('allow-staging-flush', null, 'allow', 'types: [cache.flush]\nenvironments: [staging]'),
      ].join('')}`,
    ],
  ]);
  const targets = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `t${i}` }));

  const cases: { name: string; request: JsonObject; effect: Effect; rules: [string, Effect][] }[] = [
    {
      name: 'one allow rule',
      request: { type: 'service.restart', environment: 'staging' },
      effect: 'allow',
      rules: [['allow-restarts', 'allow']],
    },
    {
      name: 'escalate beats allow',
      request: { type: 'service.restart', environment: 'production' },
      effect: 'escalate',
      rules: [
        ['allow-restarts', 'allow'],
        ['escalate-production', 'escalate'],
      ],
    },
    {
      name: 'deny beats escalate and allow',
      request: { type: 'service.restart', environment: 'production', targets: targets(6) },
      effect: 'deny',
      rules: [
        ['allow-restarts', 'allow'],
        ['escalate-production', 'escalate'],
        ['deny-many', 'deny'],
      ],
    },
    {
      name: 'deny beats allow',
      request: { type: 'service.restart', environment: 'staging', targets: targets(6) },
      effect: 'deny',
      rules: [
        ['allow-restarts', 'allow'],
        ['deny-many', 'deny'],
      ],
    },
    {
      name: 'a glob type pattern and a rule from the second file',
      request: { type: 'deployment.scale', environment: 'staging', params: { replicas: 15 } },
      effect: 'escalate',
      rules: [
        ['allow-scaling', 'allow'],
        ['escalate-big-scaling', 'escalate'],
      ],
    },
    {
      name: 'service.* also covers service.scale, *.scale too',
      request: {
        type: 'service.scale',
        environment: 'staging',
        params: { replicas: 2 },
        targets: targets(7),
      },
      effect: 'deny',
      rules: [
        ['deny-many', 'deny'],
        ['allow-scaling', 'allow'],
      ],
    },
    {
      name: 'an environment filter that matches',
      request: { type: 'cache.flush', environment: 'staging' },
      effect: 'allow',
      rules: [['allow-staging-flush', 'allow']],
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.effect}, with every matching rule in bundle order`, () => {
      const result = evaluatePolicy(bundle, input({ request: c.request }));
      assert.equal(result.effect, c.effect);
      const file = (name: string) =>
        ['escalate-big-scaling', 'allow-staging-flush'].includes(name)
          ? 'policies/b.yaml'
          : 'policies/a.yaml';
      assert.deepEqual(
        result.reasons,
        c.rules.map(
          ([name, effect]): Reason => ({
            kind: 'rule',
            rule: name,
            file: file(name),
            effect,
            message: 'Because.',
          }),
        ),
      );
    });
  }

  const defaults: { name: string; request: JsonObject }[] = [
    { name: 'no rule for the type', request: { type: 'database.migrate', environment: 'staging' } },
    {
      name: 'an environment filter that does not match',
      request: { type: 'cache.flush', environment: 'dev' },
    },
    {
      name: 'conditions that are false',
      request: { type: 'service.scale', environment: 'staging', params: { replicas: 30 } },
    },
  ];
  for (const c of defaults) {
    it(`falls back to the default effect with a default reason: ${c.name}`, () => {
      assert.deepEqual(evaluatePolicy(bundle, input({ request: c.request })), {
        effect: 'escalate',
        reasons: [
          { kind: 'default', effect: 'escalate', message: 'no rule matched; the default effect is escalate' },
        ],
      });
    });
  }

  it('uses the default effect of the bundle', () => {
    const allowing = compile([['p.yaml', `rules:\n${rule('r', "'false'", 'deny')}`]], {
      ...CONTEXT,
      defaultEffect: 'allow',
    });
    assert.deepEqual(evaluatePolicy(allowing, input()), {
      effect: 'allow',
      reasons: [
        { kind: 'default', effect: 'allow', message: 'no rule matched; the default effect is allow' },
      ],
    });
  });
});

describe('evaluatePolicy: conditions that fail at run time', () => {
  const cases: {
    name: string;
    effect: Effect;
    when: string;
    request: JsonObject;
    expected: Effect;
    message: string;
  }[] = [
    {
      name: 'an allow rule reading a null confidence',
      effect: 'allow',
      when: 'request.confidence >= 0.8',
      request: { confidence: null },
      expected: 'escalate',
      message: 'could not evaluate "request.confidence >= 0.8": no such overload: dyn<null> >= double',
    },
    {
      name: 'an allow rule reading a confidence that is not there at all',
      effect: 'allow',
      when: 'request.confidence >= 0.8',
      request: { confidence: undefined as unknown as null },
      expected: 'escalate',
      message: 'could not evaluate "request.confidence >= 0.8": No such key: confidence',
    },
    {
      name: 'an allow rule reading a missing param',
      effect: 'allow',
      when: 'request.params.replicas <= 20',
      request: { params: {} },
      expected: 'escalate',
      message: 'could not evaluate "request.params.replicas <= 20": No such key: replicas',
    },
    {
      name: 'a deny rule reading a missing param still denies',
      effect: 'deny',
      when: 'request.params.replicas > 20',
      request: { params: {} },
      expected: 'deny',
      message: 'could not evaluate "request.params.replicas > 20": No such key: replicas',
    },
    {
      name: 'a rule whose dyn condition yields a number',
      effect: 'allow',
      when: 'request.params.replicas',
      request: {},
      expected: 'escalate',
      message: 'could not evaluate "request.params.replicas": condition yielded number, not a boolean',
    },
    {
      name: 'a rule whose time zone comes from the request and is unknown',
      effect: 'allow',
      when: 'localHour(now, request.params.zone) > 3',
      request: { params: { zone: 'Asia/Tokio' } },
      expected: 'escalate',
      message: 'could not evaluate "localHour(now, request.params.zone) > 3": unknown time zone "Asia/Tokio"',
    },
  ];
  for (const c of cases) {
    it(`${c.name}: a rule_error counted as ${c.expected}`, () => {
      const bundle = compile([['policies/p.yaml', `rules:\n${rule('r', `'${c.when}'`, c.effect)}`]]);
      const built = input();
      const result = evaluatePolicy(bundle, {
        ...built,
        request: Object.fromEntries(
          Object.entries({ ...built.request, ...c.request }).filter(([, v]) => v !== undefined),
        ),
      });
      assert.equal(result.effect, c.expected);
      assert.equal(result.reasons.length, 1);
      const [reason] = result.reasons;
      assert.equal(reason?.kind, 'rule_error');
      if (reason?.kind !== 'rule_error') return;
      assert.deepEqual(
        { rule: reason.rule, file: reason.file, effect: reason.effect },
        { rule: 'r', file: 'policies/p.yaml', effect: c.expected },
      );
      assert.equal(reason.message.split('\n')[0], c.message);
    });
  }

  it('a failing rule escalates past a matching allow, and a matching deny still wins', () => {
    const bundle = compile([
      [
        'p.yaml',
        `rules:\n${rule('ok', null, 'allow')}${rule('broken', "'request.confidence >= 0.8'", 'allow')}${rule('no', 'level < 1', 'deny')}`,
      ],
    ]);
    const escalated = evaluatePolicy(bundle, input({ level: 2 }));
    assert.equal(escalated.effect, 'escalate');
    assert.deepEqual(
      escalated.reasons.map((r) => [r.kind, 'rule' in r ? r.rule : null, 'effect' in r ? r.effect : null]),
      [
        ['rule', 'ok', 'allow'],
        ['rule_error', 'broken', 'escalate'],
      ],
    );
    const denied = evaluatePolicy(bundle, input({ level: 0 }));
    assert.equal(denied.effect, 'deny');
    assert.deepEqual(
      denied.reasons.map((r) => [r.kind, 'rule' in r ? r.rule : null, 'effect' in r ? r.effect : null]),
      [
        ['rule', 'ok', 'allow'],
        ['rule_error', 'broken', 'escalate'],
        ['rule', 'no', 'deny'],
      ],
    );
  });
});

describe('evaluatePolicy: CEL helpers and fields', () => {
  // 2026-03-30T07:30Z is Monday 09:30 in Berlin (CEST), Monday 16:30 in Tokyo, Monday 00:30 in Los Angeles (PDT).
  const many = Array.from({ length: 6 }, (_, i) => ({ id: `t${i}` }));
  const cases: { when: string; request?: JsonObject; level?: TrustLevel; now?: string; matched: boolean }[] =
    [
      { when: 'inWindow(now, "Mon-Fri 09:00-17:00 Europe/Berlin")', matched: true },
      {
        when: 'inWindow(now, "Mon-Fri 09:00-17:00 Europe/Berlin")',
        now: '2026-03-30T06:59:00Z',
        matched: false,
      },
      {
        when: 'inWindow(now, "Mon-Fri 09:00-17:00 Europe/Berlin")',
        now: '2026-03-30T15:00:00Z',
        matched: false,
      },
      {
        when: 'inWindow(now, "Mon-Fri 09:00-17:00 Europe/Berlin")',
        now: '2026-03-27T08:00:00Z',
        matched: true,
      },
      {
        when: 'inWindow(now, "Mon-Fri 09:00-17:00 Europe/Berlin")',
        now: '2026-04-04T10:00:00Z',
        matched: false,
      },
      {
        when: '!inWindow(now, "Mon-Fri 09:00-17:00 Europe/Berlin")',
        now: '2026-04-04T10:00:00Z',
        matched: true,
      },
      { when: 'inWindow(now, "daily 22:00-02:00")', now: '2026-03-31T01:59:00Z', matched: true },
      { when: 'localHour(now, "Asia/Tokyo") == 16', matched: true },
      { when: 'localHour(now, "Asia/Tokyo") == 0', now: '2026-03-30T15:00:00Z', matched: true },
      { when: 'localHour(now, "Europe/Berlin") == 9', matched: true },
      { when: 'localHour(now, "Europe/Berlin") == 8', now: '2026-03-27T07:30:00Z', matched: true },
      { when: 'localWeekday(now, "Asia/Tokyo") == 1', matched: true },
      { when: 'localWeekday(now, "Asia/Tokyo") == 2', now: '2026-03-30T15:00:00Z', matched: true },
      { when: 'localWeekday(now, "America/Los_Angeles") == 1', matched: true },
      { when: 'localWeekday(now, "America/Los_Angeles") == 0', now: '2026-03-30T06:00:00Z', matched: true },
      { when: 'localWeekday(now, "UTC") in [0, 6]', now: '2026-04-04T10:00:00Z', matched: true },
      { when: 'request.targets.exists(t, has(t.pci) && t.pci)', matched: false },
      {
        when: 'request.targets.exists(t, has(t.pci) && t.pci)',
        request: { targets: [{ id: 'a' }, { id: 'b', pci: true }] },
        matched: true,
      },
      {
        when: 'request.targets.exists(t, has(t.pci) && t.pci)',
        request: { targets: [{ id: 'a', pci: false }] },
        matched: false,
      },
      { when: 'size(request.targets) > 5', request: { targets: many.slice(0, 5) }, matched: false },
      { when: 'size(request.targets) > 5', request: { targets: many }, matched: true },
      { when: 'level >= 2', level: 2, matched: true },
      { when: 'level >= 2', level: 1, matched: false },
      { when: 'level >= 2', level: 3, matched: true },
      { when: 'level == 0', level: 0, matched: true },
      { when: 'request.params.replicas > 2', matched: true },
      { when: 'request.params.replicas > 3', matched: false },
      { when: 'request.confidence >= 0.8', request: { confidence: 0.9 }, matched: true },
      { when: 'request.confidence >= 0.8', request: { confidence: 1 }, matched: true },
      { when: 'request.confidence >= 0.8', request: { confidence: 0.5 }, matched: false },
      { when: 'request.type.startsWith("service.") && action.tier == "low"', matched: true },
      { when: 'agent.id == "triage-bot" && environment.name == "staging"', matched: true },
      { when: 'has(request.params.dropsData) && request.params.dropsData', matched: false },
    ];
  for (const c of cases) {
    it(`${c.when} → ${c.matched ? 'matches' : 'does not match'}${c.now ? ` at ${c.now}` : ''}${c.level === undefined ? '' : ` at level ${c.level}`}`, () => {
      const bundle = compile([['p.yaml', `rules:\n${rule('r', `'${c.when}'`, 'deny')}`]], {
        ...CONTEXT,
        defaultEffect: 'allow',
      });
      const overrides: { request?: JsonObject; level?: TrustLevel; now?: string } = {};
      if (c.request !== undefined) overrides.request = c.request;
      if (c.level !== undefined) overrides.level = c.level;
      if (c.now !== undefined) overrides.now = c.now;
      const result = evaluatePolicy(bundle, input(overrides));
      assert.deepEqual(
        result.reasons.map((r) => r.kind),
        [c.matched ? 'rule' : 'default'],
      );
      assert.equal(result.effect, c.matched ? 'deny' : 'allow');
    });
  }
});
