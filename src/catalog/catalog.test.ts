/** Tests compileCatalog over YAML sources (load problems with positions, derived examples) and Catalog.check. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Problem } from '../config/problems.ts';
import { YamlSource } from '../config/yaml-source.ts';
import type { ActionRequest } from '../domain/action.ts';
import type { Catalog } from './catalog.ts';
import { compileCatalog } from './catalog-loader.ts';

function source(file: string, text: string): YamlSource {
  const parsed = YamlSource.parse(file, text);
  if (!parsed.ok) assert.fail(`expected ${file} to parse: ${JSON.stringify(parsed.problems)}`);
  return parsed.value;
}

function load(...files: [string, string][]): Catalog {
  const result = compileCatalog(files.map(([file, text]) => source(file, text)));
  if (!result.ok) assert.fail(`expected the catalog to load: ${JSON.stringify(result.problems)}`);
  return result.value;
}

function problemsOf(...files: [string, string][]): Problem[] {
  const result = compileCatalog(files.map(([file, text]) => source(file, text)));
  if (result.ok) assert.fail('expected the catalog to be rejected');
  return [...result.problems];
}

const CATALOG = `version: 1
types:
  deployment.scale:
    description: Change the replica count.
    tier: medium
    domains: [performance]
    reversible: true
    targets:
      min: 1
      max: 2
      attributes:
        type: object
        properties:
          zone: { type: string, enum: [eu, us] }
    params:
      type: object
      required: [replicas, reason]
      additionalProperties: false
      properties:
        replicas: { type: integer, minimum: 0, maximum: 10 }
        reason: { type: string }
    example: { replicas: 3, reason: load }
  service.restart:
    description: Restart a service.
    tier: low
    domains: [performance, configuration]
    reversible: true
    verification:
      window: 2m
      checks:
        - kind: http
          url: http://x/healthz
`;

function request(overrides: Partial<ActionRequest> = {}): ActionRequest {
  return {
    type: 'deployment.scale',
    environment: 'staging',
    targets: [{ id: 'web-1' }],
    params: { replicas: 3, reason: 'load' },
    confidence: null,
    anomalyScore: null,
    reasoning: null,
    context: null,
    incident: null,
    ...overrides,
  };
}

/** One action type with the given extra lines (indented four spaces) under a fixed head. */
function entry(name: string, extra = '', tier = 'low'): string {
  return `  ${name}:
    description: D.
    tier: ${tier}
    domains: [performance]
    reversible: true
${extra}`;
}

