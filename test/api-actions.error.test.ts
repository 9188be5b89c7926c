/** HTTP API errors: the one envelope, body parsing, proposal validation (audited), routes, queries, idempotency. */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { actionListSchema, actionSchema, errorSchema, verifySchema } from '../src/api/schemas.ts';
import { type Harness, type Response, restart, startHarness } from './harness.ts';

type ErrorBody = ReturnType<typeof errorSchema.parse>['error'];

/** Assert status and code, that the body is the envelope, and that requestId is the x-request-id header. */
function expectError(response: Response, status: number, code: string): ErrorBody {
  assert.equal(response.status, status, response.text);
  const { error } = errorSchema.parse(response.body);
  assert.equal(error.code, code);
  assert.ok(error.message.length > 0);
  const header = response.headers.get('x-request-id');
  assert.ok(header !== null && header.length > 0);
  assert.equal(error.requestId, header);
  return error;
}

function paths(error: ErrorBody): string[] {
  return error.details.map((d) => d.path);
}

describe('POST /v1/actions: body parsing errors', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness();
    token = await h.agent('parse-bot');
  });
  after(() => h.close());

  it('malformed JSON → 400 malformed_json', async () => {
    const response = await h.request('POST', '/v1/actions', {
      token,
      rawBody: '{"type": "service.restart",',
      headers: { 'content-type': 'application/json' },
    });
    expectError(response, 400, 'malformed_json');
  });

  it('an empty body with a JSON content type → 400 malformed_json', async () => {
    const response = await h.request('POST', '/v1/actions', {
      token,
      rawBody: '',
      headers: { 'content-type': 'application/json' },
    });
    expectError(response, 400, 'malformed_json');
  });

  it('a text/plain body → 415 unsupported_media_type', async () => {
    const response = await h.request('POST', '/v1/actions', {
      token,
      rawBody: JSON.stringify(restart()),
      headers: { 'content-type': 'text/plain' },
    });
    expectError(response, 415, 'unsupported_media_type');
  });

  it('a body larger than server.bodyLimit (1 MiB) → 413 payload_too_large', async () => {
    assert.equal(h.airlock.project().config.server.bodyLimit, 1024 * 1024);
    const response = await h.propose(token, restart({ context: { blob: 'x'.repeat(1.1 * 1024 * 1024) } }));
    expectError(response, 413, 'payload_too_large');
  });

  it('a caller-given x-request-id is echoed in the header and the envelope', async () => {
    const response = await h.request('POST', '/v1/actions', {
      token,
      rawBody: '{',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-123.abc' },
    });
    const error = expectError(response, 400, 'malformed_json');
    assert.equal(error.requestId, 'req-123.abc');
  });

  it('none of these reached the pipeline: no action exists', async () => {
    assert.deepEqual(await h.airlock.store.listActions({ agentId: 'parse-bot', limit: 10 }), []);
  });
});

