/** Tests glob patterns over action types and scopes: matching, escaping, specificity and caching. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { glob } from './glob.ts';

describe('glob', () => {
  const cases: { pattern: string; value: string; matches: boolean }[] = [
    { pattern: 'service.restart', value: 'service.restart', matches: true },
    { pattern: 'service.restart', value: 'service.restarts', matches: false },
    { pattern: 'service.restart', value: 'xservice.restart', matches: false },
    { pattern: 'service.restart', value: 'Service.restart', matches: false },
    { pattern: 'service.*', value: 'service.restart', matches: true },
    { pattern: 'service.*', value: 'service.a.b', matches: true },
    { pattern: 'service.*', value: 'service.', matches: true },
    { pattern: 'service.*', value: 'service', matches: false },
    { pattern: 'service.*', value: 'services.restart', matches: false },
    { pattern: 'service.*', value: 'my.service.restart', matches: false },
    { pattern: '*.restart', value: 'service.restart', matches: true },
    { pattern: '*.restart', value: 'service.restart.now', matches: false },
    { pattern: '*', value: 'anything.at.all', matches: true },
    { pattern: '*', value: '', matches: true },
    { pattern: 'a*b*c', value: 'abc', matches: true },
    { pattern: 'a*b*c', value: 'a-x-b-y-c', matches: true },
    { pattern: 'a*b*c', value: 'acb', matches: false },
    { pattern: '**', value: 'x', matches: true },
    // `.` and other regular-expression characters are literal.
    { pattern: 'a.b', value: 'axb', matches: false },
    { pattern: 'a.*', value: 'ab', matches: false },
    { pattern: 'a+b*', value: 'a+bc', matches: true },
    { pattern: 'a+b*', value: 'aab', matches: false },
    { pattern: '(x)|y*', value: '(x)|yz', matches: true },
    { pattern: '(x)|y*', value: 'x', matches: false },
    { pattern: '[ab]?*', value: '[ab]?', matches: true },
    { pattern: '[ab]?*', value: 'a', matches: false },
    { pattern: '^$\\*', value: '^$\\z', matches: true },
    { pattern: 'line*', value: 'line\nbreak', matches: false },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.pattern)} ${c.matches ? 'matches' : 'does not match'} ${JSON.stringify(c.value)}`, () => {
      assert.equal(glob(c.pattern).matches(c.value), c.matches);
    });
  }

  const specificity: [string, number][] = [
    ['*', 0],
    ['**', 0],
    ['service.*', 8],
    ['*.restart', 8],
    ['service.restart', 15],
    ['a*b*c', 3],
    ['', 0],
  ];
  for (const [pattern, expected] of specificity) {
    it(`"${pattern}" has specificity ${expected} (its literal characters)`, () => {
      assert.equal(glob(pattern).specificity, expected);
      assert.equal(glob(pattern).pattern, pattern);
    });
  }

  it('returns the same compiled glob for the same pattern', () => {
    assert.equal(glob('cache.*'), glob('cache.*'));
  });

  it('property: a pattern without * matches exactly its own text', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('*')),
        fc.string(),
        (pattern, other) => {
          assert.equal(glob(pattern).matches(pattern), true);
          assert.equal(glob(pattern).matches(other), other === pattern);
        },
      ),
    );
  });

  it('property: prefix* matches every extension of the prefix and nothing else', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('*')),
        fc.string(),
        (prefix, rest) => {
          assert.equal(glob(`${prefix}*`).matches(prefix + rest), true);
          assert.equal(glob(`${prefix}*`).matches(rest), rest.startsWith(prefix));
        },
      ),
    );
  });
});
