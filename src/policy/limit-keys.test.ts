/** Counter keys of policy limits: escaped so that no two distinct counters share a key, and readable back. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LIMIT_DIMENSIONS } from './limit-schema.ts';
import { counterKey, type DimensionValues, parseCounterKey } from './limits.ts';

describe('counter keys', () => {
  it('escapes the characters that build keys, so a value cannot forge another dimension', () => {
    const forged = counterKey('l', { agent: 'a1|type=service.restart' });
    assert.equal(forged, 'l|agent=a1%7Ctype%3Dservice.restart');
    assert.notEqual(forged, counterKey('l', { agent: 'a1', type: 'service.restart' }));
    assert.equal(counterKey('l', { target: '100%' }), 'l|target=100%25');
  });

  const value = fc.oneof(
    fc.string({ unit: fc.constantFrom('|', '=', '%', '7', 'C', '3', 'D', '2', '5', 'a'), maxLength: 6 }),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
  );
  const tuple = fc.record(
    { limit: value, agent: value, type: value, environment: value, target: value },
    { requiredKeys: ['limit'] },
  );
  type Tuple = typeof tuple extends fc.Arbitrary<infer T> ? T : never;
  const valuesOf = ({ limit: _, ...values }: Tuple) => values as DimensionValues;

  it('never gives two distinct (limit, dimension values) the same key', () => {
    fc.assert(
      fc.property(tuple, tuple, (a, b) => {
        const same = a.limit === b.limit && LIMIT_DIMENSIONS.every((d) => valuesOf(a)[d] === valuesOf(b)[d]);
        assert.equal(counterKey(a.limit, valuesOf(a)) === counterKey(b.limit, valuesOf(b)), same);
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads back every key it makes', () => {
    fc.assert(
      fc.property(tuple, (t) => {
        assert.deepEqual(parseCounterKey(counterKey(t.limit, valuesOf(t))), {
          limit: t.limit,
          values: valuesOf(t),
        });
      }),
      { numRuns: 1_000 },
    );
  });
});
