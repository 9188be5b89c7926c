/** Tests compiling policy test suites: located problems in cases, requests, facts and expectations, and the facts a good case gets. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileSuites, splitPath } from './suite-compiler.ts';
import { DEFAULT_NOW } from './suite-schema.ts';
import { casesOf, suite, suiteContext, suiteProblems } from './suite-test-helpers.ts';

const RESTART =
  '{ type: service.restart, environment: staging, targets: [{ id: web-1 }], params: { reason: leak } }';

describe('compileSuites: problems', () => {
  const cases: { name: string; text: string; problems: [number, number, string, string][] }[] = [
    {
      name: 'an unknown field in a case',
      text: `tests:\n  - name: misspelt\n    request: ${RESTART}\n    levle: 2\n    expect: { decision: execute }\n`,
      problems: [[4, 12, 'tests[0].levle', 'unknown field']],
    },
    {
      name: 'an unknown action type, an unknown environment and params that do not fit the catalog',
      text: `tests:
  - name: unknown type
    request: { type: service.reboot, environment: staging, targets: [{ id: web-1 }] }
    expect: { decision: deny }
  - name: bad params
    request:
      type: service.restart
      environment: prod
      targets: [{ id: web-1 }]
      params: { reason: x, force: true }
    expect: { decision: deny }
`,
      problems: [
        [
          3,
          22,
          'tests[0].request.type',
          'case "unknown type": unknown action type "service.reboot" (did you mean "service.restart"?)',
        ],
        [
          8,
          20,
          'tests[1].request.environment',
          'case "bad params": unknown environment "prod" (known: staging, production)',
        ],
        [10, 35, 'tests[1].request.params.force', 'case "bad params": is not an allowed field'],
        [
          10,
          25,
          'tests[1].request.params.reason',
          'case "bad params": must NOT have fewer than 3 characters',
        ],
      ],
    },
    {
      name: 'a request that is no proposal',
      text: `tests:\n  - name: no targets list\n    request: { type: service.restart, environment: staging, targets: web-1, confidence: 2 }\n    expect: { decision: deny }\n`,
      problems: [
        [3, 70, 'tests[0].request.targets', 'Invalid input: expected array, received string'],
        [3, 89, 'tests[0].request.confidence', 'Too big: expected number to be <=1'],
      ],
    },
    {
      name: 'counters and expected names that are not in the bundle, and a name used twice',
      text: `tests:
  - name: names
    request: ${RESTART}
    counters: { restart-rat: 2, blast-radius: 1 }
    expect:
      decision: execute
      rules: [restarts, restart-rate, nope]
      limits: [restarts]
  - name: names
    request: ${RESTART}
    expect: { decision: advise }
`,
      problems: [
        [
          4,
          30,
          'tests[0].counters.restart-rat',
          'case "names": no limit "restart-rat" in the bundle (counted limits: restart-rate, scale-in-flight)',
        ],
        [
          4,
          47,
          'tests[0].counters.blast-radius',
          'case "names": limit "blast-radius" bounds the targets of the request: nothing is counted',
        ],
        [
          7,
          25,
          'tests[0].expect.rules[1]',
          'case "names": "restart-rate" is a limit: list it under expect.limits',
        ],
        [7, 39, 'tests[0].expect.rules[2]', 'case "names": no rule "nope" in the bundle'],
        [
          8,
          16,
          'tests[0].expect.limits[0]',
          'case "names": "restarts" is a rule: list it under expect.rules',
        ],
        [9, 11, 'tests[1].name', 'case "names": the name is already used by the case at line 2'],
      ],
    },
    {
      name: 'a level, a time and an outcome that do not exist, a calibration without a confidence, nothing expected',
      text: `tests:
  - name: facts
    request: ${RESTART}
    level: 5
    now: tomorrow
    expect: { decision: maybe }
  - name: calibrated
    request: ${RESTART}
    calibratedConfidence: 0.7
    expect: { decision: advise }
  - name: nothing expected
    request: ${RESTART}
    expect: { rules: [] }
`,
      problems: [
        [4, 12, 'tests[0].level', 'a trust level: 0, 1, 2 or 3'],
        [5, 10, 'tests[0].now', 'an ISO 8601 time with an offset, e.g. 2026-11-24T10:00:00Z'],
        [
          6,
          25,
          'tests[0].expect.decision',
          'Invalid option: expected one of "advise"|"execute"|"escalate"|"deny"',
        ],
        [
          9,
          27,
          'tests[1].calibratedConfidence',
          'case "calibrated": calibrates a stated confidence: give the request a confidence',
        ],
        [
          13,
          5,
          'tests[2].expect',
          'say what must come out: decision (advise, execute, escalate, deny) or policy (allow, escalate, deny)',
        ],
      ],
    },
    {
      name: 'an empty file',
      text: '',
      problems: [[1, 1, '', 'a suite is a map with its cases listed under tests']],
    },
    {
      name: 'cases under another key',
      text: 'cases:\n  - name: x\n',
      problems: [
        [1, 1, 'tests', 'list the cases under tests'],
        [1, 1, 'cases', 'unknown field'],
      ],
    },
    {
      name: 'no cases',
      text: 'tests: []\n',
      problems: [[1, 1, 'tests', 'a suite lists at least one case under tests']],
    },
  ];
  for (const c of cases) {
    it(`reports ${c.name} with file, line, column and path`, () => {
      const problems = suiteProblems(c.text);
      assert.deepEqual(
        problems.map((p) => [p.line, p.column, p.path, p.message]),
        c.problems,
      );
      assert.ok(problems.every((p) => p.file === 'policies/rules.test.yaml'));
    });
  }

  it('rejects a whole suite for one bad case, and reports the problems of every suite', () => {
    const good = `tests:\n  - name: fine\n    request: ${RESTART}\n    expect: { decision: advise }\n`;
    const bad = `tests:\n  - name: broken\n    request: ${RESTART}\n    expect: { decision: nope }\n`;
    const result = compileSuites(
      [suite(good + bad.replace('tests:\n', ''), 'a.test.yaml'), suite(bad, 'b.test.yaml')],
      suiteContext(),
    );
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.problems.map((p) => `${p.file}:${p.line} ${p.path}`),
      ['a.test.yaml:7 tests[1].expect.decision', 'b.test.yaml:4 tests[0].expect.decision'],
    );
  });
});

describe('compileSuites: facts of a case', () => {
  it('fills in the defaults: level 0, the test agent, a fixed Tuesday, counters at 0, not frozen', () => {
    const [only] = casesOf(
      `tests:\n  - name: defaults\n    request: ${RESTART}\n    expect: { decision: advise }\n`,
    );
    assert.ok(only !== undefined);
    const { facts } = only;
    assert.deepEqual(facts.trust, { granted: 0, ceiling: 3, scope: null });
    assert.deepEqual(facts.agent, { id: 'test-agent', owner: 'test-team', suspended: false });
    assert.equal(facts.now, new Date(DEFAULT_NOW).toISOString());
    assert.equal(new Date(facts.now).getUTCDay(), 2, 'a Tuesday');
    assert.equal(facts.frozen, false);
    assert.equal(facts.calibration, undefined);
    assert.deepEqual(
      facts.limits?.map((l) => [l.limit, l.key, l.observed]),
      [
        ['restart-rate', 'restart-rate|agent=test-agent|target=web-1', 0],
        ['blast-radius', null, 1],
      ],
    );
    assert.deepEqual(facts.action, {
      type: 'service.restart',
      tier: 'low',
      domains: ['performance'],
      reversible: true,
      verified: false,
    });
    assert.equal(facts.request.confidence, null);
  });

  it('states the level for the scope, capped by the agent ceiling, and the calibration', () => {
    const [only] = casesOf(`tests:
  - name: stated
    request: { type: service.restart, environment: staging, targets: [{ id: web-1 }], params: { reason: leak }, confidence: 0.9 }
    level: 2
    agent: { id: trainee-bot, owner: sre }
    calibratedConfidence: 0.6
    frozen: true
    expect: { decision: escalate }
`);
    assert.deepEqual(only?.facts.trust, { granted: 2, ceiling: 1, scope: 'service.restart@staging' });
    assert.deepEqual(only?.facts.calibration, {
      scope: 'service.restart@staging',
      n: 30,
      minEvidence: 30,
      knots: [[0.9, 0.6]],
      calibrated: 0.6,
    });
    assert.equal(only?.facts.frozen, true);
  });
});

describe('splitPath', () => {
  it('reads back the field paths of catalog details', () => {
    assert.deepEqual(splitPath('params.replicas'), ['params', 'replicas']);
    assert.deepEqual(splitPath('targets[2].zone'), ['targets', 2, 'zone']);
    assert.deepEqual(splitPath('params["odd key"].x'), ['params', 'odd key', 'x']);
    assert.deepEqual(splitPath('targets'), ['targets']);
  });
});
