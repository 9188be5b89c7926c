/**
 * Permit mode: an agent-executed type cleared at once returns a single-use permit bound to the
 * action, its params and an expiry; the agent reports once; a permit that expires with no report
 * leaves the action `unknown`.
 */

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type Fleet, startFleet } from '../sandbox/fleet.ts';
import { expectError } from './approval-helpers.ts';
import { settle, startFleetHarness } from './execution-helpers.ts';
import type { Harness } from './harness.ts';

const flush = (keyPattern = 'session:*') => ({
  type: 'cache.flush',
  environment: 'staging',
  targets: [{ id: 'redis-1' }],
  params: { keyPattern },
  confidence: 0.95,
  anomalyScore: 0.1,
});

describe('permits for agent-executed action types', () => {
  let fleet: Fleet;
  let h: Harness;
  let agent: string;
  let other: string;

  before(async () => {
    fleet = await startFleet();
    h = await startFleetHarness({ fleet });
    agent = await h.agent('cache-bot');
    other = await h.agent('other-bot');
  });

  // Unknown outcomes here demote the agent; each test starts from the grant it is about.
  beforeEach(() => h.grant('cache-bot', 'cache.flush@staging', 2));

  after(async () => {
    await h.close();
    await fleet.close();
  });

  const report = (token: string, id: string, body: unknown) =>
    h.request('POST', `/v1/actions/${id}/outcome`, { token, body });

  it('answers a cleared proposal with a permit, and takes the report once', async () => {
    const proposed = await h.propose(agent, flush());
    assert.equal(proposed.status, 201, proposed.text);
    assert.equal(proposed.body.status, 'approved');
    assert.equal(proposed.body.execution.mode, 'agent');
    const { token, expiresAt } = proposed.body.permit;
    assert.match(token, /^apt1\./);
    assert.equal(expiresAt, new Date(h.clock.now().getTime() + 60_000).toISOString());

    // Only the agent that proposed it sees its permit.
    const seen = await h.request('GET', `/v1/actions/${proposed.body.id}`, { token: await h.person('bob') });
    assert.equal(seen.body.permit, null);
    const own = await h.request('GET', `/v1/actions/${proposed.body.id}`, { token: agent });
    assert.equal(own.body.permit.token, token);

    expectError(
      await report(other, proposed.body.id, { permit: token, outcome: 'succeeded' }),
      404,
      'not_found',
    );
    const reported = await report(agent, proposed.body.id, {
      permit: token,
      outcome: 'succeeded',
      message: 'flushed 120 keys',
    });
    assert.equal(reported.status, 200, reported.text);
    assert.equal(reported.body.status, 'succeeded');
    assert.equal(reported.body.outcome.message, 'flushed 120 keys');
    assert.equal(reported.body.permit, null, 'a used permit is not shown again');
    expectError(
      await report(agent, proposed.body.id, { permit: token, outcome: 'failed' }),
      409,
      'permit_used',
    );

    const events = await h.airlock.store.auditForSubject(proposed.body.id);
    const kinds = events.map((e) => e.kind);
    assert.deepEqual(kinds.slice(-2), ['permit.issued', 'execution.reported']);
    assert.equal(events.at(-1)?.actor.id, 'cache-bot');
    assert.ok(!events.some((e) => e.data.includes(token)), 'the permit itself is never recorded');
  });

  it('refuses a permit for another action, a forged one, and garbage', async () => {
    const a = await h.propose(agent, flush('a:*'));
    const b = await h.propose(agent, flush('b:*'));
    expectError(
      await report(agent, b.body.id, { permit: a.body.permit.token, outcome: 'succeeded' }),
      403,
      'permit_invalid',
    );
    const [prefix, claims, signature] = String(a.body.permit.token).split('.');
    const forged = JSON.parse(Buffer.from(claims ?? '', 'base64url').toString());
    forged.action = b.body.id;
    const token = `${prefix}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`;
    expectError(
      await report(agent, b.body.id, { permit: token, outcome: 'succeeded' }),
      403,
      'permit_invalid',
    );
    expectError(
      await report(agent, b.body.id, { permit: 'nonsense', outcome: 'succeeded' }),
      403,
      'permit_invalid',
    );
    expectError(
      await report(agent, b.body.id, { permit: a.body.permit.token, outcome: 'maybe' }),
      422,
      'validation_failed',
    );
    const still = await h.airlock.store.getAction(b.body.id);
    assert.equal(still?.status, 'approved', 'refused reports change nothing');
  });

  it('a permit that expires with no report turns the action unknown, and a late report is refused', async () => {
    const proposed = await h.propose(agent, flush('late:*'));
    const { token } = proposed.body.permit;
    assert.equal(await h.airlock.executions.expireDue(), 0, 'not yet due');
    h.clock.advance(61_000);
    assert.ok((await h.airlock.executions.expireDue()) >= 1);
    const done = await settle(h, agent, proposed.body.id);
    assert.equal(done.status, 'unknown');
    assert.match(done.execution.attention, /expired/);
    expectError(
      await report(agent, proposed.body.id, { permit: token, outcome: 'succeeded' }),
      409,
      'permit_expired',
    );
    const kinds = (await h.airlock.store.auditForSubject(proposed.body.id)).map((e) => e.kind);
    assert.equal(kinds.at(-1), 'permit.expired');
  });

  it('a report that arrives after the expiry but before the timer also finds it expired', async () => {
    const proposed = await h.propose(agent, flush('racy:*'));
    h.clock.advance(61_000);
    expectError(
      await report(agent, proposed.body.id, { permit: proposed.body.permit.token, outcome: 'succeeded' }),
      409,
      'permit_expired',
    );
    assert.equal((await h.airlock.store.getAction(proposed.body.id))?.status, 'unknown');
  });

  it('an action Airlock executes itself takes no report', async () => {
    await h.grant('cache-bot', 'service.restart@staging', 2);
    const restart = await h.propose(agent, {
      type: 'service.restart',
      environment: 'staging',
      targets: [{ id: 'search' }],
      params: { reason: 'stuck workers' },
      confidence: 0.95,
      anomalyScore: 0.1,
    });
    await settle(h, agent, restart.body.id);
    const flushed = await h.propose(agent, flush('x:*'));
    expectError(
      await report(agent, restart.body.id, { permit: flushed.body.permit.token, outcome: 'succeeded' }),
      403,
      'permit_invalid',
    );
  });
});
