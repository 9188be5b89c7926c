/**
 * The SDK client's waiting against a real Airlock: one long-poll (`wait`), and `waitForOutcome`,
 * which answers a permit once a person approves, notices a permit issued without a status change,
 * and stops on its AbortSignal or its timeout without touching the action.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AirlockAbortError, AirlockClient, AirlockTimeoutError, type Proposal } from 'airlock/sdk';
import { type Airlock, createAirlock } from '../src/gateway/airlock.ts';
import { type Harness, startHarness } from './harness.ts';

const FLUSH: Proposal = {
  type: 'cache.flush',
  environment: 'staging',
  targets: [{ id: 'redis-1' }],
  params: { keyPattern: '*' },
  confidence: 0.95,
  anomalyScore: 0.1,
};

describe('waiting with the SDK client', () => {
  let h: Harness;
  /** A second process on the same database that decides but does not execute, as the CLI. */
  let other: Airlock;
  let bob: string;
  /** A new agent at `level` for cache.flush@staging: its token. */
  let agent: (id: string, level: number) => Promise<string>;

  before(async () => {
    h = await startHarness();
    other = await createAirlock({
      configPath: h.configPath,
      clock: h.clock,
      executes: false,
      logLevel: 'silent',
    });
    bob = await h.person('bob');
    agent = async (id, level) => {
      const token = await h.agent(id);
      await h.grant(id, 'cache.flush@staging', level);
      return token;
    };
  });
  after(async () => {
    await other.close();
    // After an aborted request, fetch may leave a connection open that never carries a request;
    // the server would wait for it until its headers timeout (a minute) before closing.
    h.app.server.closeAllConnections();
    await h.close();
  });

  const approve = async (actionId: string) => {
    const body = { verdict: 'approve' };
    const response = await h.request('POST', `/v1/approvals/${actionId}/decisions`, { token: bob, body });
    assert.equal(response.status, 200, response.text);
  };

  /** A client that counts its requests by kind: `get` (one action) and `wait` (long-polls). */
  const counting = (token: string) => {
    const seen = {
      get: 0,
      wait: 0,
      firstGet: Promise.withResolvers<void>(),
      firstWait: Promise.withResolvers<void>(),
    };
    const client = new AirlockClient({
      url: h.url,
      token,
      fetch: async (input, init) => {
        const wait = String(input).includes('/wait?');
        const response = await fetch(input, init);
        if (wait) {
          seen.wait++;
          seen.firstWait.resolve();
        } else if (init?.method === 'GET') {
          seen.get++;
          seen.firstGet.resolve();
        }
        return response;
      },
    });
    return { client, seen };
  };

  it('wait: one long-poll answers unchanged at its timeout, and at once when the status differs', async () => {
    const client = new AirlockClient({ url: h.url, token: await agent('polling-bot', 1) });
    const proposed = await client.propose(FLUSH);
    assert.equal(proposed.status, 'pending_approval');
    const unchanged = await client.wait(proposed.id, { timeout: 10 });
    assert.deepEqual([unchanged.changed, unchanged.action.status], [false, 'pending_approval']);
    const differs = await client.wait(proposed.id, { status: 'approved', timeout: 60_000 });
    assert.deepEqual([differs.changed, differs.action.status], [true, 'pending_approval']);
  });

  it('waitForOutcome answers the permit once a person approves; the outcome is reported under it', async () => {
    const client = new AirlockClient({ url: h.url, token: await agent('manual-bot', 1) });
    const proposed = await client.propose(FLUSH);
    assert.equal(proposed.status, 'pending_approval');

    const outcome = client.waitForOutcome(proposed.id);
    await approve(proposed.id);
    const cleared = await outcome;
    assert.equal(cleared.status, 'approved');
    assert.equal(cleared.execution?.mode, 'agent');
    assert.ok(cleared.permit);

    const done = await client.reportOutcome(proposed.id, {
      permit: cleared.permit.token,
      outcome: 'succeeded',
      message: 'flushed by hand',
      detail: { keys: 3 },
    });
    assert.equal(done.status, 'succeeded');
    const settled = await client.waitForOutcome(proposed.id);
    assert.deepEqual([settled.status, settled.outcome?.message], ['succeeded', 'flushed by hand']);
  });

  it('waitForOutcome notices a permit issued later to an action cleared elsewhere (no status change)', async () => {
    const token = await agent('cli-bot', 2);
    const record = await other.store.getAgent('cli-bot');
    assert.ok(record);
    // Cleared in a process that does not execute: `approved`, not claimed, no permit yet.
    const { action } = await other.proposals.propose(record, FLUSH);
    assert.equal(action.status, 'approved');

    const { client, seen } = counting(token);
    const outcome = client.waitForOutcome(action.id);
    await seen.firstGet.promise;
    assert.equal(await h.airlock.executions.startUnclaimed(), 1);
    const cleared = await outcome;
    assert.equal(cleared.status, 'approved');
    assert.ok(cleared.permit, 'the permit, issued after the first read');
    assert.ok(seen.get >= 2, 'read again');
    assert.equal(seen.wait, 0, 'a long-poll would wait for a status change that does not come');
  });

  it('waitForOutcome keeps waiting through a long-poll that gets no answer', async () => {
    const token = await agent('blip-bot', 1);
    const polled = Promise.withResolvers<void>();
    let failed = 0;
    const client = new AirlockClient({
      url: h.url,
      token,
      fetch: (input, init) => {
        if (String(input).includes('/wait?') && failed++ === 0) {
          polled.resolve();
          return Promise.reject(new TypeError('fetch failed'));
        }
        return fetch(input, init);
      },
    });
    const proposed = await client.propose(FLUSH);
    const outcome = client.waitForOutcome(proposed.id);
    await polled.promise;
    await approve(proposed.id);
    const cleared = await outcome;
    assert.ok(cleared.permit);
    assert.ok(failed >= 2, 'polled again after the failure');
  });

  it('waitForOutcome stops when its AbortSignal aborts mid long-poll, and the action is untouched', async () => {
    const { client, seen } = counting(await agent('waiting-bot', 1));
    const proposed = await client.propose(FLUSH);
    const stop = new AbortController();
    const waiting = rejection(client.waitForOutcome(proposed.id, { signal: stop.signal }));
    await seen.firstGet.promise; // the long-poll follows the first read
    stop.abort(new Error('shutting down'));
    const error = await waiting;
    assert.ok(error instanceof AirlockAbortError, String(error));
    assert.equal((error.cause as Error).message, 'shutting down');
    assert.equal((await client.get(proposed.id)).status, 'pending_approval');
  });

  it('waitForOutcome gives up after its timeout with AirlockTimeoutError', async () => {
    const client = new AirlockClient({ url: h.url, token: await agent('timeout-bot', 1) });
    const proposed = await client.propose(FLUSH);
    const error = await rejection(client.waitForOutcome(proposed.id, { timeout: 50 }));
    assert.ok(error instanceof AirlockTimeoutError, String(error));
    assert.equal(error.timeoutMs, 50);
    assert.match(error.message, new RegExp(`${proposed.id} did not reach an outcome within 50 ms`));
    assert.equal((await client.get(proposed.id)).status, 'pending_approval');
  });
});

/** The error a promise rejects with (fails if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}
