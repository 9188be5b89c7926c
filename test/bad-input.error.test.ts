/** Bad input to trust changes and to CLI options: a clear error naming what is wrong, and nothing changed. */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertFails, cli, useCliProject } from './cli-helpers.ts';
import { type Harness, startHarness } from './harness.ts';

describe('PUT /v1/agents/:id/trust with bad input', () => {
  let h: Harness;
  let alice: string;
  before(async () => {
    h = await startHarness();
    await h.agent('trust-bot');
    alice = await h.person('alice');
  });
  after(() => h.close());

  const put = (agent: string, body: unknown) =>
    h.request('PUT', `/v1/agents/${agent}/trust`, { token: alice, body });

  const cases: { name: string; body: unknown; path: string; message: RegExp }[] = [
    {
      name: 'an environment the project does not have',
      body: { scope: 'service.restart@prod', level: 2, reason: 'r' },
      path: 'scope',
      message: /^no environment "prod" in the project$/,
    },
    {
      name: 'a scope that is not <type pattern>@<environment>',
      body: { scope: 'Service Restart!', level: 2, reason: 'r' },
      path: 'scope',
      message: /^write <type pattern>@<environment>/,
    },
    {
      name: 'a level above 3',
      body: { scope: 'service.restart@staging', level: 7, reason: 'r' },
      path: 'level',
      message: /3/,
    },
    {
      name: 'a level that is not an integer',
      body: { scope: 'service.restart@staging', level: 1.5, reason: 'r' },
      path: 'level',
      message: /int/i,
    },
  ];
  for (const c of cases) {
    it(`${c.name} → 422 naming ${c.path}, and no level changes`, async () => {
      const response = await put('trust-bot', c.body);
      assert.equal(response.status, 422, response.text);
      assert.equal(response.body.error.code, 'validation_failed');
      const detail = response.body.error.details.find((d: { path: string }) => d.path === c.path);
      assert.ok(detail !== undefined, JSON.stringify(response.body.error.details));
      assert.match(detail.message, c.message);
      assert.deepEqual((await h.airlock.trust.show('trust-bot')).scopes, []);
    });
  }

  it('an unknown agent → 404', async () => {
    const response = await put('nobody', { scope: 'service.restart@staging', level: 1, reason: 'r' });
    assert.equal(response.status, 404);
    assert.equal(response.body.error.code, 'not_found');
    assert.equal(response.body.error.message, 'no agent nobody');
  });
});

describe('CLI options with bad values', () => {
  let cfg: string;
  useCliProject((configPath) => {
    cfg = configPath;
  });

  it('serve --port abc exits 2 before loading anything', async () => {
    assertFails(await cli('serve', '--port', 'abc', '--config', cfg), 2, 'airlock: --port takes a number');
  });

  it('actions list --limit 0 exits 2', async () => {
    assertFails(
      await cli('actions', 'list', '--limit', '0', '--config', cfg),
      2,
      'airlock: --limit takes a positive whole number',
    );
  });

  it('trust set with a level outside 0-3 exits 2', async () => {
    assertFails(
      await cli(
        'trust',
        'set',
        'bot',
        'service.restart@staging',
        '--level',
        '9',
        '--reason',
        'r',
        '--as',
        'alice',
        '--config',
        cfg,
      ),
      2,
      'airlock: --level takes a level 0-3',
    );
  });

  it('trust set on an environment the project does not have exits 1 naming it', async () => {
    await cli('agents', 'add', 'bot', '--owner', 'sre', '--config', cfg);
    const run = await cli(
      'trust',
      'set',
      'bot',
      'service.restart@prod',
      '--level',
      '1',
      '--reason',
      'r',
      '--as',
      'alice',
      '--config',
      cfg,
    );
    assertFails(run, 1, 'airlock: unknown environment');
    assert.deepEqual(run.err.slice(1), ['  scope: no environment "prod" in the project']);
  });
});
