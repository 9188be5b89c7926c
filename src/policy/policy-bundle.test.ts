/** Tests the bundle compilePolicies builds: rules with their origin, and the hash over files and default effect. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Hex } from '../audit/audit-event.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { CompileContext } from './policy-compiler.ts';
import { CONTEXT, compile, rule } from './policy-test-helpers.ts';

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

describe('compilePolicies: limits', () => {
  const A = `rules:\n${rule('deny-big', 'request.params.replicas > 20', 'deny', 'types: [deployment.scale]')}`;
  const LIMITS = `limits:
  - name: restart-rate
    description: restarts are cheap, but not free
    match: { types: [service.restart], environments: [production] }
    rate: { count: 5, per: 1h, by: [type, agent] }
    effect: escalate
    reason: at most 5 restarts an hour without a human
  - name: blast-radius
    targets: { max: 10 }
    effect: deny
    reason: never more than 10 targets at once
  - name: share-of-service
    match: { types: [service.*] }
    fraction: { max: 0.25 }
    effect: escalate
    reason: a quarter of a service at most
  - name: changes-in-flight
    inFlight: { max: 3, by: [environment] }
    effect: escalate
    reason: three changes at a time
  - name: default-by
    rate: { count: 100, per: 1d }
    effect: deny
    reason: a hundred a day
`;

  it('keeps each limit with its file, line, effect, reason, match and bound (by in key order)', () => {
    const bundle = compile([
      ['policies/a.yaml', A],
      ['policies/limits.yaml', LIMITS],
    ]);
    assert.deepEqual(
      bundle.limits.map((l) => ({
        name: l.name,
        file: l.file,
        line: l.line,
        effect: l.effect,
        reason: l.reason,
        types: l.types?.map((g) => g.pattern) ?? null,
        environments: l.environments === null ? null : [...l.environments],
        check: l.check,
      })),
      [
        {
          name: 'restart-rate',
          file: 'policies/limits.yaml',
          line: 2,
          effect: 'escalate',
          reason: 'at most 5 restarts an hour without a human',
          types: ['service.restart'],
          environments: ['production'],
          check: { kind: 'rate', count: 5, window: 3_600_000, by: ['agent', 'type'] },
        },
        {
          name: 'blast-radius',
          file: 'policies/limits.yaml',
          line: 8,
          effect: 'deny',
          reason: 'never more than 10 targets at once',
          types: null,
          environments: null,
          check: { kind: 'targets', max: 10 },
        },
        {
          name: 'share-of-service',
          file: 'policies/limits.yaml',
          line: 12,
          effect: 'escalate',
          reason: 'a quarter of a service at most',
          types: ['service.*'],
          environments: null,
          check: { kind: 'fraction', max: 0.25 },
        },
        {
          name: 'changes-in-flight',
          file: 'policies/limits.yaml',
          line: 17,
          effect: 'escalate',
          reason: 'three changes at a time',
          types: null,
          environments: null,
          check: { kind: 'in_flight', max: 3, by: ['environment'] },
        },
        {
          name: 'default-by',
          file: 'policies/limits.yaml',
          line: 21,
          effect: 'deny',
          reason: 'a hundred a day',
          types: null,
          environments: null,
          check: { kind: 'rate', count: 100, window: 86_400_000, by: ['agent', 'type', 'environment'] },
        },
      ],
    );
    assert.deepEqual(
      bundle.rules.map((r) => r.name),
      ['deny-big'],
    );
  });

  it('accepts a file with only limits and a file with only rules, and rules and limits in one file', () => {
    const only = compile([['l.yaml', LIMITS]]);
    assert.equal(only.rules.length, 0);
    assert.equal(only.limits.length, 5);
    assert.equal(compile([['r.yaml', A]]).limits.length, 0);
    const both = compile([['both.yaml', `${A}${LIMITS}`]]);
    assert.deepEqual([both.rules.length, both.limits.length], [1, 5]);
  });

  it('changes the hash when a limit changes, through the file text', () => {
    const before = compile([['l.yaml', LIMITS]]);
    const after = compile([['l.yaml', LIMITS.replace('count: 5,', 'count: 6,')]]);
    assert.notEqual(after.hash, before.hash);
    assert.equal(
      before.hash,
      `sha256:${sha256Hex(canonicalJson({ defaultEffect: 'escalate', files: [{ path: 'l.yaml', sha256: sha256Hex(LIMITS) }] }))}`,
    );
  });
});
