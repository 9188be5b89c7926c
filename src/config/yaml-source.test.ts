/** Tests YamlSource: syntax errors with positions, locate/locateInString, and zod decoding into located problems. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { YamlSource } from './yaml-source.ts';

function source(text: string, file = 'f.yaml'): YamlSource {
  const parsed = YamlSource.parse(file, text);
  if (!parsed.ok) assert.fail(`expected the YAML to parse: ${JSON.stringify(parsed.problems)}`);
  return parsed.value;
}

describe('YamlSource.parse', () => {
  it('parses valid YAML into a plain value', () => {
    const s = source('a: 1\nb: [x, y]\nc:\n  d: true\n', 'ok.yaml');
    assert.equal(s.file, 'ok.yaml');
    assert.equal(s.text, 'a: 1\nb: [x, y]\nc:\n  d: true\n');
    assert.deepEqual(s.value, { a: 1, b: ['x', 'y'], c: { d: true } });
  });

  const errors: {
    name: string;
    text: string;
    line: number | null;
    column: number | null;
    message: string;
  }[] = [
    {
      name: 'an unclosed flow sequence',
      text: 'a: 1\nb: [1, 2\nc: 3\n',
      line: 3,
      column: 1,
      message: 'Flow sequence in block collection must be sufficiently indented and end with a ]',
    },
    {
      name: 'an unclosed double quote',
      text: 'a: 1\nb:\n  c: "x\n',
      line: 4,
      column: 1,
      message: 'Missing closing "quote',
    },
    {
      name: 'a duplicate key at the top level',
      text: 'a: 1\nb: 2\na: 3\n',
      line: 3,
      column: 1,
      message: 'Map keys must be unique',
    },
    {
      name: 'a duplicate key in a nested map',
      text: 'x:\n  a: 1\n  a: 3\n',
      line: 3,
      column: 3,
      message: 'Map keys must be unique',
    },
    {
      name: 'an alias without an anchor (no position known)',
      text: 'a: *x\n',
      line: null,
      column: null,
      message: 'Unresolved alias (the anchor must be set before the alias): x',
    },
  ];
  for (const c of errors) {
    it(`reports ${c.name} with its position`, () => {
      const parsed = YamlSource.parse('bad.yaml', c.text);
      assert.equal(parsed.ok, false);
      if (parsed.ok) return;
      assert.deepEqual(parsed.problems[0], {
        file: 'bad.yaml',
        line: c.line,
        column: c.column,
        path: '',
        message: c.message,
      });
    });
  }

  it('reports every syntax error, each with the first line of its message only', () => {
    const parsed = YamlSource.parse('bad.yaml', 'a: 1\n  b: 2\n');
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.deepEqual(parsed.problems, [
      {
        file: 'bad.yaml',
        line: 1,
        column: 4,
        path: '',
        message: 'Nested mappings are not allowed in compact mappings',
      },
      {
        file: 'bad.yaml',
        line: 1,
        column: 4,
        path: '',
        message: 'Implicit keys need to be on a single line',
      },
    ]);
  });
});

describe('YamlSource.locate', () => {
  const text = [
    'top:', // 1
    '  list:', // 2
    '    - name: one', // 3
    '      when: x > 1', // 4
    '    - name: two', // 5
    '      when: |', // 6
    '        request.a == 1 &&', // 7
    '          request.confidance > 2', // 8
    '  other: 5', // 9
    '  flow: { k: [a, b] }', // 10
  ].join('\n');
  const s = source(`${text}\n`);

  const cases: { path: PropertyKey[]; line: number; column: number; note: string }[] = [
    { path: [], line: 1, column: 1, note: 'the document' },
    { path: ['top', 'other'], line: 9, column: 10, note: 'a scalar value of a nested key' },
    { path: ['top', 'list', 0, 'name'], line: 3, column: 13, note: 'a key of a map in a sequence' },
    { path: ['top', 'list', 0, 'when'], line: 4, column: 13, note: 'a plain scalar' },
    { path: ['top', 'list', 0], line: 3, column: 7, note: 'the first sequence item' },
    { path: ['top', 'list', 1], line: 5, column: 7, note: 'the second sequence item' },
    { path: ['top', 'list', 1, 'when'], line: 6, column: 13, note: 'a block scalar (at its indicator)' },
    { path: ['top', 'flow', 'k', 1], line: 10, column: 18, note: 'an item of a flow sequence' },
    { path: ['top', 'flow', 'k'], line: 10, column: 11, note: 'a flow sequence: at its key' },
    { path: ['top', 'list'], line: 2, column: 3, note: 'a block sequence: at its key, not its first dash' },
    {
      path: ['top', 'missing', 'x'],
      line: 1,
      column: 1,
      note: 'a missing key: its nearest parent (the key top)',
    },
    { path: ['top', 'list', 1, 'nope'], line: 5, column: 7, note: 'a missing key in a sequence item' },
    { path: ['top', 'list', 7], line: 2, column: 3, note: 'an index past the end: the sequence (its key)' },
    { path: ['top', 'other', 'deeper'], line: 9, column: 10, note: 'a path through a scalar: the scalar' },
    { path: ['nope'], line: 1, column: 1, note: 'a missing top-level key: the document' },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.path)} → ${c.line}:${c.column} (${c.note})`, () => {
      assert.deepEqual(s.locate(c.path), { line: c.line, column: c.column });
    });
  }

  it('problem() combines the position, the formatted field path and the message', () => {
    assert.deepEqual(s.problem(['top', 'list', 1, 'when'], 'bad condition'), {
      file: 'f.yaml',
      line: 6,
      column: 13,
      path: 'top.list[1].when',
      message: 'bad condition',
    });
  });
});

describe('YamlSource.locateInString', () => {
  it('points into a plain scalar on its own line', () => {
    const s = source('rules:\n  - when: request.confidance > 2\n');
    const value = 'request.confidance > 2';
    assert.deepEqual(s.locateInString(['rules', 0, 'when'], value.indexOf('confidance')), {
      line: 2,
      column: 19,
    });
    assert.deepEqual(s.locateInString(['rules', 0, 'when'], 0), { line: 2, column: 11 });
  });

  it('points into a quoted scalar past its opening quote', () => {
    const s = source('k: "x > 1"\nm: \'a && b\'\n');
    assert.deepEqual(s.locateInString(['k'], 4), { line: 1, column: 9 });
    assert.deepEqual(s.locateInString(['m'], 5), { line: 2, column: 10 });
  });

  it('follows a block scalar onto its later lines', () => {
    const text = [
      'rules:', // 1
      '  - name: two', // 2
      '    when: |', // 3
      '      request.a == 1 &&', // 4
      '        request.confidance > 2', // 5
    ].join('\n');
    const s = source(`${text}\n`);
    const value = (s.value as { rules: { when: string }[] }).rules[0]!.when;
    assert.equal(value, 'request.a == 1 &&\n  request.confidance > 2\n');
    const path = ['rules', 0, 'when'];
    assert.deepEqual(s.locateInString(path, 0), { line: 4, column: 7 });
    assert.deepEqual(s.locateInString(path, value.indexOf('== 1')), { line: 4, column: 17 });
    assert.deepEqual(s.locateInString(path, value.indexOf('confidance')), { line: 5, column: 17 });
    assert.deepEqual(s.locateInString(path, value.indexOf('> 2')), { line: 5, column: 28 });
  });

  it('finds the right line of a block scalar whose lines repeat', () => {
    const s = source('check: |\n  a == 1 ||\n  b == 2 ||\n  a == 1\n');
    const value = 'a == 1 ||\nb == 2 ||\na == 1\n';
    assert.equal((s.value as { check: string }).check, value);
    // The third line of the value sits on line 4 of the file.
    assert.deepEqual(s.locateInString(['check'], value.lastIndexOf('a == 1')), { line: 4, column: 3 });
  });

  it('points at the value, not at a key that contains the same text', () => {
    const s = source('name: a\n');
    assert.deepEqual(s.locateInString(['name'], 0), { line: 1, column: 7 });
  });
});

describe('YamlSource.decode', () => {
  const schema = z.strictObject({
    a: z.strictObject({ b: z.array(z.strictObject({ c: z.number() })) }),
    n: z.string().optional(),
  });

  it('returns the parsed value when the schema accepts it', () => {
    assert.deepEqual(source('a:\n  b:\n    - c: 1\n').decode(schema), {
      ok: true,
      value: { a: { b: [{ c: 1 }] } },
    });
  });

  it('reports a nested type error with its field path and position', () => {
    const result = source('a:\n  b:\n    - c: 1\n    - c: two\n').decode(schema);
    assert.deepEqual(result, {
      ok: false,
      problems: [
        {
          file: 'f.yaml',
          line: 4,
          column: 10,
          path: 'a.b[1].c',
          message: 'Invalid input: expected number, received string',
        },
      ],
    });
  });

  it('reports a missing field at its nearest parent and a wrong type at the value, all at once', () => {
    const result = source('a:\n  b:\n    - {}\nn: 5\n').decode(schema);
    assert.deepEqual(result, {
      ok: false,
      problems: [
        {
          file: 'f.yaml',
          line: 3,
          column: 7,
          path: 'a.b[0].c',
          message: 'Invalid input: expected number, received undefined',
        },
        {
          file: 'f.yaml',
          line: 4,
          column: 4,
          path: 'n',
          message: 'Invalid input: expected string, received number',
        },
      ],
    });
  });

  it('reports each unknown key on its own line', () => {
    const text = [
      'a:', // 1
      '  b:', // 2
      '    - c: 1', // 3
      '      d: 2', // 4
      '  extra: 3', // 5
      'what: 4', // 6
    ].join('\n');
    const result = source(`${text}\n`).decode(schema);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.problems.map((p) => [p.path, p.line, p.message]),
      [
        ['a.b[0].d', 4, 'unknown field'],
        ['a.extra', 5, 'unknown field'],
        ['what', 6, 'unknown field'],
      ],
    );
  });

  it('reports an unknown key whose value is a block map on the line of the key', () => {
    const result = source('a:\n  b: []\nwhat:\n  x: 1\n').decode(schema);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.problems.map((p) => [p.path, p.line, p.column, p.message]),
      [['what', 3, 1, 'unknown field']],
    );
  });

  it('decodeAt() prefixes the paths with where the part sits', () => {
    const s = source('rules:\n  - name: x\n    effect: maybe\n');
    const rule = (s.value as { rules: unknown[] }).rules[0];
    const result = s.decodeAt(
      ['rules', 0],
      rule,
      z.strictObject({ name: z.string(), effect: z.enum(['allow']) }),
    );
    assert.deepEqual(result, {
      ok: false,
      problems: [
        {
          file: 'f.yaml',
          line: 3,
          column: 13,
          path: 'rules[0].effect',
          message: 'Invalid input: expected "allow"',
        },
      ],
    });
  });
});
