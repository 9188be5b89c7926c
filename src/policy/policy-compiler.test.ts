/** Tests compilePolicies' load problems: located errors in conditions, in rule fields and across files. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTEXT, compile, problemsOf, rule } from './policy-test-helpers.ts';

describe('compilePolicies: problems in conditions', () => {
  const cases: { name: string; when: string; line?: number; column: number; message: string }[] = [
    {
      name: 'a syntax error',
      when: 'request.params.replicas >',
      column: 36,
      message: 'rule "r1": Unexpected token: EOF',
    },
    {
      name: 'a type error (int compared with a string)',
      when: 'level == "two"',
      column: 11,
      message: 'rule "r1": no such overload: int == string',
    },
    {
      name: 'a misspelt field, at the column of the field',
      when: 'request.confidance > 0.5',
      column: 19,
      message: 'rule "r1": No such key: confidance',
    },
    {
      name: 'a misspelt field later in the condition',
      when: 'level >= 2 && action.teir == "low"',
      column: 32,
      message: 'rule "r1": No such key: teir',
    },
    {
      name: 'a field of an unknown variable',
      when: 'requests.type == "x"',
      column: 11,
      message: 'rule "r1": Unknown variable: requests',
    },
    {
      name: 'matches()',
      when: 'level > 1 && request.type.matches("^a")',
      column: 24,
      message:
        'rule "r1": matches() is not allowed: its regular expressions can backtrack catastrophically on agent input; use startsWith, endsWith, contains or in',
    },
    {
      name: 'matches() under a negation',
      when: `'!request.type.matches("^a")'`,
      column: 13,
      message:
        'rule "r1": matches() is not allowed: its regular expressions can backtrack catastrophically on agent input; use startsWith, endsWith, contains or in',
    },
    {
      name: 'a zoned timestamp getter',
      when: 'now.getHours("Europe/Berlin") > 9',
      column: 11,
      message:
        'rule "r1": getHours(timezone) is not allowed (it is slow and depends on the server\'s zone); use localHour(now, tz), localWeekday(now, tz) or inWindow(now, "Mon-Fri 09:00-17:00 Europe/Berlin")',
    },
    {
      name: 'a literal window that does not parse, at the literal',
      when: 'inWindow(now, "Mon-Fry 09:00-17:00")',
      column: 25,
      message:
        'rule "r1": bad change window "Mon-Fry 09:00-17:00": "Mon-Fry" is not a set of days (e.g. Mon-Fri, Sat,Sun, daily)',
    },
    {
      name: 'a literal window with an unknown time zone',
      when: 'level > 1 && inWindow(now, "Mon-Fri 09:00-17:00 Mars/Base")',
      column: 38,
      message:
        'rule "r1": bad change window "Mon-Fri 09:00-17:00 Mars/Base": "Mars/Base" is not a known time zone',
    },
    {
      name: 'a literal bad window under a negation (the usual form)',
      when: `'!inWindow(now, "Mon-Fry 09:00-17:00")'`,
      column: 27,
      message:
        'rule "r1": bad change window "Mon-Fry 09:00-17:00": "Mon-Fry" is not a set of days (e.g. Mon-Fri, Sat,Sun, daily)',
    },
    {
      name: 'a literal unknown time zone in localHour, at the literal',
      when: 'localHour(now, "Asia/Tokio") > 3',
      column: 26,
      message: 'rule "r1": unknown time zone "Asia/Tokio"',
    },
    {
      name: 'a condition that is not a bool',
      when: 'request.params',
      column: 11,
      message: 'rule "r1": the condition yields map<string, dyn>, not bool',
    },
    {
      name: 'a condition that is an int',
      when: 'level + 1',
      column: 11,
      message: 'rule "r1": the condition yields int, not bool',
    },
  ];
  for (const c of cases) {
    it(`reports ${c.name}`, () => {
      const problems = problemsOf([['policies/p.yaml', `rules:\n${rule('r1', c.when)}`]]);
      assert.deepEqual(problems, [
        {
          file: '/project/policies/p.yaml',
          line: c.line ?? 3,
          column: c.column,
          path: 'rules[0].when',
          message: c.message,
        },
      ]);
    });
  }

  it('reports a misspelt field inside a multi-line block scalar at its own line and column', () => {
    const text = [
      'rules:', // 1
      '  - name: careful', // 2
      '    when: |', // 3
      '      request.params.replicas > 1 &&', // 4
      '        request.confidance > 0.5', // 5
      '    effect: escalate', // 6
      '    reason: Because.', // 7
    ].join('\n');
    assert.deepEqual(problemsOf([['p.yaml', `${text}\n`]]), [
      {
        file: '/project/p.yaml',
        line: 5,
        column: 17,
        path: 'rules[0].when',
        message: 'rule "careful": No such key: confidance',
      },
    ]);
  });

  it('reports a syntax error on the third line of a block scalar at that line', () => {
    const text = [
      'rules:', // 1
      '  - name: careful', // 2
      '    when: >-', // 3
      '      level >= 2', // 4
      '    effect: escalate', // 5
      '    reason: Because.', // 6
      '  - name: broken', // 7
      '    when: |', // 8
      '      level >= 2 &&', // 9
      '      size(request.targets) > 1 &&', // 10
      '      request.params.replicas > ) 1', // 11
      '    effect: deny', // 12
      '    reason: Because.', // 13
    ].join('\n');
    assert.deepEqual(
      problemsOf([['p.yaml', `${text}\n`]]).map((p) => [p.line, p.column, p.path, p.message]),
      [[11, 33, 'rules[1].when', 'rule "broken": Unexpected token: RPAREN']],
    );
  });

  it('reports a condition cut short at the end of its last line (block scalar without final newline)', () => {
    const text = [
      'rules:', // 1
      '  - name: broken', // 2
      '    when: |-', // 3
      '      level >= 2 &&', // 4
      '      request.params.replicas >', // 5
      '    effect: deny', // 6
      '    reason: Because.', // 7
    ].join('\n');
    assert.deepEqual(
      problemsOf([['p.yaml', `${text}\n`]]).map((p) => [p.line, p.column, p.message]),
      [[5, 32, 'rule "broken": Unexpected token: EOF']],
    );
  });
});

describe('compilePolicies: problems in rules and across files', () => {
  it('reports an unknown environment at the entry, naming the known ones', () => {
    const problems = problemsOf([
      ['p.yaml', `rules:\n${rule('r1', null, 'deny', 'environments: [staging, prod]')}`],
    ]);
    assert.deepEqual(problems, [
      {
        file: '/project/p.yaml',
        line: 6,
        column: 31,
        path: 'rules[0].match.environments[1]',
        message: 'rule "r1": unknown environment "prod" (known: staging, production)',
      },
    ]);
  });

  it('reports a type pattern that matches no catalog type', () => {
    const problems = problemsOf([
      ['p.yaml', `rules:\n${rule('r1', null, 'deny', 'types: [service.*, db.*]')}`],
    ]);
    assert.deepEqual(problems, [
      {
        file: '/project/p.yaml',
        line: 6,
        column: 26,
        path: 'rules[0].match.types[1]',
        message: 'rule "r1": "db.*" matches no action type in the catalog',
      },
    ]);
  });

  it('does not check type patterns against the catalog when the catalog did not load', () => {
    const bundle = compile([['p.yaml', `rules:\n${rule('r1', null, 'deny', 'types: [db.*]')}`]], {
      ...CONTEXT,
      actionTypes: null,
    });
    assert.equal(bundle.rules.length, 1);
  });

  it('reports a type pattern that is not a pattern', () => {
    const problems = problemsOf([
      ['p.yaml', `rules:\n${rule('r1', null, 'deny', 'types: [Service.Restart]')}`],
    ]);
    assert.deepEqual(
      problems.map((p) => [p.line, p.path, p.message]),
      [
        [
          6,
          'rules[0].match.types[0]',
          'rule "r1": "Service.Restart" is not an action type pattern (e.g. service.restart, service.*)',
        ],
      ],
    );
  });

  it('reports a badly shaped rule field by field', () => {
    const text = 'rules:\n  - name: Bad Name\n    effect: maybe\n    reason: ""\n    colour: red\n';
    assert.deepEqual(
      problemsOf([['p.yaml', text]]).map((p) => [p.line, p.path, p.message]),
      [
        [2, 'rules[0].name', 'rule names are lower-case words joined by - . or _'],
        [3, 'rules[0].effect', 'Invalid option: expected one of "allow"|"escalate"|"deny"'],
        [4, 'rules[0].reason', 'say why: the reason is shown to agents and approvers'],
        [5, 'rules[0].colour', 'unknown field'],
      ],
    );
  });

  it('reports a duplicate rule name at the second rule, naming where the first is', () => {
    const problems = problemsOf([
      ['policies/a.yaml', `rules:\n${rule('same', null)}`],
      ['policies/b.yaml', `rules:\n${rule('other', null)}${rule('same', null)}`],
    ]);
    assert.deepEqual(problems, [
      {
        file: '/project/policies/b.yaml',
        line: 5,
        column: 11,
        path: 'rules[1].name',
        message: 'rule "same" is already defined at /project/policies/a.yaml:2',
      },
    ]);
  });

  it('reports every problem of several rules and files at once, in order', () => {
    const problems = problemsOf([
      [
        'a.yaml',
        `rules:\n${rule('r1', 'request.confidance > 1')}${rule('r2', 'level == "x"')}${rule('ok', 'level > 1')}`,
      ],
      ['b.yaml', `rules:\n${rule('r3', 'true', 'allow', 'environments: [prod]\ntypes: [nothing.*]')}`],
      ['c.yaml', 'rules: {}\n'],
    ]);
    assert.deepEqual(
      problems.map((p) => [p.file, p.line, p.path, p.message]),
      [
        ['/project/a.yaml', 3, 'rules[0].when', 'rule "r1": No such key: confidance'],
        ['/project/a.yaml', 7, 'rules[1].when', 'rule "r2": no such overload: int == string'],
        ['/project/b.yaml', 3, 'rules[0].when', 'Invalid input: expected string, received boolean'],
        ['/project/c.yaml', 1, 'rules', 'Invalid input: expected array, received object'],
      ],
    );
  });

  it('reports match problems and a condition problem of one rule together', () => {
    const problems = problemsOf([
      [
        'a.yaml',
        `rules:\n${rule('r1', 'level == "x"', 'allow', 'environments: [prod]\ntypes: [nothing.*]')}`,
      ],
    ]);
    assert.deepEqual(
      problems.map((p) => [p.line, p.path]),
      [
        [8, 'rules[0].match.types[0]'],
        [7, 'rules[0].match.environments[0]'],
        [3, 'rules[0].when'],
      ],
    );
  });
});
