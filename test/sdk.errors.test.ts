/**
 * The SDK's typed errors: every error code maps to its own class, and each code an agent can
 * provoke arrives from a real Airlock as that class, with the envelope's message, details and
 * request id; failures without an answer are network, timeout and response errors.
 */

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as sdk from 'airlock/sdk';
import {
  AirlockApiError,
  AirlockClient,
  AirlockNetworkError,
  AirlockResponseError,
  AirlockSdkError,
  AirlockTimeoutError,
  ForbiddenError,
  IdempotencyConflictError,
  MalformedJsonError,
  NotFoundError,
  type OutcomeReport,
  PayloadTooLargeError,
  PermitExpiredError,
  PermitInvalidError,
  PermitUsedError,
  type Proposal,
  UnauthorizedError,
  UnknownActionTypeError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
} from 'airlock/sdk';
import type { z } from 'zod';
import type { outcomeBodySchema } from '../src/api/routes/report-outcome.ts';
import { ERROR_CODES, type ErrorCode } from '../src/domain/errors.ts';
import { API_ERRORS, apiErrorFrom } from '../src/sdk/api-errors.ts';
import { type Harness, startHarness } from './harness.ts';

// The SDK's hand-written outcome body must stay in step with the server's schema: the same fields
// both ways, and any detail the server takes fits the SDK's (read-only) JSON type.
type Fits<A, B> = [A] extends [B] ? true : false;
type Mutual<A, B> = Fits<A, B> extends true ? Fits<B, A> : false;
type ServerOutcome = z.input<typeof outcomeBodySchema>;
const outcomeInSync: [
  Mutual<Omit<OutcomeReport, 'detail'>, Omit<ServerOutcome, 'detail'>>,
  Fits<ServerOutcome['detail'], OutcomeReport['detail']>,
] = [true, true];

const FLUSH: Proposal = {
  type: 'cache.flush',
  environment: 'staging',
  targets: [{ id: 'redis-1' }],
  params: { keyPattern: '*' },
  confidence: 0.95,
  anomalyScore: 0.1,
};

const pascal = (code: string) =>
  code
    .split('_')
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join('');

/** The error a promise rejects with, checked to be an instance of `Class`. */
async function failure<T>(
  promise: Promise<unknown>,
  Class: abstract new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Class, `${String(error)} is not a ${Class.name}`);
    return error;
  }
  assert.fail(`expected a ${Class.name}`);
}

describe('every error code maps to a class', () => {
  it('has one class per ERROR_CODES key, named after the code, with that code and the status', () => {
    assert.deepEqual(outcomeInSync, [true, true]);
    assert.deepEqual(Object.keys(API_ERRORS).sort(), Object.keys(ERROR_CODES).sort());
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const status = ERROR_CODES[code];
      const error = apiErrorFrom(status, {
        error: { code, message: `a ${code}`, details: [{ path: 'x', message: 'y' }], requestId: 'req-1' },
      });
      const name = `${pascal(code)}Error`;
      const Class = (sdk as unknown as Record<string, unknown>)[name];
      assert.equal(Class, API_ERRORS[code], `airlock/sdk exports ${name}`);
      assert.ok(error instanceof API_ERRORS[code], code);
      assert.ok(
        error instanceof AirlockApiError && error instanceof AirlockSdkError && error instanceof Error,
      );
      assert.equal(error.code, code);
      assert.equal(error.name, name);
      assert.equal(error.status, status);
      assert.equal(error.message, `a ${code}`);
      assert.deepEqual(error.details, [{ path: 'x', message: 'y' }]);
      assert.equal(error.requestId, 'req-1');
    }
  });

  it('a code this SDK does not know is a plain AirlockApiError; a body without the envelope is none', () => {
    const error = apiErrorFrom(418, { error: { code: 'teapot', message: 'short and stout' } });
    assert.ok(error instanceof AirlockApiError);
    assert.equal(error.constructor, AirlockApiError);
    assert.deepEqual(
      [error.code, error.status, error.message, error.requestId],
      ['teapot', 418, 'short and stout', null],
    );
    assert.equal(apiErrorFrom(502, '<html>bad gateway</html>'), null);
  });
});

