/** Tests compileCatalog's load problems: each at its file, line and path, a type defined twice, and every problem at once. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entry, problemsOf } from './catalog-test-helpers.ts';

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
