/** HTTP API security: authentication, agent/person separation, admin-only trust, suspension, token storage. */

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { actionSchema, errorSchema } from '../src/api/schemas.ts';
import { trustSchema } from '../src/api/trust-schemas.ts';
import { type Harness, type Response, restart, startHarness } from './harness.ts';
import { openRawDb, projectStorage } from './raw-db.ts';

const SYSTEM = { kind: 'system', id: 't' } as const;

function expectError(response: Response, status: number, code: string) {
  assert.equal(response.status, status, response.text);
  const { error } = errorSchema.parse(response.body);
  assert.equal(error.code, code);
  assert.equal(error.requestId, response.headers.get('x-request-id'));
  return error;
}

describe('authentication', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness();
    token = await h.agent('auth-bot');
  });
  after(() => h.close());

  it('no Authorization header → 401 unauthorized', async () => {
    expectError(await h.request('POST', '/v1/actions', { body: restart() }), 401, 'unauthorized');
    expectError(await h.request('GET', '/v1/catalog'), 401, 'unauthorized');
    expectError(await h.request('GET', '/v1/actions'), 401, 'unauthorized');
  });

  it('a wrong or garbage token → 401', async () => {
    expectError(await h.propose('garbage', restart()), 401, 'unauthorized');
    expectError(await h.propose(`${token}x`, restart()), 401, 'unauthorized');
    expectError(await h.request('GET', '/v1/catalog', { token: 'alk_agent_nope' }), 401, 'unauthorized');
  });

  it('Basic credentials → 401', async () => {
    const response = await h.request('GET', '/v1/catalog', { headers: { authorization: 'Basic xyz' } });
    expectError(response, 401, 'unauthorized');
    const smuggled = await h.request('GET', '/v1/catalog', { headers: { authorization: `Basic ${token}` } });
    expectError(smuggled, 401, 'unauthorized');
  });

  it('a revoked agent token → 401', async () => {
    const revokedToken = await h.agent('revoked-bot');
    assert.equal((await h.request('GET', '/v1/catalog', { token: revokedToken })).status, 200);
    assert.equal(await h.airlock.agents.revokeTokens('revoked-bot', SYSTEM), 1);
    expectError(await h.request('GET', '/v1/catalog', { token: revokedToken }), 401, 'unauthorized');
    expectError(await h.propose(revokedToken, restart()), 401, 'unauthorized');
  });

  it('every response carries an x-request-id header', async () => {
    const responses = [
      await h.request('GET', '/healthz'),
      await h.request('GET', '/v1/catalog', { token }),
      await h.request('GET', '/v1/catalog'),
      await h.request('GET', '/v1/nowhere'),
      await h.propose(token, restart()),
    ];
    for (const response of responses) assert.match(response.headers.get('x-request-id') ?? '', /^[\w.:-]+$/);
    const given = await h.request('GET', '/healthz', { headers: { 'x-request-id': 'trace-42' } });
    assert.equal(given.headers.get('x-request-id'), 'trace-42');
    const unsafe = await h.request('GET', '/healthz', { headers: { 'x-request-id': 'bad id <script>' } });
    assert.notEqual(unsafe.headers.get('x-request-id'), 'bad id <script>');
    assert.match(unsafe.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });
});

describe('agents and people are kept apart', () => {
  let h: Harness;
  let mine: string;
  let theirs: string;
  let alice: string;
  before(async () => {
    h = await startHarness();
    mine = await h.agent('bot-a');
    theirs = await h.agent('bot-b');
    alice = await h.person('alice');
  });
  after(() => h.close());

  it("an agent reading another agent's action → 404, the same as an unknown id", async () => {
    const action = actionSchema.parse((await h.propose(theirs, restart())).body);
    assert.equal((await h.request('GET', `/v1/actions/${action.id}`, { token: theirs })).status, 200);
    const foreign = expectError(
      await h.request('GET', `/v1/actions/${action.id}`, { token: mine }),
      404,
      'not_found',
    );
    assert.equal(foreign.message, `no action ${action.id}`);
    assert.deepEqual(foreign.details, []);
    const waited = await h.request('GET', `/v1/actions/${action.id}/wait?timeout=1`, { token: mine });
    expectError(waited, 404, 'not_found');
    const unknown = expectError(
      await h.request('GET', '/v1/actions/act_0000000000nothing', { token: mine }),
      404,
      'not_found',
    );
    assert.equal(unknown.message, 'no action act_0000000000nothing');
  });

  it('an agent token on person-only routes → 403 forbidden', async () => {
    const calls: [string, string, unknown?][] = [
      ['GET', '/v1/actions'],
      ['GET', '/v1/agents'],
      ['GET', '/v1/agents/bot-a/trust'],
      ['GET', '/v1/audit/verify'],
      [
        'PUT',
        '/v1/agents/bot-a/trust',
        { scope: 'service.restart@staging', level: 3, reason: 'self-promotion' },
      ],
    ];
    for (const [method, url, body] of calls) {
      const response = await h.request(method, url, { token: mine, ...(body === undefined ? {} : { body }) });
      expectError(response, 403, 'forbidden');
    }
    const trust = trustSchema.parse(
      (await h.request('GET', '/v1/agents/bot-a/trust', { token: alice })).body,
    );
    assert.deepEqual(trust.scopes, []);
  });

  it('a person token proposing → 403 forbidden, and no action is created', async () => {
    for (const person of ['alice', 'bob', 'carol']) {
      expectError(await h.propose(await h.person(person), restart()), 403, 'forbidden');
    }
    const list = await h.request('GET', '/v1/actions', { token: alice });
    assert.equal(list.status, 200);
    assert.equal(list.body.actions.length, 1);
  });
});