describe('compileCatalog: a valid catalog', () => {
  const catalog = load(['catalog.yaml', CATALOG]);

  it('loads every type with its settings and defaults', () => {
    assert.equal(catalog.size, 2);
    assert.deepEqual(
      catalog.list().map((e) => e.type),
      ['deployment.scale', 'service.restart'],
    );
    const restart = catalog.get('service.restart');
    assert.ok(restart);
    assert.equal(restart.tier, 'low');
    assert.deepEqual(restart.domains, ['performance', 'configuration']);
    assert.deepEqual(restart.targets, { min: 1, max: 100 });
    assert.deepEqual(restart.paramsSchema, { type: 'object' });
    assert.deepEqual(restart.example, {});
    assert.equal(restart.validateTarget, null);
    assert.deepEqual(restart.verification, {
      window: 120_000,
      checks: [{ kind: 'http', url: 'http://x/healthz', expectStatus: 200 }],
    });
    assert.equal(catalog.get('deployment.scale')?.verification, null);
    assert.deepEqual(catalog.get('deployment.scale')?.example, { replicas: 3, reason: 'load' });
  });

  it('accepts a good request', () => {
    const checked = catalog.check(request());
    assert.equal(checked.ok, true);
    assert.equal(checked.ok && checked.entry.type, 'deployment.scale');
  });

  it('accepts targets whose attributes satisfy the schema', () => {
    const checked = catalog.check(request({ targets: [{ id: 'a', zone: 'eu' }, { id: 'b' }] }));
    assert.equal(checked.ok, true);
  });

  it('answers an unknown type with a did-you-mean hint from the same family', () => {
    assert.deepEqual(catalog.check(request({ type: 'deployment.scal' })), {
      ok: false,
      code: 'unknown_action_type',
      details: [
        { path: 'type', message: 'unknown action type "deployment.scal" (did you mean "deployment.scale"?)' },
      ],
    });
    assert.deepEqual(catalog.check(request({ type: 'service.reboot' })), {
      ok: false,
      code: 'unknown_action_type',
      details: [
        { path: 'type', message: 'unknown action type "service.reboot" (did you mean "service.restart"?)' },
      ],
    });
  });

  it('answers an unknown type without a hint when nothing is similar', () => {
    assert.deepEqual(catalog.check(request({ type: 'database.migrate' })), {
      ok: false,
      code: 'unknown_action_type',
      details: [{ path: 'type', message: 'unknown action type "database.migrate"' }],
    });
  });

  const invalid: {
    name: string;
    request: Partial<ActionRequest>;
    details: { path: string; message: string }[];
  }[] = [
    {
      name: 'too few targets',
      request: { targets: [] },
      details: [{ path: 'targets', message: 'deployment.scale needs at least 1 target' }],
    },
    {
      name: 'too many targets',
      request: { targets: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] },
      details: [{ path: 'targets', message: 'deployment.scale allows at most 2 targets' }],
    },
    {
      name: 'a param of the wrong type',
      request: { params: { replicas: 'three', reason: 'load' } },
      details: [{ path: 'params.replicas', message: 'must be integer' }],
    },
    {
      name: 'a param below its minimum',
      request: { params: { replicas: -1, reason: 'load' } },
      details: [{ path: 'params.replicas', message: 'must be >= 0' }],
    },
    {
      name: 'a param above its maximum',
      request: { params: { replicas: 11, reason: 'load' } },
      details: [{ path: 'params.replicas', message: 'must be <= 10' }],
    },
    {
      name: 'a missing required param',
      request: { params: { replicas: 1 } },
      details: [{ path: 'params.reason', message: 'is required' }],
    },
    {
      name: 'a param that is not allowed',
      request: { params: { replicas: 1, reason: 'load', extra: true } },
      details: [{ path: 'params.extra', message: 'is not an allowed field' }],
    },
    {
      name: 'a target attribute outside its enum',
      request: {
        targets: [
          { id: 'a', zone: 'eu' },
          { id: 'b', zone: 'mars' },
        ],
      },
      details: [{ path: 'targets[1].zone', message: 'must be equal to one of the allowed values' }],
    },
    {
      name: 'every problem at once',
      request: { targets: [{ id: 'a', zone: 1 }, { id: 'b' }, { id: 'c' }], params: { replicas: 100 } },
      details: [
        { path: 'targets', message: 'deployment.scale allows at most 2 targets' },
        { path: 'targets[0].zone', message: 'must be string' },
        { path: 'targets[0].zone', message: 'must be equal to one of the allowed values' },
        { path: 'params.reason', message: 'is required' },
        { path: 'params.replicas', message: 'must be <= 10' },
      ],
    },
  ];
  for (const c of invalid) {
    it(`rejects ${c.name} with validation_failed`, () => {
      assert.deepEqual(catalog.check(request(c.request)), {
        ok: false,
        code: 'validation_failed',
        details: c.details,
      });
    });
  }
});

