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