describe('PUT /v1/agents/:id/trust: only admins, never above the ceiling, with a reason', () => {
  let h: Harness;
  let alice: string;
  before(async () => {
    h = await startHarness();
    alice = await h.person('alice');
    await h.agent('target-bot');
    await h.agent('experimental-bot');
    await h.grant('target-bot', 'service.restart@staging', 1);
  });
  after(() => h.close());

  const trustOf = async (agent: string) =>
    trustSchema.parse((await h.request('GET', `/v1/agents/${agent}/trust`, { token: alice })).body);

  it('bob (approver) and carol (viewer) → 403, and no level changes', async () => {
    const before = await trustOf('target-bot');
    for (const person of ['bob', 'carol']) {
      const response = await h.request('PUT', '/v1/agents/target-bot/trust', {
        token: await h.person(person),
        body: { scope: 'service.restart@staging', level: 3, reason: 'I say so' },
      });
      expectError(response, 403, 'forbidden');
    }
    assert.deepEqual(await trustOf('target-bot'), before);
    assert.equal(before.scopes[0]?.level, 1);
  });

  it('above the agent ceiling (experimental-bot is capped at 1) → 403; at the ceiling → 200', async () => {
    const put = (level: number) =>
      h.request('PUT', '/v1/agents/experimental-bot/trust', {
        token: alice,
        body: { scope: 'service.restart@staging', level, reason: 'trial', override: true },
      });
    expectError(await put(2), 403, 'forbidden');
    expectError(await put(3), 403, 'forbidden');
    const trust = await trustOf('experimental-bot');
    assert.equal(trust.ceiling, 1);
    assert.deepEqual(trust.scopes, []);
    const ok = await put(1);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(
      { scope: ok.body.scope, from: ok.body.from, to: ok.body.to },
      { scope: 'service.restart@staging', from: 0, to: 1 },
    );
  });

  it("a reason of '' → 422 naming reason, and no level changes", async () => {
    const before = await trustOf('target-bot');
    const response = await h.request('PUT', '/v1/agents/target-bot/trust', {
      token: alice,
      body: { scope: 'service.restart@staging', level: 2, reason: '' },
    });
    const error = expectError(response, 422, 'validation_failed');
    assert.deepEqual(
      error.details.map((d) => d.path),
      ['reason'],
    );
    const blank = await h.request('PUT', '/v1/agents/target-bot/trust', {
      token: alice,
      body: { scope: 'service.restart@staging', level: 2, reason: '   ' },
    });
    expectError(blank, 422, 'validation_failed');
    assert.deepEqual(await trustOf('target-bot'), before);
  });
});

describe('suspended agents', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness();
    token = await h.agent('wayward-bot');
    await h.grant('wayward-bot', 'service.restart@staging', 2);
  });
  after(() => h.close());

  it('can still authenticate, but every proposal is denied with agent_suspended, in the audit chain', async () => {
    await h.airlock.agents.setStatus('wayward-bot', 'suspended', SYSTEM, null);
    assert.equal((await h.request('GET', '/v1/catalog', { token })).status, 200);
    const response = await h.propose(token, restart());
    assert.equal(response.status, 201, response.text);
    const action = actionSchema.parse(response.body);
    assert.equal(action.decision.effect, 'deny');
    assert.equal(action.status, 'denied');
    const suspended = action.decision.reasons.filter((r) => r.kind === 'agent_suspended');
    assert.equal(suspended.length, 1);

    const events = await h.airlock.audit.forSubject(action.id);
    const decided = events.find((e) => e.kind === 'action.decided');
    assert.ok(decided);
    const data = JSON.parse(decided.data) as {
      status: string;
      decision: { effect: string; reasons: { kind: string }[] };
    };
    assert.equal(data.status, 'denied');
    assert.equal(data.decision.effect, 'deny');
    assert.ok(data.decision.reasons.some((r) => r.kind === 'agent_suspended'));
  });

  it('after resume it is decided normally again', async () => {
    await h.airlock.agents.setStatus('wayward-bot', 'active', SYSTEM, 'back to work');
    const action = actionSchema.parse((await h.propose(token, restart())).body);
    assert.equal(action.decision.effect, 'execute');
    assert.equal(action.status, 'approved');
    assert.ok(action.decision.reasons.every((r) => r.kind !== 'agent_suspended'));
  });
});

