/** Tests compilePolicies (located load problems, bundle hash) and evaluatePolicy (combining, errors, CEL helpers). */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Hex } from '../audit/audit-event.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { Problem } from '../config/problems.ts';
import { YamlSource } from '../config/yaml-source.ts';
import type { Effect, Reason } from '../domain/decision.ts';
import type { JsonObject } from '../domain/json.ts';
import type { TrustLevel } from '../domain/levels.ts';
import type { PolicyBundle, PolicyInput } from './policy-bundle.ts';
import { type CompileContext, compilePolicies, type PolicySource } from './policy-compiler.ts';
import { evaluatePolicy } from './policy-evaluator.ts';

const CONTEXT: CompileContext = {
  actionTypes: ['service.restart', 'service.scale', 'deployment.scale', 'cache.flush', 'database.migrate'],
  environments: new Set(['staging', 'production']),
  defaultEffect: 'escalate',
};

function policy(relativePath: string, text: string): PolicySource {
  const parsed = YamlSource.parse(`/project/${relativePath}`, text);
  if (!parsed.ok) assert.fail(`expected ${relativePath} to parse: ${JSON.stringify(parsed.problems)}`);
  return { source: parsed.value, relativePath };
}

function compile(files: [string, string][], context: CompileContext = CONTEXT): PolicyBundle {
  const result = compilePolicies(
    files.map(([path, text]) => policy(path, text)),
    context,
  );
  if (!result.ok) assert.fail(`expected the policies to compile: ${JSON.stringify(result.problems)}`);
  return result.value;
}

function problemsOf(files: [string, string][], context: CompileContext = CONTEXT): Problem[] {
  const result = compilePolicies(
    files.map(([path, text]) => policy(path, text)),
    context,
  );
  if (result.ok) assert.fail('expected the policies to be rejected');
  return [...result.problems];
}

/**
 * One rule, laid out so that `name` is on line `first`, `when` on `first + 1`, then effect, reason,
 * and `match` (when given) on the lines after.
 */
function rule(name: string, when: string | null, effect: Effect = 'deny', match = ''): string {
  return [
    `  - name: ${name}`,
    ...(when === null ? [] : [`    when: ${when}`]),
    `    effect: ${effect}`,
    '    reason: Because.',
    ...(match === '' ? [] : ['    match:', ...match.split('\n').map((line) => `      ${line}`)]),
  ]
    .map((line) => `${line}\n`)
    .join('');
}

function input(
  overrides: { request?: JsonObject; level?: TrustLevel; now?: string; environment?: JsonObject } = {},
): PolicyInput {
  const request: JsonObject = {
    type: 'service.restart',
    environment: 'staging',
    targets: [{ id: 'web-1' }],
    params: { replicas: 3 },
    confidence: null,
    anomalyScore: null,
    reasoning: null,
    context: null,
    incident: null,
    ...overrides.request,
  };
  return {
    request,
    action: {
      type: request.type ?? null,
      tier: 'low',
      domains: ['performance'],
      reversible: true,
      verified: false,
    },
    agent: { id: 'triage-bot', owner: 'sre' },
    environment: overrides.environment ?? { name: request.environment ?? null, production: false },
    level: overrides.level ?? 2,
    now: new Date(overrides.now ?? '2026-03-30T07:30:00Z'),
  };
}

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

describe('compilePolicies: the bundle', () => {
  const A = `rules:\n${rule('deny-big', 'request.params.replicas > 20', 'deny', 'types: [deployment.scale]')}`;
  const B = `# routine\nrules:\n${rule('allow-restart', null, 'allow', 'types: [service.restart]')}`;

  it('keeps each rule with its file, line, effect, reason and condition', () => {
    const bundle = compile([
      ['policies/a.yaml', A],
      ['policies/b.yaml', B],
    ]);
    assert.deepEqual(
      bundle.rules.map((r) => [
        r.name,
        r.file,
        r.line,
        r.effect,
        r.reason,
        r.when,
        r.types?.map((g) => g.pattern),
      ]),
      [
        [
          'deny-big',
          'policies/a.yaml',
          2,
          'deny',
          'Because.',
          'request.params.replicas > 20',
          ['deployment.scale'],
        ],
        ['allow-restart', 'policies/b.yaml', 3, 'allow', 'Because.', null, ['service.restart']],
      ],
    );
    assert.deepEqual(bundle.files, [
      { path: 'policies/a.yaml', sha256: sha256Hex(A) },
      { path: 'policies/b.yaml', sha256: sha256Hex(B) },
    ]);
    assert.equal(bundle.defaultEffect, 'escalate');
  });

  it('hashes to sha256: and 64 hex digits over the files and the default effect', () => {
    const bundle = compile([
      ['policies/a.yaml', A],
      ['policies/b.yaml', B],
    ]);
    assert.match(bundle.hash, /^sha256:[0-9a-f]{64}$/);
    const expected = sha256Hex(
      canonicalJson({
        defaultEffect: 'escalate',
        files: [
          { path: 'policies/a.yaml', sha256: sha256Hex(A) },
          { path: 'policies/b.yaml', sha256: sha256Hex(B) },
        ],
      }),
    );
    assert.equal(bundle.hash, `sha256:${expected}`);
  });

  it('hashes the same files the same way every time', () => {
    const first = compile([
      ['policies/a.yaml', A],
      ['policies/b.yaml', B],
    ]);
    const second = compile([
      ['policies/a.yaml', A],
      ['policies/b.yaml', B],
    ]);
    assert.equal(second.hash, first.hash);
  });

  const base = compile([
    ['policies/a.yaml', A],
    ['policies/b.yaml', B],
  ]).hash;
  const changes: { name: string; files: [string, string][]; context?: CompileContext }[] = [
    {
      name: 'a file text changes',
      files: [
        ['policies/a.yaml', A.replace('> 20', '> 21')],
        ['policies/b.yaml', B],
      ],
    },
    {
      name: 'only a comment changes',
      files: [
        ['policies/a.yaml', A],
        ['policies/b.yaml', B.replace('# routine', '# Routine')],
      ],
    },
    {
      name: 'the default effect changes',
      files: [
        ['policies/a.yaml', A],
        ['policies/b.yaml', B],
      ],
      context: { ...CONTEXT, defaultEffect: 'deny' },
    },
    {
      name: 'a file is renamed',
      files: [
        ['policies/a2.yaml', A],
        ['policies/b.yaml', B],
      ],
    },
    { name: 'a file is dropped', files: [['policies/a.yaml', A]] },
  ];
  for (const c of changes) {
    it(`changes the hash when ${c.name}`, () => {
      const hash = compile(c.files, c.context).hash;
      assert.match(hash, /^sha256:[0-9a-f]{64}$/);
      assert.notEqual(hash, base);
    });
  }
});

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