describe('POST /v1/actions: validation errors, each audited as action.rejected', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness();
    token = await h.agent('sloppy-bot');
    await h.grant('sloppy-bot', 'service.restart@staging', 2);
  });
  after(() => h.close());

  async function rejectedEvents() {
    const events = [];
    for await (const event of h.airlock.audit.events())
      if (event.kind === 'action.rejected') events.push(event);
    return events;
  }

  /** Propose, expect a 422 with `code` naming `path`, and find exactly one new action.rejected event. */
  async function expectRejected(body: unknown, code: string, path: string): Promise<ErrorBody> {
    const before = await rejectedEvents();
    const error = expectError(await h.propose(token, body), 422, code);
    assert.ok(paths(error).includes(path), `expected ${path} in ${JSON.stringify(error.details)}`);
    const after = await rejectedEvents();
    assert.equal(after.length, before.length + 1, 'one action.rejected event per rejected proposal');
    const event = after.at(-1);
    assert.ok(event);
    assert.deepEqual(event.actor, { kind: 'agent', id: 'sloppy-bot' });
    assert.equal(event.subject, null);
    const data = JSON.parse(event.data) as { code: string; details: unknown };
    assert.equal(data.code, code);
    assert.deepEqual(data.details, error.details);
    return error;
  }

  it('an unknown top-level field → 422 validation_failed naming it', async () => {
    const error = await expectRejected(restart({ colour: 'blue' }), 'validation_failed', 'colour');
    assert.deepEqual(error.details, [{ path: 'colour', message: 'unknown field' }]);
  });

  it('a missing type → 422 naming type', async () => {
    const { type: _type, ...body } = restart();
    await expectRejected(body, 'validation_failed', 'type');
  });

  it('confidence 1.5 → 422 naming confidence', async () => {
    const error = await expectRejected(restart({ confidence: 1.5 }), 'validation_failed', 'confidence');
    assert.deepEqual(paths(error), ['confidence']);
  });

  it('an unknown environment → 422 naming environment', async () => {
    const error = await expectRejected(restart({ environment: 'mars' }), 'validation_failed', 'environment');
    assert.deepEqual(paths(error), ['environment']);
    assert.match(error.details[0]?.message ?? '', /mars/);
  });

  it('an unknown action type → 422 unknown_action_type naming type', async () => {
    const error = await expectRejected(restart({ type: 'service.reboot' }), 'unknown_action_type', 'type');
    assert.deepEqual(paths(error), ['type']);
  });

  it('params failing the catalog schema → 422 naming params.reason', async () => {
    const error = await expectRejected(restart({ params: {} }), 'validation_failed', 'params.reason');
    assert.deepEqual(paths(error), ['params.reason']);
    const tooShort = await expectRejected(
      restart({ params: { reason: 'x' } }),
      'validation_failed',
      'params.reason',
    );
    assert.deepEqual(paths(tooShort), ['params.reason']);
    const extra = await expectRejected(
      restart({ params: { reason: 'memory leak', force: true } }),
      'validation_failed',
      'params.force',
    );
    assert.deepEqual(paths(extra), ['params.force']);
  });

  it('missing targets → 422 naming targets', async () => {
    const { targets: _targets, ...body } = restart();
    const error = await expectRejected(body, 'validation_failed', 'targets');
    assert.deepEqual(paths(error), ['targets']);
  });

  it('a JSON body that is not an object → 422, audited', async () => {
    await expectRejected([restart()], 'validation_failed', '(body)');
  });

  it('no rejected proposal created an action, and the audit chain still verifies', async () => {
    assert.deepEqual(await h.airlock.store.listActions({ agentId: 'sloppy-bot', limit: 10 }), []);
    const response = await h.request('GET', '/v1/audit/verify', { token: await h.person('carol') });
    assert.equal(response.status, 200);
    const report = verifySchema.parse(response.body);
    assert.equal(report.ok, true);
    assert.equal(report.firstBad, null);
    assert.equal(report.head, (await h.airlock.audit.head())?.hash);
    assert.equal((await rejectedEvents()).length, 10);
  });
});

describe('routes and queries', () => {
  let h: Harness;
  let token: string;
  let alice: string;
  let actionId: string;
  before(async () => {
    h = await startHarness();
    token = await h.agent('query-bot');
    alice = await h.person('alice');
    const response = await h.propose(token, restart());
    assert.equal(response.status, 201);
    actionId = actionSchema.parse(response.body).id;
  });
  after(() => h.close());

  it('an unknown route → 404 not_found', async () => {
    expectError(await h.request('GET', '/v1/nothing-here', { token: alice }), 404, 'not_found');
    expectError(await h.request('DELETE', '/v1/actions', { token: alice }), 404, 'not_found');
  });

  it('an unknown action id → 404 not_found', async () => {
    expectError(await h.request('GET', '/v1/actions/act_nope', { token: alice }), 404, 'not_found');
  });

  it('wait with timeout=500s → 422 naming query.timeout', async () => {
    const response = await h.request('GET', `/v1/actions/${actionId}/wait?timeout=500s`, { token });
    const error = expectError(response, 422, 'validation_failed');
    assert.deepEqual(paths(error), ['query.timeout']);
  });

  it('wait with an unknown query field or status → 422', async () => {
    const unknown = await h.request('GET', `/v1/actions/${actionId}/wait?timeout=1&colour=blue`, { token });
    assert.deepEqual(paths(expectError(unknown, 422, 'validation_failed')), ['query.colour']);
    const status = await h.request('GET', `/v1/actions/${actionId}/wait?status=sleeping`, { token });
    assert.deepEqual(paths(expectError(status, 422, 'validation_failed')), ['query.status']);
  });

  it('list with a bad cursor → 422 naming query.cursor', async () => {
    const response = await h.request('GET', '/v1/actions?cursor=not-a-cursor', { token: alice });
    const error = expectError(response, 422, 'validation_failed');
    assert.deepEqual(paths(error), ['query.cursor']);
  });

  it('list with a bad limit or status → 422', async () => {
    const limit = await h.request('GET', '/v1/actions?limit=0', { token: alice });
    assert.deepEqual(paths(expectError(limit, 422, 'validation_failed')), ['query.limit']);
    const status = await h.request('GET', '/v1/actions?status=sleeping', { token: alice });
    assert.deepEqual(paths(expectError(status, 422, 'validation_failed')), ['query.status']);
  });
});

