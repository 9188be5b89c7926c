/** Tests the content hash: the same files hash the same in any directory, and any change to them shows. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentHash } from './bundle-content.ts';
import { CONTEXT, compile, rule } from './policy-test-helpers.ts';

describe('contentHash', () => {
  const A = `rules:\n${rule('deny-big', 'request.params.replicas > 20', 'deny', 'types: [deployment.scale]')}`;
  const B = `rules:\n${rule('allow-restart', null, 'allow', 'types: [service.restart]')}`;
  const live = compile([
    ['policies/a.yaml', A],
    ['policies/b.yaml', B],
  ]);

  it('is the same for the same files in another directory, where the bundle hash is not', () => {
    const shadow = compile([
      ['policies-next/a.yaml', A],
      ['policies-next/b.yaml', B],
    ]);
    assert.notEqual(shadow.hash, live.hash);
    assert.equal(contentHash(shadow), contentHash(live));
    assert.match(contentHash(live), /^sha256:[0-9a-f]{64}$/);
  });

  it('differs when a file, a file name or the default effect differs', () => {
    const cases: [string, [string, string][], typeof CONTEXT][] = [
      [
        'a changed file',
        [
          ['policies/a.yaml', A],
          ['policies/b.yaml', `${B}# edited\n`],
        ],
        CONTEXT,
      ],
      [
        'a renamed file',
        [
          ['policies/a.yaml', A],
          ['policies/c.yaml', B],
        ],
        CONTEXT,
      ],
      ['a missing file', [['policies/a.yaml', A]], CONTEXT],
      [
        'another default',
        [
          ['policies/a.yaml', A],
          ['policies/b.yaml', B],
        ],
        { ...CONTEXT, defaultEffect: 'deny' },
      ],
    ];
    for (const [name, files, context] of cases) {
      assert.notEqual(contentHash(compile(files, context)), contentHash(live), name);
    }
  });
});
