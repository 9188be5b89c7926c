/**
 * The SDK against a real Airlock in-process, imported as `airlock/sdk` (the package's own export):
 * a guarded tool runs exactly once when Airlock clears it (at once, or after a person approves
 * while the guard waits), never when advised, denied or expired, and a gateway-executed type
 * cannot be guarded. Long-polls: sdk.wait.test.ts; errors: sdk.errors.test.ts.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ActionNotClearedError,
  AirlockAbortError,
  AirlockClient,
  GatewayExecutedError,
  type GuardOptions,
} from 'airlock/sdk';
import { type Fleet, startFleet } from '../sandbox/fleet.ts';
import * as direct from '../src/sdk/index.ts';
import { MINUTE, routesYaml } from './approval-helpers.ts';
import { settle, startFleetHarness } from './execution-helpers.ts';
import type { Harness } from './harness.ts';

/** Agents owned by `quick` take `quick-expire`: one step of a minute, then the action expires. */
const ROUTES = routesYaml({
  owners: { quick: 'quick-expire' },
  routes: `
  - name: quick-expire
    steps:
      - { group: sre, quorum: 1, timeout: 1m }
    fallback: expire
`,
});

interface FlushInput {
  readonly cluster: string;
  readonly pattern: string;
}

/** How a cache flush becomes a proposal: confident and unsurprised, so level 2 clears it in staging. */
const FLUSH: GuardOptions<FlushInput, unknown> = {
  environment: 'staging',
  targets: (input) => [{ id: input.cluster }],
  params: (input) => ({ keyPattern: input.pattern }),
  confidence: 0.95,
  anomalyScore: 0.1,
  reasoning: (input) => `evictions on ${input.cluster} since the deploy`,
};

/** A tool that counts its runs. */
function counted<R>(body: (input: FlushInput) => R) {
  const runs: FlushInput[] = [];
  return {
    runs,
    tool: (input: FlushInput) => {
      runs.push(input);
      return body(input);
    },
  };
}

