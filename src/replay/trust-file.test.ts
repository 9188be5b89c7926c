/** Candidate trust files: a trust section or a whole airlock.yaml, grants by agent, and problems at file:line. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProblem } from '../config/problems.ts';
import { YamlSource } from '../config/yaml-source.ts';
import { decodeCandidateTrust, type TrustContext } from './trust-file.ts';

const DAY = 86_400_000;
const project: TrustContext = {
  environments: new Map([
    ['staging', { name: 'staging', production: false, changeWindows: [] }],
    ['production', { name: 'production', production: true, changeWindows: [] }],
  ]) as unknown as TrustContext['environments'],
  config: { trust: { window: 90 * DAY } },
};

function decode(text: string) {
  const source = YamlSource.parse('next.yaml', text);
  assert.ok(source.ok);
  return decodeCandidateTrust(source.value, project);
}

function problems(text: string): string[] {
  const decoded = decode(text);
  assert.ok(!decoded.ok, 'expected problems');
  return decoded.problems.map(formatProblem);
}

describe('candidate trust file', () => {
  it('reads a trust section with the defaults of airlock.yaml, and notes a changed window', () => {
    const decoded = decode('trust:\n  ceilings: { ops-bot: 2 }\n  window: 30d\n');
    assert.ok(decoded.ok);
    const { settings, window, windowChanged, grants } = decoded.value;
    assert.equal(settings?.ceilings['ops-bot'], 2);
    assert.equal(
      settings?.levels.conditional.minConfidence,
      0.8,
      'omitted: the default, not the project value',
    );
    assert.deepEqual([window, windowChanged, grants.size], [30 * DAY, true, 0]);
  });

  it('reads grants per agent; without a trust section the recorded settings and window stand', () => {
    const decoded = decode(
      'grants:\n  - { agent: a1, scope: "service.*@staging", level: 3 }\n  - { agent: a1, scope: cache.flush, level: 0 }\n',
    );
    assert.ok(decoded.ok);
    assert.equal(decoded.value.settings, null);
    assert.deepEqual([decoded.value.window, decoded.value.windowChanged], [90 * DAY, false]);
    assert.deepEqual(decoded.value.grants.get('a1'), [
      { typePattern: 'service.*', environment: 'staging', level: 3 },
      { typePattern: 'cache.flush', environment: '*', level: 0 },
    ]);
  });

  it('takes the trust section of a whole airlock.yaml and ignores its other sections', () => {
    const decoded = decode('version: 1\nstorage: { url: "sqlite:x.db" }\ntrust:\n  defaultCeiling: 1\n');
    assert.ok(decoded.ok);
    assert.equal(decoded.value.settings?.defaultCeiling, 1);
  });

  it('names every problem by file:line and field path', () => {
    const levels = problems('trust:\n  levels:\n    conditional:\n      tiers: [high]\n');
    assert.equal(
      levels[0],
      'next.yaml:4:15 trust.levels.conditional.tiers[0]: only low and medium tiers can be autonomous; high and critical always need a human',
    );
    assert.equal(levels.length, 6, 'and each missing threshold, at its level');
    assert.ok(levels.slice(1).every((p) => p.startsWith('next.yaml:3:5 trust.levels.conditional.')));
    assert.deepEqual(problems('grant:\n  - { agent: a1 }\n'), ['next.yaml:1:1 grant: unknown field']);
    assert.deepEqual(problems('grants:\n  - { agent: a1, scope: "service.*@qa", level: 2 }\n'), [
      'next.yaml:2:25 grants[0].scope: unknown environment "qa"',
    ]);
    assert.deepEqual(problems('grants: []\n'), [
      'next.yaml:1:1 sets neither trust nor grants: nothing to replay with',
    ]);
  });
});