describe('errors an agent can provoke, from a real Airlock', () => {
  let h: Harness;
  let token: string;
  let client: AirlockClient;

  before(async () => {
    h = await startHarness();
    token = await h.agent('error-bot');
    await h.grant('error-bot', 'cache.flush@staging', 2);
    client = new AirlockClient({ url: h.url, token });
  });
  after(() => h.close());

  /** A client whose requests `change` rewrites before they are sent. */
  const rewriting = (change: (init: RequestInit) => RequestInit) =>
    new AirlockClient({ url: h.url, token, fetch: (input, init = {}) => fetch(input, change(init)) });

  it('unauthorized: an unknown token', async () => {
    const stranger = new AirlockClient({ url: h.url, token: 'alk_agent_nope' });
    const error = await failure(stranger.catalog(), UnauthorizedError);
    assert.equal(error.status, 401);
    assert.match(error.requestId ?? '', /\S/);
  });

  it("forbidden: an agent on people's routes", async () => {
    const error = await failure(client.request('GET', '/v1/approvals'), ForbiddenError);
    assert.equal(error.code, 'forbidden');
  });

  it('not_found: an unknown action, and an unknown route', async () => {
    await failure(client.get('act_nope'), NotFoundError);
    await failure(client.request('GET', '/v1/nothing-here'), NotFoundError);
  });

  it('validation_failed: the details name each field path', async () => {
    const error = await failure(
      client.propose({ ...FLUSH, targets: [], confidence: 2 }),
      ValidationFailedError,
    );
    assert.equal(error.status, 422);
    assert.ok(error.details.some((d) => d.path === 'confidence'));
    await failure(client.wait('act_nope', { timeout: 121_000 }), ValidationFailedError);
  });

  it('unknown_action_type', async () => {
    const error = await failure(client.propose({ ...FLUSH, type: 'service.reboot' }), UnknownActionTypeError);
    assert.equal(error.status, 422);
    assert.match(JSON.stringify(error.details), /service\.reboot/);
  });

  it('idempotency_conflict: the same key with another request; the same request is the same action', async () => {
    const first = await client.propose({ ...FLUSH, idempotencyKey: 'flush-once' });
    assert.equal((await client.propose({ ...FLUSH, idempotencyKey: 'flush-once' })).id, first.id);
    await failure(
      client.propose({ ...FLUSH, params: { keyPattern: 'other:*' }, idempotencyKey: 'flush-once' }),
      IdempotencyConflictError,
    );
  });

  it('permit_invalid, then permit_used on a second report', async () => {
    const action = await client.propose({ ...FLUSH, targets: [{ id: 'redis-2' }] });
    assert.ok(action.permit);
    await failure(
      client.reportOutcome(action.id, { permit: 'forged', outcome: 'succeeded' }),
      PermitInvalidError,
    );
    const report: OutcomeReport = { permit: action.permit.token, outcome: 'succeeded' };
    assert.equal((await client.reportOutcome(action.id, report)).status, 'succeeded');
    const error = await failure(client.reportOutcome(action.id, report), PermitUsedError);
    assert.equal(error.status, 409);
  });

  it('permit_expired: a report after the permit ran out', async () => {
    const late = new AirlockClient({ url: h.url, token: await h.agent('late-bot') });
    await h.grant('late-bot', 'cache.flush@staging', 2);
    const action = await late.propose(FLUSH);
    assert.ok(action.permit);
    h.clock.advance(11 * 60_000); // the quickstart's types keep the default permit of 10 minutes
    await failure(
      late.reportOutcome(action.id, { permit: action.permit.token, outcome: 'succeeded' }),
      PermitExpiredError,
    );
    assert.equal((await late.get(action.id)).status, 'unknown');
  });

  it('payload_too_large: a body over the server limit', async () => {
    const big = { ...FLUSH, context: { dump: 'x'.repeat(2 * 1024 * 1024) } };
    await failure(client.propose(big), PayloadTooLargeError);
  });

  it('malformed_json and unsupported_media_type: what a broken proxy might send', async () => {
    const truncating = rewriting((init) => ({ ...init, body: String(init.body).slice(0, 20) }));
    await failure(truncating.propose(FLUSH), MalformedJsonError);
    const plain = rewriting((init) => ({
      ...init,
      headers: { ...init.headers, 'content-type': 'text/plain' },
    }));
    await failure(plain.propose(FLUSH), UnsupportedMediaTypeError);
  });
});

describe('failures without an answer from Airlock', () => {
  let silent: Server;
  let proxy: Server;
  const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  before(async () => {
    silent = createServer(() => {}); // accepts requests, never answers
    proxy = createServer((_request, response) => {
      response.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
    });
    await Promise.all([silent, proxy].map((s) => once(s.listen(0, '127.0.0.1'), 'listening')));
  });
  after(() => {
    silent.closeAllConnections();
    for (const s of [silent, proxy]) s.close();
  });

  it('a refused connection is AirlockNetworkError', async () => {
    const closed = createServer();
    await once(closed.listen(0, '127.0.0.1'), 'listening');
    const url = urlOf(closed);
    closed.close();
    await once(closed, 'close');
    const error = await failure(new AirlockClient({ url, token: 't' }).catalog(), AirlockNetworkError);
    assert.equal(error.request, 'GET /v1/catalog');
    assert.ok(error.cause);
  });

  it('no answer within the timeout is AirlockTimeoutError', async () => {
    const client = new AirlockClient({ url: urlOf(silent), token: 't', timeout: 50 });
    const error = await failure(client.get('act_1'), AirlockTimeoutError);
    assert.equal(error.timeoutMs, 50);
  });

  it("a proxy's error page is AirlockResponseError with the status and body", async () => {
    const error = await failure(
      new AirlockClient({ url: urlOf(proxy), token: 't' }).catalog(),
      AirlockResponseError,
    );
    assert.equal(error.status, 502);
    assert.equal(error.body, '<html>bad gateway</html>');
  });
});