describe('the SDK against a real Airlock', () => {
  let fleet: Fleet;
  let h: Harness;
  let bob: string;
  /** A client for a new agent of `owner`, with `grants` (scope → level). */
  let agentClient: (id: string, grants?: Record<string, number>, owner?: string) => Promise<AirlockClient>;

  before(async () => {
    fleet = await startFleet();
    h = await startFleetHarness({ fleet, files: { 'routes.yaml': ROUTES } });
    bob = await h.person('bob');
    agentClient = async (id, grants = {}, owner = 'sre') => {
      const token = await h.agent(id, owner);
      for (const [scope, level] of Object.entries(grants)) await h.grant(id, scope, level);
      return new AirlockClient({ url: h.url, token });
    };
  });

  after(async () => {
    await h.close();
    await fleet.close();
  });

  /** A person's vote on an action's approval, through the API. */
  const vote = async (actionId: string, body: Record<string, unknown>) => {
    const response = await h.request('POST', `/v1/approvals/${actionId}/decisions`, { token: bob, body });
    assert.equal(response.status, 200, response.text);
  };

  it('is importable as airlock/sdk, the same module as src/sdk/index.ts', async () => {
    assert.equal(AirlockClient, direct.AirlockClient);
    const client = await agentClient('import-bot');
    const { types } = await client.catalog();
    assert.ok(types.some((t) => t.type === 'cache.flush'));
  });

  it('a guarded tool cleared at once (level 2) runs exactly once and its outcome is reported', async () => {
    const client = await agentClient('flush-bot', { 'cache.flush@staging': 2 });
    const contexts: string[] = [];
    const { runs, tool } = counted((input) => ({ flushed: 120, cluster: input.cluster }));
    const flush = client.guard(
      'cache.flush',
      (input: FlushInput, context) => {
        contexts.push(context.action.id);
        return tool(input);
      },
      { ...FLUSH, message: (result) => `flushed ${result.flushed} keys` },
    );

    const result = await flush({ cluster: 'redis-1', pattern: 'session:*' });
    assert.deepEqual(result, { flushed: 120, cluster: 'redis-1' });
    assert.deepEqual(runs, [{ cluster: 'redis-1', pattern: 'session:*' }]);

    const [id] = contexts;
    assert.ok(id);
    const action = await client.get(id);
    assert.equal(action.status, 'succeeded');
    assert.equal(action.decision.effect, 'execute');
    assert.deepEqual(action.params, { keyPattern: 'session:*' });
    assert.equal(action.reasoning, 'evictions on redis-1 since the deploy');
    assert.deepEqual(action.outcome, { outcome: 'succeeded', message: 'flushed 120 keys' });
    const reported = (await h.airlock.store.auditForSubject(id)).at(-1);
    assert.equal(reported?.kind, 'execution.reported');
    assert.deepEqual(JSON.parse(reported?.data ?? '{}').detail, {
      result: { flushed: 120, cluster: 'redis-1' },
    });
  });

  it('a result too large to keep is reported without detail', async () => {
    const client = await agentClient('big-bot', { 'cache.flush@staging': 2 });
    let id = '';
    const flush = client.guard('cache.flush', () => 'x'.repeat(20_000), {
      ...FLUSH,
      onProposed: (action) => {
        id = action.id;
      },
    });
    assert.equal((await flush({ cluster: 'redis-2', pattern: '*' })).length, 20_000);
    const reported = (await h.airlock.store.auditForSubject(id)).at(-1);
    assert.equal(reported?.kind, 'execution.reported');
    assert.equal(JSON.parse(reported?.data ?? '{}').detail, null);
  });

  it('a guarded tool that throws ran once, is reported failed with its message, and the error is rethrown', async () => {
    const client = await agentClient('failing-bot', { 'cache.flush@staging': 2 });
    let id = '';
    const { runs, tool } = counted(() => {
      throw new Error('redis-3 refused the connection');
    });
    const flush = client.guard('cache.flush', tool, {
      ...FLUSH,
      onProposed: (action) => {
        id = action.id;
      },
    });
    await assert.rejects(flush({ cluster: 'redis-3', pattern: '*' }), /redis-3 refused the connection/);
    assert.equal(runs.length, 1);
    const action = await client.get(id);
    assert.equal(action.status, 'failed');
    assert.deepEqual(action.outcome, { outcome: 'failed', message: 'redis-3 refused the connection' });
  });

  it('an escalated action: the guard waits, a person approves through the API, the tool runs once', async () => {
    const client = await agentClient('supervised-bot', { 'cache.flush@staging': 1 });
    const proposed = Promise.withResolvers<direct.Action>();
    const { runs, tool } = counted(() => 'flushed');
    const flush = client.guard('cache.flush', tool, { ...FLUSH, onProposed: proposed.resolve });

    const call = flush({ cluster: 'redis-4', pattern: 'cart:*' });
    const action = await proposed.promise;
    assert.equal(action.status, 'pending_approval');
    assert.equal(runs.length, 0, 'nothing runs before a person approves');
    await vote(action.id, { verdict: 'approve', requestHash: action.approval?.requestHash });

    assert.equal(await call, 'flushed');
    assert.equal(runs.length, 1);
    const done = await client.get(action.id);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.path?.map((step) => step.kind).slice(-4), [
      'approval.voted',
      'approval.resolved',
      'permit.issued',
      'execution.reported',
    ]);
  });

  it('a proposal whose answer is lost is sent again: still one action, and the tool runs once', async () => {
    const token = await h.agent('lossy-bot');
    await h.grant('lossy-bot', 'cache.flush@staging', 2);
    let posts = 0;
    const client = new AirlockClient({
      url: h.url,
      token,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        // The first proposal reaches Airlock and is recorded; its answer never arrives.
        if (init?.method === 'POST' && String(input).endsWith('/v1/actions') && ++posts === 1)
          throw new TypeError('fetch failed');
        return response;
      },
    });
    const { runs, tool } = counted(() => 'flushed');
    assert.equal(
      await client.guard('cache.flush', tool, FLUSH)({ cluster: 'redis-10', pattern: '*' }),
      'flushed',
    );
    assert.equal(posts, 2);
    assert.equal(runs.length, 1);
    const actions = await h.airlock.store.listActions({ agentId: 'lossy-bot', limit: 10 });
    assert.deepEqual(
      actions.map((a) => a.status),
      ['succeeded'],
    );
  });

  it('never runs when only advised (level 0): the error names the action and the reasons', async () => {
    const client = await agentClient('advisor-bot');
    const { runs, tool } = counted(() => 'flushed');
    const error = await rejection(
      client.guard('cache.flush', tool, FLUSH)({ cluster: 'redis-5', pattern: '*' }),
    );
    assert.ok(error instanceof ActionNotClearedError, String(error));
    assert.equal(error.status, 'advised');
    assert.equal(runs.length, 0);
    assert.match(error.actionId, /^act_/);
    assert.equal((await client.get(error.actionId)).status, 'advised');
    assert.ok(error.reasons.some((r) => r.kind === 'cap' && r.code === 'level_advisory' && !r.passed));
    assert.match(
      error.message,
      new RegExp(`cache.flush ${error.actionId} was not cleared to run: advised only`),
    );
  });

  it('never runs when a policy denies it', async () => {
    const client = await agentClient('migrate-bot', { 'database.migrate@staging': 3 });
    const { runs, tool } = counted(() => 'migrated');
    const migrate = client.guard('database.migrate', tool, {
      environment: 'staging',
      targets: [{ id: 'orders-db' }],
      params: { migration: '0042', dropsData: true },
      confidence: 0.99,
    });
    const error = await rejection(migrate({ cluster: 'orders-db', pattern: '' }));
    assert.ok(error instanceof ActionNotClearedError, String(error));
    assert.equal(error.status, 'denied');
    assert.equal(runs.length, 0);
    assert.ok(error.reasons.some((r) => r.kind === 'rule' && r.rule === 'no-data-loss-migrations'));
    assert.match(error.message, /no-data-loss-migrations: Migrations that drop data/);
  });

  it('never runs when a person denies it while the guard waits', async () => {
    const client = await agentClient('denied-bot', { 'cache.flush@staging': 1 });
    const proposed = Promise.withResolvers<direct.Action>();
    const { runs, tool } = counted(() => 'flushed');
    const call = rejection(
      client.guard('cache.flush', tool, { ...FLUSH, onProposed: proposed.resolve })({
        cluster: 'redis-6',
        pattern: '*',
      }),
    );
    const action = await proposed.promise;
    await vote(action.id, { verdict: 'deny', comment: 'not during the sale' });
    const error = await call;
    assert.ok(error instanceof ActionNotClearedError, String(error));
    assert.equal(error.status, 'denied');
    assert.equal(runs.length, 0);
    assert.match(error.message, /denied by bob \(not during the sale\)/);
  });

  it('never runs when nobody approves before the route times out (expired)', async () => {
    const client = await agentClient('quick-bot', { 'cache.flush@staging': 1 }, 'quick');
    const proposed = Promise.withResolvers<direct.Action>();
    const { runs, tool } = counted(() => 'flushed');
    const call = rejection(
      client.guard('cache.flush', tool, { ...FLUSH, onProposed: proposed.resolve })({
        cluster: 'redis-7',
        pattern: '*',
      }),
    );
    const action = await proposed.promise;
    assert.equal(action.approval?.route.name, 'quick-expire');
    h.clock.advance(2 * MINUTE);
    assert.equal(await h.airlock.approvals.resolveDue(), 1);
    const error = await call;
    assert.ok(error instanceof ActionNotClearedError, String(error));
    assert.equal(error.status, 'expired');
    assert.equal(error.actionId, action.id);
    assert.equal(runs.length, 0);
    assert.match(error.message, /expired: nobody approved it on route quick-expire/);
  });

  it('a type Airlock executes itself cannot be guarded: the tool never runs, Airlock runs the action', async () => {
    const client = await agentClient('restart-bot', { 'service.restart@staging': 2 });
    const before = fleet.service('search')?.restarts ?? 0;
    const { runs, tool } = counted(() => 'restarted');
    const restart = client.guard('service.restart', tool, {
      environment: 'staging',
      targets: [{ id: 'search' }],
      params: { reason: 'stuck workers' },
      confidence: 0.95,
      anomalyScore: 0.1,
    });
    const error = await rejection(restart({ cluster: 'search', pattern: '' }));
    assert.ok(error instanceof GatewayExecutedError, String(error));
    assert.match(error.message, /service.restart is executed by Airlock itself \(mode gateway\)/);
    assert.equal(runs.length, 0);
    const token = await h.person('alice');
    assert.equal((await settle(h, token, error.actionId)).status, 'succeeded');
    assert.equal(fleet.service('search')?.restarts, before + 1, 'run once, by Airlock');
  });

  it('a guard aborted while it waits for a person never runs the tool', async () => {
    const client = await agentClient('impatient-bot', { 'cache.flush@staging': 1 });
    const stop = new AbortController();
    const { runs, tool } = counted(() => 'flushed');
    const flush = client.guard('cache.flush', tool, { ...FLUSH, onProposed: () => stop.abort('user left') });
    const error = await rejection(flush({ cluster: 'redis-8', pattern: '*' }, { signal: stop.signal }));
    assert.ok(error instanceof AirlockAbortError, String(error));
    assert.equal(error.cause, 'user left');
    assert.equal(runs.length, 0);
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
