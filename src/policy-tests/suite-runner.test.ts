/** Tests running policy test cases: passes and each kind of failure, counters against limits, the facts a case states, and coverage. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCases } from './suite-runner.ts';
import { casesOf, POLICIES, restart, suiteContext } from './suite-test-helpers.ts';

/** Run a suite text on the test bundle. */
function run(text: string, context = suiteContext()) {
  return runCases(casesOf(text, context), context.bundle);
}

/** One case from its parts: the request lines, the fact lines and the expect lines. */
function one(request: string, facts: string, expect: string): string {
  const indent = (lines: string) =>
    lines === ''
      ? ''
      : lines
          .split('\n')
          .map((line) => `    ${line}\n`)
          .join('');
  return `tests:\n  - name: the case\n${request}${indent(facts)}    expect:\n${indent(expect).replace(/^ {4}/gm, '      ')}`;
}

describe('runCases', () => {
  it('passes a case whose outcome is as expected, reporting what decided it', () => {
    const result = run(
      one(restart(), 'level: 2', 'decision: execute\npolicy: allow\nrules: [restarts]\nlimits: []\ncaps: []'),
    );
    assert.equal(result.passed, 1);
    assert.equal(result.failed, 0);
    const [only] = result.results;
    assert.ok(only !== undefined);
    assert.deepEqual(
      { passed: only.passed, line: only.line, file: only.file, rules: only.rules, limits: only.limits },
      { passed: true, line: 2, file: 'policies/rules.test.yaml', rules: ['restarts'], limits: [] },
    );
    assert.equal(only.decision.effect, 'execute');
    assert.equal(only.decision.trustLevel, 2);
    assert.deepEqual(only.mismatches, []);
  });

  it('fails a case on its decision, naming what was expected and what came out', () => {
    const result = run(one(restart(), 'level: 2', 'decision: deny'));
    assert.equal(result.failed, 1);
    assert.deepEqual(result.results[0]?.mismatches, [
      { field: 'decision', expected: 'deny', actual: 'execute' },
    ]);
  });

  it('defaults to level 0: the same restart is advice', () => {
    const result = run(one(restart(), '', 'decision: advise\ncaps: [level_advisory]'));
    assert.equal(result.failed, 0, JSON.stringify(result.results[0]?.mismatches));
  });

  it('compares rules as a set: order does not matter, a missing or extra rule fails', () => {
    const scale = (replicas: number) => `    request:
      type: deployment.scale
      environment: staging
      targets: [{ id: checkout }]
      params: { replicas: ${replicas} }
`;
    const both = run(
      one(scale(30), 'level: 3', 'policy: escalate\nrules: [scale, big-scale]\nroute: capacity'),
    );
    assert.equal(both.failed, 0, JSON.stringify(both.results[0]?.mismatches));

    const missing = run(one(scale(30), 'level: 3', 'policy: escalate\nrules: [big-scale]\nroute: null'));
    assert.deepEqual(missing.results[0]?.mismatches, [
      { field: 'rules', expected: ['big-scale'], actual: ['big-scale', 'scale'] },
      { field: 'route', expected: null, actual: 'capacity' },
    ]);

    const extra = run(one(scale(4), 'level: 3', 'policy: allow\nrules: [scale, big-scale]'));
    assert.deepEqual(extra.results[0]?.mismatches, [
      { field: 'rules', expected: ['scale', 'big-scale'], actual: ['scale'] },
    ]);
  });

  it('fails on the policy effect and on caps', () => {
    const result = run(one(restart(['web-1'], 'production'), 'level: 2', 'policy: deny\ncaps: [confidence]'));
    assert.deepEqual(result.results[0]?.mismatches, [
      { field: 'policy', expected: 'deny', actual: 'allow' },
      { field: 'caps', expected: ['confidence'], actual: ['environment'] },
    ]);
  });

  it('exceeds a rate limit through its counter, and counts an unlisted counter as 0 uses', () => {
    const at = (count: number | null) =>
      run(
        one(
          restart(),
          count === null ? 'level: 2' : `level: 2\ncounters: { restart-rate: ${count} }`,
          'decision: execute\nlimits: []',
        ),
      ).results[0];
    assert.equal(at(null)?.passed, true);
    assert.equal(at(2)?.passed, true, 'the third use of a limit of 3 is within it');
    const exceeded = at(3);
    assert.deepEqual(exceeded?.mismatches, [
      { field: 'decision', expected: 'execute', actual: 'escalate' },
      { field: 'limits', expected: [], actual: ['restart-rate'] },
    ]);
    const reason = exceeded?.decision.reasons.find((r) => r.kind === 'limit');
    assert.match(reason?.message ?? '', /^4th restart-rate use in 1h on web-1; the limit is 3: /);
  });

  it('gives every key of a limit the counter, and names an exceeded limit once', () => {
    const result = run(
      one(
        restart(['web-1', 'web-2']),
        'level: 2\ncounters: { restart-rate: 5 }',
        'decision: escalate\nlimits: [restart-rate]',
      ),
    );
    const [only] = result.results;
    assert.equal(only?.passed, true, JSON.stringify(only?.mismatches));
    const facts = only?.decision.reasons.filter((r) => r.kind === 'limit' && !r.passed);
    assert.equal(facts?.length, 2, 'one exceeded fact per target');
  });

  it('denies through an in-flight limit and a target limit, whatever the level', () => {
    const scale = `    request:
      type: deployment.scale
      environment: staging
      targets: [{ id: checkout }]
      params: { replicas: 4 }
`;
    const flight = run(
      one(scale, 'level: 3\ncounters: { scale-in-flight: 1 }', 'decision: deny\nlimits: [scale-in-flight]'),
    );
    assert.equal(flight.failed, 0, JSON.stringify(flight.results[0]?.mismatches));
    const many = run(
      one(restart(['a', 'b', 'c', 'd', 'e', 'f']), '', 'decision: deny\nlimits: [blast-radius]'),
    );
    assert.equal(many.failed, 0, JSON.stringify(many.results[0]?.mismatches));
  });

  it('takes the agent, its ceiling, calibration, freeze and suspension from the case', () => {
    const cases: [string, string][] = [
      ['agent: { id: trainee-bot }\nlevel: 3', 'decision: escalate\ncaps: [level_assisted]'],
      ['level: 2\ncalibratedConfidence: 0.5', 'decision: escalate\ncaps: [confidence]'],
      ['level: 2\ncalibratedConfidence: 0.85', 'decision: execute'],
      ['level: 2\nfrozen: true', 'decision: escalate\ncaps: []'],
      ['level: 2\nsuspended: true', 'decision: deny\npolicy: allow'],
    ];
    for (const [facts, expect] of cases) {
      const result = run(one(restart(), facts, expect)).results[0];
      assert.equal(result?.passed, true, `${facts}: ${JSON.stringify(result?.mismatches)}`);
    }
  });

  it('applies a calendar freeze at the time of the case, and the change windows at that time', () => {
    const context = suiteContext({
      freezes: [{ from: '2026-12-24T00:00:00Z', to: '2026-12-27T00:00:00Z', reason: 'holidays' }],
    });
    const at = (now: string) =>
      run(one(restart(), `level: 2\nnow: "${now}"`, 'decision: execute'), context).results[0];
    assert.equal(at('2026-12-23T10:00:00Z')?.passed, true);
    const frozen = at('2026-12-24T10:00:00Z');
    assert.equal(frozen?.decision.effect, 'escalate');
    assert.match(frozen?.decision.reasons.find((r) => r.kind === 'frozen')?.message ?? '', /holidays/);

    // The test catalog's restart has no verification checks, which level 3 requires.
    const caps = (now: string) =>
      run(one(restart(['web-1'], 'production'), `level: 3\nnow: "${now}"`, 'decision: escalate')).results[0]
        ?.caps;
    assert.deepEqual(caps('2026-11-24T10:00:00Z'), ['verification'], 'a Tuesday morning in Berlin');
    assert.deepEqual(caps('2026-11-28T10:00:00+01:00'), ['verification', 'change_window'], 'a Saturday');
  });

  it('lists the rules no case matched and the limits no case exceeded, with file and line', () => {
    const result = run(
      `tests:
  - name: a restart
${restart()}    level: 2
    expect: { decision: execute }
  - name: a migration in production
    request: { type: database.migrate, environment: production, targets: [{ id: db }] }
    expect: { decision: deny }
`,
    );
    assert.equal(result.failed, 0);
    assert.deepEqual(result.coverage.rules, {
      total: 4,
      exercised: 2,
      missed: [
        { name: 'big-scale', file: 'policies/rules.yaml', line: 12 },
        { name: 'scale', file: 'policies/rules.yaml', line: 18 },
      ],
    });
    assert.deepEqual(result.coverage.limits, {
      total: 3,
      exercised: 0,
      missed: [
        { name: 'restart-rate', file: 'policies/limits.yaml', line: 2 },
        { name: 'scale-in-flight', file: 'policies/limits.yaml', line: 8 },
        { name: 'blast-radius', file: 'policies/limits.yaml', line: 14 },
      ],
    });
  });

  it('does not count a rule as exercised when its condition only failed to evaluate', () => {
    const confident = `rules:
  - name: confident
    when: request.confidence > 0.5
    effect: allow
    reason: Sure.
`;
    const context = suiteContext({}, [...POLICIES, ['policies/confident.yaml', confident]]);
    const result = run(
      `tests:
  - name: no confidence stated
    request: { type: service.restart, environment: staging, targets: [{ id: web-1 }], params: { reason: leak } }
    expect: { policy: escalate, rules: [restarts, confident] }
`,
      context,
    );
    assert.equal(result.failed, 0, JSON.stringify(result.results[0]?.mismatches));
    assert.deepEqual(
      result.coverage.rules.missed.map((m) => m.name),
      ['no-production-migrations', 'big-scale', 'scale', 'confident'],
    );
  });
});