describe('secrets and people', () => {
  let h: Harness;
  let agentToken: string;
  let aliceToken: string;
  let carolToken: string;
  before(async () => {
    h = await startHarness();
    agentToken = await h.agent('secret-bot');
    aliceToken = await h.person('alice');
    carolToken = await h.person('carol');
    await h.grant('secret-bot', 'service.restart@staging', 2);
    // Use the tokens so they pass through every layer that might keep them.
    assert.equal((await h.propose(agentToken, restart())).status, 201);
    assert.equal((await h.propose(agentToken, restart({ confidence: 7 }))).status, 422);
    assert.equal((await h.request('GET', '/v1/actions', { token: aliceToken })).status, 200);
    assert.equal((await h.request('GET', '/v1/agents', { token: carolToken })).status, 200);
  });
  after(() => h.close());

  it('tokens are never stored in plain text (credentials, audit_events)', async () => {
    const db = await openRawDb(await projectStorage(h.dir), { readOnly: true });
    try {
      const tokens = [agentToken, aliceToken, carolToken];
      for (const table of ['credentials', 'audit_events']) {
        const rows = await db.all(`SELECT * FROM ${table}`);
        assert.ok(rows.length > 0, `${table} has rows`);
        for (const row of rows) {
          for (const [column, value] of Object.entries(row)) {
            for (const token of tokens) {
              assert.ok(!String(value).includes(token), `${table}.${column} contains a token`);
            }
          }
        }
      }
      // The hash is what is stored: the table really is the one that authenticates.
      const hashes = (await db.all<{ hash: string }>('SELECT hash FROM credentials')).map((r) => r.hash);
      for (const token of tokens)
        assert.ok(hashes.includes(createHash('sha256').update(token).digest('hex')));
    } finally {
      await db.close();
    }
  });

  it('tokens never appear in the logs', () => {
    assert.ok(h.logs.length > 0);
    const text = JSON.stringify(h.logs);
    for (const token of [agentToken, aliceToken, carolToken]) assert.ok(!text.includes(token));
  });

  it('a person removed from people.yaml loses access after a reload', async () => {
    assert.equal((await h.request('GET', '/v1/agents', { token: carolToken })).status, 200);
    await writeFile(
      path.join(h.dir, 'people.yaml'),
      [
        'people:',
        '  - id: alice',
        '    name: Alice Martin',
        '    role: admin',
        '    groups: [sre, platform]',
        '  - id: bob',
        '    name: Bob Okafor',
        '    role: approver',
        '    groups: [sre]',
        '',
      ].join('\n'),
    );
    const result = await h.airlock.holder.reload('command');
    assert.equal(result.ok, true);
    expectError(await h.request('GET', '/v1/agents', { token: carolToken }), 401, 'unauthorized');
    expectError(await h.request('GET', '/v1/catalog', { token: carolToken }), 401, 'unauthorized');
    assert.equal((await h.request('GET', '/v1/agents', { token: aliceToken })).status, 200);
  });
});

describe('authentication comes before the body', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  for (const [name, options] of [
    ['malformed JSON', { rawBody: '{nope', headers: { 'content-type': 'application/json' } }],
    ['a text/plain body', { rawBody: 'hello', headers: { 'content-type': 'text/plain' } }],
    [
      'an oversize body',
      { rawBody: `{"a":"${'x'.repeat(1_200_000)}"}`, headers: { 'content-type': 'application/json' } },
    ],
  ] as const) {
    it(`${name} without a token is answered 401, not parsed`, async () => {
      const response = await h.request('POST', '/v1/actions', options);
      assert.equal(response.status, 401);
      assert.equal(response.body.error.code, 'unauthorized');
    });
  }

  it('every route but health, readiness, metrics and the OpenAPI document needs a token', async () => {
    const open = ['/healthz', '/readyz', '/metrics', '/v1/openapi.json'];
    const document = (await h.request('GET', '/v1/openapi.json')).body;
    for (const [route, methods] of Object.entries(
      document.paths as Record<string, Record<string, unknown>>,
    )) {
      for (const method of Object.keys(methods)) {
        const url = route.replace('{id}', 'x');
        const response = await h.request(method.toUpperCase(), url);
        if (open.includes(route)) assert.notEqual(response.status, 401, `${method} ${route}`);
        else assert.equal(response.status, 401, `${method} ${route}`);
      }
    }
  });
});
