/** Tests canonicalJson against RFC 8785 (JCS): key order, number and string forms, rejections, round trips. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CanonicalJsonError, canonicalJson } from './canonical-json.ts';

describe('canonicalJson', () => {
  describe('object keys are sorted by UTF-16 code units', () => {
    it('orders the RFC 8785 section 3.2.3 example keys as the RFC does', () => {
      const input = {
        '\u20ac': 'Euro Sign',
        '\r': 'Carriage Return',
        '\ufb33': 'Hebrew Letter Dalet With Dagesh',
        '1': 'One',
        '\ud83d\ude00': 'Emoji: Grinning Face',
        '\u0080': 'Control',
        '\u00f6': 'Latin Small Letter O With Diaeresis',
      };
      const out = canonicalJson(input);
      assert.deepEqual(Object.keys(JSON.parse(out)), [
        '1',
        '\r',
        '\u0080',
        '\u00f6',
        '\u20ac',
        '\ud83d\ude00',
        '\ufb33',
      ]);
      // Object.keys lists integer-like keys first anyway, so check the text itself too.
      assert.equal(
        out,
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
          '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
      );
    });

    const cases: { name: string; input: Record<string, unknown>; expected: string }[] = [
      { name: 'plain ASCII keys', input: { b: 1, a: 2, c: 3 }, expected: '{"a":2,"b":1,"c":3}' },
      { name: 'upper case before lower case', input: { a: 1, B: 2, A: 3 }, expected: '{"A":3,"B":2,"a":1}' },
      {
        name: 'a prefix before its extensions',
        input: { ab: 1, a: 2, abc: 3 },
        expected: '{"a":2,"ab":1,"abc":3}',
      },
      {
        name: 'digits as strings, not numbers',
        input: { '10': 1, '9': 2, '1': 3 },
        expected: '{"1":3,"10":1,"9":2}',
      },
      { name: 'the empty key first', input: { x: 1, '': 2 }, expected: '{"":2,"x":1}' },
      {
        name: 'a surrogate pair (U+1F600) before U+FB33, unlike code point order',
        input: { '\ufb33': 1, '\ud83d\ude00': 2 },
        expected: '{"\ud83d\ude00":2,"\ufb33":1}',
      },
    ];
    for (const { name, input, expected } of cases) {
      it(name, () => assert.equal(canonicalJson(input), expected));
    }
  });

  describe('numbers use the ECMAScript shortest form', () => {
    const cases: [number, string][] = [
      [1e21, '1e+21'],
      [1e20, '100000000000000000000'],
      [1e-7, '1e-7'],
      [0.000001, '0.000001'],
      [-0, '0'],
      [0, '0'],
      [Number('333333333.33333329'), '333333333.3333333'],
      [1e30, '1e+30'],
      [4.5, '4.5'],
      [2e-3, '0.002'],
      [-1.5, '-1.5'],
      [9007199254740992, '9007199254740992'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [0.1 + 0.2, '0.30000000000000004'],
      [295147905179352830000, '295147905179352830000'],
    ];
    for (const [value, expected] of cases) {
      it(`${Object.is(value, -0) ? '-0' : String(value)} → ${expected}`, () =>
        assert.equal(canonicalJson(value), expected));
    }

    it('reads the RFC notations 1E30, 4.50 and 2e-3 from JSON text the same way', () => {
      assert.equal(canonicalJson(JSON.parse('[1E30,4.50,2e-3,-0]')), '[1e+30,4.5,0.002,0]');
    });
  });

  describe('strings', () => {
    const cases: { name: string; input: string; expected: string }[] = [
      { name: 'plain text', input: 'hello', expected: '"hello"' },
      { name: 'quote and backslash', input: 'a"b\\c', expected: '"a\\"b\\\\c"' },
      { name: 'short escapes', input: '\b\t\n\f\r', expected: '"\\b\\t\\n\\f\\r"' },
      {
        name: 'other control characters as lower-case \\u00XX',
        input: '\u0000\u0001\u001f',
        expected: '"\\u0000\\u0001\\u001f"',
      },
      { name: 'solidus is not escaped', input: 'a/b', expected: '"a/b"' },
      {
        name: 'DEL and non-ASCII stay literal',
        input: '\u007f\u00e9\u20ac',
        expected: '"\u007f\u00e9\u20ac"',
      },
      { name: 'U+2028 stays literal', input: '\u2028', expected: '"\u2028"' },
      { name: 'a surrogate pair stays literal', input: '\ud83d\ude00', expected: '"\ud83d\ude00"' },
      {
        name: 'the RFC example string',
        input: '\u20ac$\u000f\nA\'\u0042\u0022\u005c\\"/',
        expected: '"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"',
      },
    ];
    for (const { name, input, expected } of cases) {
      it(name, () => assert.equal(canonicalJson(input), expected));
    }

    it('escapes keys the same way as values', () => {
      assert.equal(canonicalJson({ 'a\nb': 'c"d' }), '{"a\\nb":"c\\"d"}');
    });
  });

  describe('literals, arrays and nesting', () => {
    const cases: { name: string; input: unknown; expected: string }[] = [
      { name: 'null', input: null, expected: 'null' },
      { name: 'true', input: true, expected: 'true' },
      { name: 'false', input: false, expected: 'false' },
      { name: 'empty array', input: [], expected: '[]' },
      { name: 'empty object', input: {}, expected: '{}' },
      { name: 'array order is kept', input: [3, 1, 2], expected: '[3,1,2]' },
      {
        name: 'nested objects sorted at every depth',
        input: { z: { y: 1, x: [{ b: 2, a: 1 }] }, a: [[], {}, [null]] },
        expected: '{"a":[[],{},[null]],"z":{"x":[{"a":1,"b":2}],"y":1}}',
      },
      {
        name: 'the RFC 8785 section 3.2.2 example',
        input: JSON.parse(String.raw`{
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }`),
        expected:
          '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
          '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
      },
      {
        name: 'undefined members are skipped',
        input: { a: undefined, b: 1, c: undefined },
        expected: '{"b":1}',
      },
      { name: 'an object of only undefined members', input: { a: undefined }, expected: '{}' },
      {
        name: 'undefined members skipped in nested objects',
        input: [{ x: undefined, y: { z: undefined } }],
        expected: '[{"y":{}}]',
      },
    ];
    for (const { name, input, expected } of cases) {
      it(name, () => assert.equal(canonicalJson(input), expected));
    }
  });

  describe('values JSON cannot hold are rejected with CanonicalJsonError', () => {
    const cases: { name: string; input: unknown; message: string }[] = [
      { name: 'NaN', input: Number.NaN, message: 'cannot encode non-finite number NaN' },
      {
        name: 'Infinity',
        input: Number.POSITIVE_INFINITY,
        message: 'cannot encode non-finite number Infinity',
      },
      {
        name: '-Infinity',
        input: Number.NEGATIVE_INFINITY,
        message: 'cannot encode non-finite number -Infinity',
      },
      {
        name: 'NaN nested in an object',
        input: { a: [1, Number.NaN] },
        message: 'cannot encode non-finite number NaN',
      },
      { name: 'a function', input: () => 1, message: 'cannot encode a value of type function' },
      { name: 'a function member', input: { f() {} }, message: 'cannot encode a value of type function' },
      { name: 'a bigint', input: 1n, message: 'cannot encode a value of type bigint' },
      { name: 'a symbol', input: Symbol('s'), message: 'cannot encode a value of type symbol' },
    ];
    for (const { name, input, message } of cases) {
      it(name, () => {
        assert.throws(
          () => canonicalJson(input),
          (error: unknown) => {
            assert.ok(error instanceof CanonicalJsonError);
            assert.equal(error.name, 'CanonicalJsonError');
            assert.equal(error.message, message);
            return true;
          },
        );
      });
    }
  });

  describe('properties', () => {
    it('is a fixed point: canonicalising the parsed output gives the same text', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          const once = canonicalJson(value);
          assert.equal(canonicalJson(JSON.parse(once)), once);
        }),
        { numRuns: 300 },
      );
    });

    it('agrees with JSON.parse: the output parses back to an equal value', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          assert.deepEqual(JSON.parse(canonicalJson(value)), JSON.parse(JSON.stringify(value)));
        }),
        { numRuns: 300 },
      );
    });

    it('does not depend on the order of keys in the input', () => {
      fc.assert(
        fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (value, seed) => {
          assert.equal(canonicalJson(shuffleKeys(value, seed)), canonicalJson(value));
        }),
        { numRuns: 300 },
      );
    });
  });
});

/** The same JSON value with every object's keys inserted in a pseudo-random order. */
function shuffleKeys(value: unknown, seed: number): unknown {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state;
  };
  const visit = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(visit);
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = next() % (i + 1);
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    return Object.fromEntries(entries.map(([k, child]) => [k, visit(child)]));
  };
  return visit(value);
}

describe('canonicalJson: objects with integer-like keys', () => {
  it('orders integer-like keys by UTF-16 code units, not numerically', () => {
    assert.equal(
      canonicalJson({ b: 1, 10: 'ten', 9: 'nine', a: { 2: true, 10: false } }),
      '{"10":"ten","9":"nine","a":{"10":false,"2":true},"b":1}',
    );
  });

  it('gives the same text as the careful serialisation for any JSON value (property)', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.dictionary(fc.constantFrom('0', '1', '10', '9', 'a', 'B', 'é'), fc.jsonValue()),
        (v, d) => {
          const value = { v, d };
          const text = canonicalJson(value);
          assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)));
          assert.equal(canonicalJson(JSON.parse(text)), text);
        },
      ),
    );
  });
});
