/** The HTTP executor against real local servers: what is sent, and how each ending is classified. */

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { HttpExecutorSpec } from '../catalog/catalog-schema.ts';
import { context, deadUrl, json, startServer, type TestServer } from './execution-test-helpers.ts';
import { runHttp } from './http-executor.ts';

const TOKEN = 'tok-0123456789-secret';
const SIGNING_KEY = 'sign-key-abcdef-987654';
const ENV = { BASE: 'unused', API_TOKEN: TOKEN, SIGNING_KEY };
const NOW = new Date('2026-11-24T10:00:00Z');

function spec(url: string, extra: Partial<HttpExecutorSpec> = {}): HttpExecutorSpec {
  return { kind: 'http', method: 'POST', url, headers: {}, timeout: 2_000, perTarget: false, ...extra };
}

describe('runHttp', () => {
  let server: TestServer;
  /** Set by a test: how the server answers next. */
  let answer: (path: string, response: import('node:http').ServerResponse) => void;

  before(async () => {
    server = await startServer((request, response) => answer(request.url, response));
  });
  after(() => server.close());

  function received() {
    return server.received.splice(0);
  }

  it('sends the rendered request and succeeds on 2xx, with the parsed answer as output', async () => {
    answer = (_path, response) => json(response, 200, { previous: 2, ok: true });
    const result = await runHttp(
      spec(`${server.url}/scale/{{params.name}}`, {
        body: { replicas: '{{params.replicas}}', who: '{{agent.id}} in {{environment}}' },
        headers: { 'X-Team': 'sre' },
      }),
      context({ name: 'web', replicas: 4 }),
      { env: ENV },
    );
    assert.equal(result.outcome, 'succeeded');
    assert.equal(result.message, `POST ${server.url}/scale/web → 200`);
    assert.deepEqual(result.output, { previous: 2, ok: true });
    const [request, ...more] = received();
    assert.equal(more.length, 0);
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, '/scale/web');
    assert.deepEqual(JSON.parse(request?.body ?? ''), { replicas: 4, who: 'agent-1 in production' });
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.equal(request?.headers['x-team'], 'sre');
    assert.equal(request?.headers['x-airlock-action'], 'act_test1');
    assert.equal(request?.headers['idempotency-key'], 'act_test1');
    assert.deepEqual(result.detail.response, { status: 200, body: { previous: 2, ok: true } });
    assert.deepEqual((result.detail.request as { body: unknown }).body, {
      replicas: 4,
      who: 'agent-1 in production',
    });
    assert.equal(typeof result.detail.durationMs, 'number');
  });

  it('cannot be steered to another path by a param', async () => {
    answer = (_path, response) => response.writeHead(204).end();
    await runHttp(spec(`${server.url}/apps/{{params.name}}`), context({ name: '../admin?drop=1' }), {
      env: ENV,
    });
    assert.equal(received()[0]?.url, '/apps/..%2Fadmin%3Fdrop%3D1');
  });

  it('fails on a status outside expectStatus (2xx by default)', async () => {
    answer = (path, response) => json(response, path === '/down' ? 503 : 200, { error: 'nope' });
    const down = await runHttp(spec(`${server.url}/down`), context(), { env: ENV });
    assert.equal(down.outcome, 'failed');
    assert.match(down.message, /→ 503 \(expected 2xx\)/);
    const wrong = await runHttp(spec(`${server.url}/ok`, { expectStatus: [202] }), context(), { env: ENV });
    assert.equal(wrong.outcome, 'failed');
    assert.match(wrong.message, /→ 200 \(expected 202\)/);
    const listed = await runHttp(spec(`${server.url}/down`, { expectStatus: [503] }), context(), {
      env: ENV,
    });
    assert.equal(listed.outcome, 'succeeded');
    received();
  });

  it('fails when the connection is refused: nothing was sent', async () => {
    const result = await runHttp(spec(`${await deadUrl()}/x`), context(), { env: ENV });
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /connection refused.*nothing was sent/);
    assert.equal(result.detail.response, null);
  });

  it('fails when the host cannot be found (or not reached in time): nothing was sent', async () => {
    const result = await runHttp(spec('http://airlock-test.invalid/x', { timeout: 1_000 }), context(), {
      env: ENV,
    });
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /nothing was sent/);
  });

  it('is unknown when no answer comes in time after sending', async () => {
    answer = () => {}; // Never answers.
    const result = await runHttp(spec(`${server.url}/slow`, { timeout: 300 }), context(), { env: ENV });
    assert.equal(result.outcome, 'unknown');
    assert.match(
      result.message,
      /no answer within 300 ms after the request was sent; it may have taken effect/,
    );
    assert.equal(received().length, 1, 'the server did get the request');
  });

  it('is unknown when the connection drops mid-answer', async () => {
    answer = (_path, response) => {
      response.writeHead(200, { 'content-length': '100' }).write('partial');
      setTimeout(() => response.socket?.destroy(), 20);
    };
    const result = await runHttp(spec(`${server.url}/cut`), context(), { env: ENV });
    assert.equal(result.outcome, 'unknown');
    assert.equal(result.output, null);
    received();
  });

  it('signs the body so that the receiver can verify it', async () => {
    answer = (_path, response) => response.writeHead(200).end();
    await runHttp(
      spec(`${server.url}/signed`, {
        body: { n: '{{params.n}}' },
        sign: { secretEnv: 'SIGNING_KEY', header: 'X-Sig' },
      }),
      context({ n: 1 }),
      { env: ENV, now: () => NOW },
    );
    const [request] = received();
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request?.headers['x-sig']));
    assert.ok(match, `signature header: ${request?.headers['x-sig']}`);
    assert.equal(Number(match[1]), NOW.getTime() / 1000);
    const expected = createHmac('sha256', SIGNING_KEY).update(`${match[1]}.${request?.body}`).digest('hex');
    assert.equal(match[2], expected);
  });

  it('does not run when the signing key is not set', async () => {
    const result = await runHttp(
      spec(`${server.url}/signed`, { sign: { secretEnv: 'MISSING_KEY', header: 'X-Sig' } }),
      context(),
      { env: ENV },
    );
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /^not run: .*MISSING_KEY is not set/);
    assert.equal(received().length, 0);
  });

  it('sends secrets but records none of them', async () => {
    answer = (_path, response) => json(response, 200, { echoed: `token was ${TOKEN}` });
    const result = await runHttp(
      spec(`${server.url}/secret`, {
        headers: { Authorization: 'Bearer {{secret.API_TOKEN}}', 'X-Trace': 'id-{{secret.API_TOKEN}}' },
        body: { token: '{{secret.API_TOKEN}}' },
        sign: { secretEnv: 'SIGNING_KEY', header: 'X-Airlock-Signature' },
      }),
      context(),
      { env: ENV },
    );
    const [request] = received();
    assert.equal(request?.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(JSON.parse(request?.body ?? '').token, TOKEN);
    const recorded = JSON.stringify(result);
    assert.equal(recorded.includes(TOKEN), false, recorded);
    assert.equal(recorded.includes(SIGNING_KEY), false);
    const headers = (result.detail.request as { headers: Record<string, string> }).headers;
    assert.equal(headers.authorization, '[redacted]');
    assert.equal(headers['x-trace'], '[redacted]');
    assert.equal(headers['x-airlock-signature'], '[redacted]');
    assert.deepEqual(result.output, { echoed: 'token was [redacted]' });
  });

  it('refuses a secret in the URL, and a missing value, before sending anything', async () => {
    const secretUrl = await runHttp(spec(`${server.url}/?t={{secret.API_TOKEN}}`), context(), { env: ENV });
    assert.match(secretUrl.message, /^not run: .*secret may not be used in a URL/);
    const missing = await runHttp(spec(`${server.url}/{{params.gone}}`), context(), { env: ENV });
    assert.match(missing.message, /^not run: \{\{params\.gone\}\} has no value/);
    assert.equal(missing.outcome, 'failed');
    assert.equal(received().length, 0);
  });

  it('runs per target in order and stops at the first that does not succeed', async () => {
    answer = (path, response) => response.writeHead(path === '/t/api-2' ? 500 : 200).end();
    const targets = [{ id: 'api-1' }, { id: 'api-2' }, { id: 'api-3' }];
    const result = await runHttp(
      spec(`${server.url}/t/{{target.id}}`, { perTarget: true }),
      context({}, targets),
      {
        env: ENV,
      },
    );
    const requests = received();
    assert.deepEqual(
      requests.map((r) => r.url),
      ['/t/api-1', '/t/api-2'],
    );
    assert.deepEqual(
      requests.map((r) => r.headers['idempotency-key']),
      ['act_test1:api-1', 'act_test1:api-2'],
    );
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /^target api-2 \(2 of 3\): .* → 500 .*not attempted: api-3$/);
    assert.deepEqual(result.detail.skipped, ['api-3']);
    assert.deepEqual(
      (result.detail.runs as { target: string; outcome: string }[]).map((r) => [r.target, r.outcome]),
      [
        ['api-1', 'succeeded'],
        ['api-2', 'failed'],
      ],
    );
  });

  it('succeeds per target when every target does', async () => {
    answer = (path, response) => json(response, 200, { at: path });
    const targets = [{ id: 'a' }, { id: 'b' }];
    const result = await runHttp(
      spec(`${server.url}/t/{{target.id}}`, { perTarget: true }),
      context({}, targets),
      {
        env: ENV,
      },
    );
    assert.equal(result.outcome, 'succeeded');
    assert.deepEqual(result.output, [
      { target: 'a', output: { at: '/t/a' } },
      { target: 'b', output: { at: '/t/b' } },
    ]);
    assert.equal(received().length, 2);
  });
});