describe('compileCatalog: load problems', () => {
  const cases: {
    name: string;
    text: string;
    file?: string;
    line: number;
    path: string;
    message: string | RegExp;
  }[] = [
    {
      name: 'an invalid JSON Schema for params',
      text: `types:\n${entry('a.b', '    params:\n      type: object\n      properties:\n        n: { type: integr }\n')}`,
      line: 7,
      path: 'types["a.b"].params',
      message:
        /^invalid JSON Schema: schema is invalid: data\/properties\/n\/type must be equal to one of the allowed values/,
    },
    {
      name: 'an invalid JSON Schema for target attributes',
      text: `types:\n${entry('a.b', '    targets:\n      attributes: { type: objekt }\n')}`,
      line: 8,
      path: 'types["a.b"].targets.attributes',
      message:
        /^invalid JSON Schema: schema is invalid: data\/type must be equal to one of the allowed values/,
    },
    {
      name: 'params that are not of type object',
      text: `types:\n${entry('a.b', '    params:\n      type: string\n')}`,
      line: 8,
      path: 'types["a.b"].params.type',
      message: 'a params schema must have type: object',
    },
    {
      name: 'an example that fails its schema',
      text: `types:\n${entry('a.b', '    params:\n      type: object\n      properties:\n        n: { type: integer, maximum: 3 }\n    example: { n: 7 }\n')}`,
      line: 11,
      path: 'types["a.b"].example',
      message: 'the example does not satisfy the params schema: example.n must be <= 3',
    },
    {
      name: 'a schema from which no valid example can be derived',
      text: `types:\n${entry('a.b', '    params:\n      type: object\n      required: [n]\n      properties:\n        n: { type: string, pattern: "^z+$" }\n')}`,
      line: 7,
      path: 'types["a.b"].params',
      message:
        /^give an example: none could be derived from the params schema \(example\.n must match pattern "\^z\+\$"\)$/,
    },
    {
      name: 'a high-risk field with a value zod refuses (tier: extreme)',
      text: `types:\n${entry('a.b', '', 'extreme')}`,
      line: 4,
      path: 'types["a.b"].tier',
      message: 'Invalid option: expected one of "low"|"medium"|"high"|"critical"',
    },
    {
      name: 'an unknown risk domain',
      text: `types:\n${entry('a.b').replace('[performance]', '[performance, safety]')}`,
      line: 5,
      path: 'types["a.b"].domains[1]',
      message: 'Invalid option: expected one of "configuration"|"performance"|"security"|"compliance"',
    },
    {
      name: 'reversible that is not a boolean',
      text: `types:\n${entry('a.b').replace('reversible: true', 'reversible: maybe')}`,
      line: 6,
      path: 'types["a.b"].reversible',
      message: 'Invalid input: expected boolean, received string',
    },
    {
      name: 'targets.min above targets.max',
      text: `types:\n${entry('a.b', '    targets: { min: 3, max: 2 }\n')}`,
      line: 7,
      path: 'types["a.b"].targets',
      message: 'targets.min must not exceed targets.max',
    },
    {
      name: 'an unknown field in an action type',
      text: `types:\n${entry('a.b', '    colour: red\n')}`,
      line: 7,
      path: 'types["a.b"].colour',
      message: 'unknown field',
    },
    {
      name: 'a bad verification duration',
      text: `types:\n${entry('a.b', '    verification:\n      window: soon\n      checks:\n        - { kind: command, argv: [/bin/true] }\n')}`,
      line: 8,
      path: 'types["a.b"].verification.window',
      message: '"soon" is not a duration (use e.g. 500ms, 30s, 15m, 2h, 1d)',
    },
    {
      name: 'a bad type name',
      text: `types:\n${entry('Service.Restart')}`,
      line: 2,
      path: 'types["Service.Restart"]',
      message: 'action type names are dotted lower-case words, e.g. service.restart',
    },
  ];
  for (const c of cases) {
    it(`reports ${c.name}`, () => {
      const problems = problemsOf(['cat.yaml', c.text]);
      assert.equal(problems.length, 1, JSON.stringify(problems));
      const [p] = problems;
      assert.equal(p!.file, 'cat.yaml');
      assert.equal(p!.path, c.path);
      if (typeof c.message === 'string') assert.equal(p!.message, c.message);
      else assert.match(p!.message, c.message);
      assert.equal(p!.line, c.line);
    });
  }

  it('reports a type defined in two files at the second definition, naming the first file', () => {
    const problems = problemsOf(
      ['one.yaml', `types:\n${entry('a.b')}`],
      ['two.yaml', `# more\ntypes:\n${entry('x.y')}${entry('a.b')}`],
    );
    assert.deepEqual(
      problems.map((p) => [p.file, p.line, p.path, p.message]),
      [['two.yaml', 8, 'types["a.b"]', 'action type "a.b" is already defined in one.yaml']],
    );
  });

  it('reports the problems of every file and every type at once', () => {
    const problems = problemsOf(
      ['one.yaml', `types:\n${entry('a.b', '', 'extreme')}${entry('c.d', '    params: { type: array }\n')}`],
      ['two.yaml', 'types:\n  e.f: { description: x }\n'],
    );
    assert.deepEqual(
      problems.map((p) => [p.file, p.path]),
      [
        ['one.yaml', 'types["a.b"].tier'],
        ['two.yaml', 'types["e.f"].tier'],
        ['two.yaml', 'types["e.f"].domains'],
        ['two.yaml', 'types["e.f"].reversible'],
      ],
    );
  });
});

describe('compileCatalog: derived examples', () => {
  it('derives an example from defaults, enums and minimums, and it validates', () => {
    const catalog = load([
      'cat.yaml',
      `types:
${entry(
  'service.restart',
  `    params:
      type: object
      required: [mode, grace, tags]
      properties:
        mode: { type: string, enum: [rolling, all] }
        grace: { type: integer, minimum: 5 }
        note: { type: string, default: hello }
        tags: { type: array, minItems: 2, items: { type: string, minLength: 8 } }
        force: { type: boolean }
        ratio: { type: number }
`,
)}`,
    ]);
    const entryOf = catalog.get('service.restart');
    assert.ok(entryOf);
    assert.deepEqual(entryOf.example, {
      mode: 'rolling',
      grace: 5,
      note: 'hello',
      tags: ['xxxxxxxx', 'xxxxxxxx'],
      force: false,
      ratio: 1,
    });
    assert.equal(entryOf.validateParams(entryOf.example), true);
    assert.equal(catalog.check(request({ type: 'service.restart', params: entryOf.example })).ok, true);
  });

  it('prefers the first of `examples` when the schema gives them', () => {
    const catalog = load([
      'cat.yaml',
      `types:\n${entry('a.b', '    params:\n      type: object\n      examples: [{ n: 4 }]\n      properties:\n        n: { type: integer }\n')}`,
    ]);
    assert.deepEqual(catalog.get('a.b')?.example, { n: 4 });
  });
});
