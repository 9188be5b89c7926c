/** Tests scopes: parseScope/formatScope round trips and rejections, and resolveLevel's choice of grant. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { TrustLevel } from '../domain/levels.ts';
import { formatScope, type Grant, parseScope, resolveLevel } from './scope.ts';

const grant = (typePattern: string, environment: string, level: TrustLevel): Grant => ({
  typePattern,
  environment,
  level,
});

describe('parseScope and formatScope', () => {
  const valid: [string, string, string][] = [
    ['service.restart@staging', 'service.restart', 'staging'],
    ['service.*@production', 'service.*', 'production'],
    ['*@*', '*', '*'],
    ['service.restart@*', 'service.restart', '*'],
    ['feature_flag.set@eu-west.prod_1', 'feature_flag.set', 'eu-west.prod_1'],
    ['cache-v2.flush@Staging2', 'cache-v2.flush', 'Staging2'],
    ['0day.patch@dev', '0day.patch', 'dev'],
  ];
  for (const [text, typePattern, environment] of valid) {
    it(`parses "${text}" and formats it back`, () => {
      assert.deepEqual(parseScope(text), { typePattern, environment });
      assert.equal(formatScope(typePattern, environment), text);
    });
  }

  it('takes a scope without @ as every environment', () => {
    assert.deepEqual(parseScope('service.*'), { typePattern: 'service.*', environment: '*' });
    assert.equal(formatScope('service.*', '*'), 'service.*@*');
  });

  const invalid: [string, string][] = [
    ['', 'empty'],
    ['@staging', 'empty type pattern'],
    ['service.restart@', 'empty environment'],
    ['Service.restart@staging', 'upper-case type'],
    ['.service@staging', 'type starting with a dot'],
    ['-service@staging', 'type starting with a dash'],
    ['service restart@staging', 'space in the type'],
    ['service.restart@-staging', 'environment starting with a dash'],
    ['service.restart@.staging', 'environment starting with a dot'],
    ['service.restart@stag ing', 'space in the environment'],
    ['service.restart@stag*', 'wildcard inside an environment name'],
    ['service.restart@**', 'double wildcard environment'],
    ['a@b@c', 'two @ signs'],
    ['service/restart@staging', 'slash in the type'],
  ];
  for (const [text, why] of invalid) {
    it(`rejects "${text}" (${why})`, () => assert.equal(parseScope(text), null));
  }

  it('property: formatScope then parseScope gives back the parts', () => {
    const typeChar = fc.constantFrom(...'abcxyz019_.*-');
    const typePattern = fc
      .tuple(fc.constantFrom(...'az09*'), fc.array(typeChar, { maxLength: 12 }))
      .map(([first, rest]) => first + rest.join(''));
    const envName = fc
      .tuple(fc.constantFrom(...'aZ9'), fc.array(fc.constantFrom(...'azAZ09_.-'), { maxLength: 10 }))
      .map(([first, rest]) => first + rest.join(''));
    const environment = fc.oneof(fc.constant('*'), envName);
    fc.assert(
      fc.property(typePattern, environment, (t, e) => {
        assert.deepEqual(parseScope(formatScope(t, e)), { typePattern: t, environment: e });
      }),
    );
  });
});

describe('resolveLevel', () => {
  const cases: { name: string; grants: Grant[]; type: string; env: string; expected: Grant | null }[] = [
    {
      name: 'no grants: level 0',
      grants: [],
      type: 'service.restart',
      env: 'staging',
      expected: null,
    },
    {
      name: 'no matching type: level 0',
      grants: [grant('cache.*', '*', 3)],
      type: 'service.restart',
      env: 'staging',
      expected: null,
    },
    {
      name: 'no matching environment: level 0',
      grants: [grant('service.restart', 'production', 3)],
      type: 'service.restart',
      env: 'staging',
      expected: null,
    },
    {
      name: 'a single exact grant',
      grants: [grant('service.restart', 'staging', 2)],
      type: 'service.restart',
      env: 'staging',
      expected: grant('service.restart', 'staging', 2),
    },
    {
      name: 'a single wildcard grant',
      grants: [grant('*', '*', 1)],
      type: 'service.restart',
      env: 'staging',
      expected: grant('*', '*', 1),
    },
    {
      name: 'the exact environment beats * even with a less specific pattern',
      grants: [grant('service.restart', '*', 3), grant('*', 'staging', 1)],
      type: 'service.restart',
      env: 'staging',
      expected: grant('*', 'staging', 1),
    },
    {
      name: 'the exact environment beats * even when * grants less',
      grants: [grant('service.*', '*', 0), grant('service.*', 'staging', 3)],
      type: 'service.restart',
      env: 'staging',
      expected: grant('service.*', 'staging', 3),
    },
    {
      name: 'more literal characters beat fewer',
      grants: [grant('service.*', 'staging', 1), grant('service.restart', 'staging', 3)],
      type: 'service.restart',
      env: 'staging',
      expected: grant('service.restart', 'staging', 3),
    },
    {
      name: 'more literal characters beat fewer, whatever the order of grants',
      grants: [
        grant('service.restart', 'staging', 1),
        grant('service.*', 'staging', 3),
        grant('*', 'staging', 2),
      ],
      type: 'service.restart',
      env: 'staging',
      expected: grant('service.restart', 'staging', 1),
    },
    {
      name: 'equal specificity resolves to the lowest level (lowest given last)',
      grants: [grant('service.*', 'staging', 3), grant('*.restart', 'staging', 1)],
      type: 'service.restart',
      env: 'staging',
      expected: grant('*.restart', 'staging', 1),
    },
    {
      name: 'equal specificity resolves to the lowest level (lowest given first)',
      grants: [grant('*.restart', 'staging', 1), grant('service.*', 'staging', 3)],
      type: 'service.restart',
      env: 'staging',
      expected: grant('*.restart', 'staging', 1),
    },
    {
      name: 'a more specific grant wins over less specific grants at any level',
      grants: [grant('service.*', '*', 2), grant('*.restart', '*', 0), grant('servic*.restart', '*', 3)],
      type: 'service.restart',
      env: 'production',
      expected: grant('servic*.restart', '*', 3),
    },
    {
      name: 'equal specificity among three, lowest wins',
      grants: [grant('service.*', '*', 2), grant('*.restart', '*', 0), grant('*ice.rest*', '*', 3)],
      type: 'service.restart',
      env: 'production',
      expected: grant('*.restart', '*', 0),
    },
    {
      name: 'a grant for another environment is ignored even when more specific',
      grants: [grant('service.restart', 'production', 3), grant('*', '*', 1)],
      type: 'service.restart',
      env: 'staging',
      expected: grant('*', '*', 1),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(resolveLevel(c.grants, c.type, c.env), {
        level: c.expected?.level ?? 0,
        grant: c.expected,
      });
    });
  }

  it('property: the result never depends on the order of the grants', () => {
    const grantArb = fc.record({
      typePattern: fc.constantFrom('*', 'service.*', '*.restart', 'service.restart', 'cache.*', 's*'),
      environment: fc.constantFrom('*', 'staging', 'production'),
      level: fc.constantFrom<TrustLevel>(0, 1, 2, 3),
    });
    fc.assert(
      fc.property(fc.array(grantArb, { maxLength: 8 }), (grants) => {
        const forward = resolveLevel(grants, 'service.restart', 'staging');
        const backward = resolveLevel([...grants].reverse(), 'service.restart', 'staging');
        assert.equal(backward.level, forward.level);
      }),
    );
  });
});