describe('idempotency keys', () => {
  let h: Harness;
  let alice: string;
  before(async () => {
    h = await startHarness();
    alice = await h.person('alice');
  });
  after(() => h.close());

  async function actionsOf(agent: string) {
    const response = await h.request('GET', `/v1/actions?agent=${agent}`, { token: alice });
    assert.equal(response.status, 200);
    return actionListSchema.parse(response.body).actions;
  }

  it('the same key and body twice: 201, then 200 with the same id and idempotent-replayed: true', async () => {
    const token = await h.agent('idem-bot');
    const body = restart({ idempotencyKey: 'k-1' });
    const first = await h.propose(token, body);
    assert.equal(first.status, 201);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const second = await h.propose(token, body);
    assert.equal(second.status, 200);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    const a = actionSchema.parse(first.body);
    const b = actionSchema.parse(second.body);
    assert.equal(b.id, a.id);
    assert.equal(a.idempotencyKey, 'k-1');
    assert.equal(second.headers.get('location'), `/v1/actions/${a.id}`);
    assert.deepEqual(b, a);
    assert.deepEqual(
      (await actionsOf('idem-bot')).map((x) => x.id),
      [a.id],
    );
  });

  it('the same key with a different body → 409 idempotency_conflict', async () => {
    const token = await h.agent('conflict-bot');
    const first = await h.propose(token, restart({ idempotencyKey: 'k-2' }));
    assert.equal(first.status, 201);
    const response = await h.propose(
      token,
      restart({ idempotencyKey: 'k-2', params: { reason: 'another one' } }),
    );
    const error = expectError(response, 409, 'idempotency_conflict');
    assert.deepEqual(paths(error), ['idempotencyKey']);
    assert.equal((await actionsOf('conflict-bot')).length, 1);
  });

  it('20 concurrent proposals with the same key and body create exactly one action', async () => {
    const token = await h.agent('racer-bot');
    const body = restart({ idempotencyKey: 'k-race' });
    const responses = await Promise.all(Array.from({ length: 20 }, () => h.propose(token, body)));
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, JSON.stringify(statuses));
    assert.equal(statuses.filter((s) => s === 200).length, 19, JSON.stringify(statuses));
    for (const r of responses)
      assert.equal(r.headers.get('idempotent-replayed'), r.status === 200 ? 'true' : null);
    const ids = new Set(responses.map((r) => actionSchema.parse(r.body).id));
    assert.equal(ids.size, 1);
    const actions = await actionsOf('racer-bot');
    assert.deepEqual(
      actions.map((a) => a.id),
      [...ids],
    );
    let proposedEvents = 0;
    for await (const event of h.airlock.audit.events())
      if (event.kind === 'action.proposed' && event.subject === actions[0]?.id) proposedEvents += 1;
    assert.equal(proposedEvents, 1);
  });

  it('the same key used by two different agents → two actions', async () => {
    const one = await h.agent('twin-1');
    const two = await h.agent('twin-2');
    const body = restart({ idempotencyKey: 'shared-key' });
    const a = await h.propose(one, body);
    const b = await h.propose(two, body);
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.notEqual(a.body.id, b.body.id);
    assert.equal(actionSchema.parse(a.body).agent, 'twin-1');
    assert.equal(actionSchema.parse(b.body).agent, 'twin-2');
  });
});
