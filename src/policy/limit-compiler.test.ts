/** Tests compilePolicies' load problems in limits: located errors in limit fields and clashing names. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { problemsOf, rule } from './policy-test-helpers.ts';

describe('compilePolicies: problems in limits', () => {
  /** One limit: `name` on line 2, then the given body lines, effect and reason. */
  const limit = (name: string, body: string, effect = 'escalate') =>
    `limits:\n  - name: ${name}\n${body
      .split('\n')
      .map((line) => `    ${line}\n`)
      .join('')}    effect: ${effect}\n    reason: Because.\n`;

  const cases: { name: string; text: string; problems: [number, number, string, string][] }[] = [
    {
      name: 'two bounds in one limit, at the second',
      text: limit('both', 'rate: { count: 5, per: 1h }\ntargets: { max: 3 }'),
      problems: [
        [
          4,
          5,
          'limits[0].targets',
          'limit "both": a limit bounds one thing, this one has rate and targets (split it into 2 limits)',
        ],
      ],
    },
    {
      name: 'no bound, at the limit',
      text: limit('none', 'description: nothing bounded'),
      problems: [
        [2, 5, 'limits[0]', 'limit "none": say what it bounds with one of rate, targets, fraction, inFlight'],
      ],
    },
    {
      name: 'effect allow',
      text: limit('lenient', 'targets: { max: 3 }', 'allow'),
      problems: [[4, 13, 'limits[0].effect', 'a limit escalates or denies (it never allows)']],
    },
    {
      name: 'a bad duration',
      text: limit('rate', 'rate: { count: 5, per: 1hour }'),
      problems: [
        [3, 28, 'limits[0].rate.per', '"1hour" is not a duration (use e.g. 500ms, 30s, 15m, 2h, 1d)'],
      ],
    },
    {
      name: 'a window of nothing',
      text: limit('rate', 'rate: { count: 5, per: 0s }'),
      problems: [[3, 28, 'limits[0].rate.per', 'a window longer than 0']],
    },
    {
      name: 'a count of 0',
      text: limit('rate', 'rate: { count: 0, per: 1h }'),
      problems: [[3, 20, 'limits[0].rate.count', 'at least 1']],
    },
    {
      name: 'an unknown by dimension',
      text: limit('rate', 'rate: { count: 5, per: 1h, by: [agent, team] }'),
      problems: [
        [
          3,
          44,
          'limits[0].rate.by[1]',
          'cannot count by "team" (by lists some of agent, type, environment, target)',
        ],
      ],
    },
    {
      name: 'an unknown by dimension in flight',
      text: limit('flight', 'inFlight: { max: 2, by: [region] }'),
      problems: [
        [
          3,
          30,
          'limits[0].inFlight.by[0]',
          'cannot count by "region" (by lists some of agent, type, environment, target)',
        ],
      ],
    },
    {
      name: 'an unknown type pattern and environment',
      text: limit('scoped', 'match: { types: [db.*], environments: [prod] }\ninFlight: { max: 2 }'),
      problems: [
        [3, 22, 'limits[0].match.types[0]', 'limit "scoped": "db.*" matches no action type in the catalog'],
        [
          3,
          44,
          'limits[0].match.environments[0]',
          'limit "scoped": unknown environment "prod" (known: staging, production)',
        ],
      ],
    },
    {
      name: 'a fraction above 1',
      text: limit('share', 'fraction: { max: 1.5 }'),
      problems: [[3, 22, 'limits[0].fraction.max', 'a share of the instances: at most 1']],
    },
    {
      name: 'a fraction of 0',
      text: limit('share', 'fraction: { max: 0 }'),
      problems: [[3, 22, 'limits[0].fraction.max', 'a share of the instances: more than 0']],
    },
    {
      name: 'an unknown field and a bad name',
      text: limit('Big Share', 'fraction: { max: 0.5 }\nper: 1h'),
      problems: [
        [2, 11, 'limits[0].name', 'limit names are lower-case words joined by - . or _'],
        [4, 10, 'limits[0].per', 'unknown field'],
      ],
    },
  ];
  for (const c of cases) {
    it(`reports ${c.name} with file, line, column and path`, () => {
      const problems = problemsOf([['policies/limits.yaml', c.text]]);
      assert.deepEqual(
        problems.map((p) => [p.line, p.column, p.path, p.message]),
        c.problems,
      );
      assert.ok(problems.every((p) => p.file === '/project/policies/limits.yaml'));
    });
  }

  it('reports a limit named like a rule of another file, naming where the rule is', () => {
    const problems = problemsOf([
      ['policies/a.yaml', `rules:\n${rule('restarts', null)}`],
      ['policies/b.yaml', limit('restarts', 'targets: { max: 3 }')],
    ]);
    assert.deepEqual(problems, [
      {
        file: '/project/policies/b.yaml',
        line: 2,
        column: 11,
        path: 'limits[0].name',
        message: 'limit "restarts": the name is already used by the rule at /project/policies/a.yaml:2',
      },
    ]);
  });

  it('reports a rule named like a limit of an earlier file, and two limits of one name', () => {
    const problems = problemsOf([
      ['policies/a.yaml', limit('cap', 'targets: { max: 3 }')],
      [
        'policies/b.yaml',
        `rules:\n${rule('cap', null)}limits:\n  - name: cap\n    targets: { max: 4 }\n    effect: deny\n    reason: Because.\n`,
      ],
    ]);
    assert.deepEqual(
      problems.map((p) => [p.file, p.line, p.path, p.message]),
      [
        [
          '/project/policies/b.yaml',
          2,
          'rules[0].name',
          'rule "cap": the name is already used by the limit at /project/policies/a.yaml:2',
        ],
        [
          '/project/policies/b.yaml',
          6,
          'limits[0].name',
          'limit "cap" is already defined at /project/policies/a.yaml:2',
        ],
      ],
    );
  });

  it('reports the problems of several limits at once, in order', () => {
    const text = [
      'limits:',
      '  - name: a',
      '    effect: allow',
      '    reason: Because.',
      '  - name: b',
      '    targets: { max: -1 }',
      '    effect: deny',
      '    reason: ""',
      'rules: {}',
    ].join('\n');
    assert.deepEqual(
      problemsOf([['p.yaml', `${text}\n`]]).map((p) => [p.line, p.path, p.message]),
      [[9, 'rules', 'Invalid input: expected array, received object']],
    );
    assert.deepEqual(
      problemsOf([['p.yaml', `${text.replace('rules: {}', '')}\n`]]).map((p) => [p.line, p.path, p.message]),
      [
        [3, 'limits[0].effect', 'a limit escalates or denies (it never allows)'],
        [2, 'limits[0]', 'limit "a": say what it bounds with one of rate, targets, fraction, inFlight'],
        [6, 'limits[1].targets.max', 'at least 1'],
        [8, 'limits[1].reason', 'say why: the reason is shown to agents and approvers'],
      ],
    );
  });
});
