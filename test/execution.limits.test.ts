/**
 * Limits from policy files over the real gateway: a rate limit lets exactly N of many parallel
 * proposals through and its counters survive a restart; a deny limit on targets denies at any
 * level; an in-flight limit holds a second change while the first runs; a fraction limit reads
 * the service's size from the inventory file.
 */

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type Fleet, startFleet } from '../sandbox/fleet.ts';
import { createAirlock } from '../src/gateway/airlock.ts';
import { fleetTypes, settle, startFleetHarness } from './execution-helpers.ts';
import { type Harness, type Loose, restart } from './harness.ts';

interface LimitReason {
  kind: string;
  limit?: string;
  passed?: boolean;
  effect?: string;
  message: string;
}

/** The limit reasons of a decision that did not pass. */
function exceeded(action: Loose): LimitReason[] {
  return (action.decision.reasons as LimitReason[]).filter((r) => r.kind === 'limit' && r.passed === false);
}

const RATE_POLICY = `limits:
  - name: restart-rate
    match: { types: [service.restart] }
    rate: { count: 5, per: 1h, by: [agent, type] }
    effect: escalate
    reason: at most 5 restarts an hour without a human
`;

describe('a rate limit under parallel proposals', () => {
  let fleet: Fleet;
  let h: Harness;

  before(async () => {
    fleet = await startFleet();
    h = await startFleetHarness({ fleet, policies: { 'limits.yaml': RATE_POLICY } });
  });

  after(async () => {
    await fleet.close();
    await rm(h.dir, { recursive: true, force: true });
  });

  it('lets exactly 5 of 40 through, escalates the rest naming the limit, and keeps counting after a restart', async () => {
    const agent = await h.agent('rate-bot');
    await h.grant('rate-bot', 'service.restart@staging', 2);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        h.propose(agent, restart({ targets: [{ id: 'search' }], params: { reason: `leak number ${i}` } })),
      ),
    );
    for (const answer of answers) assert.equal(answer.status, 201, answer.text);
    const effects = answers.map((a) => a.body.decision.effect as string);
    assert.equal(effects.filter((e) => e === 'execute').length, 5, effects.join(' '));
    assert.equal(effects.filter((e) => e === 'escalate').length, 35, effects.join(' '));
    for (const answer of answers.filter((a) => a.body.decision.effect === 'escalate')) {
      const limits = exceeded(answer.body);
      assert.equal(limits.length, 1, JSON.stringify(answer.body.decision.reasons));
      assert.equal(limits[0]?.limit, 'restart-rate');
      assert.match(limits[0]?.message ?? '', /restart-rate.*the limit is 5: at most 5 restarts an hour/);
      assert.equal(answer.body.status, 'pending_approval');
    }
    for (const answer of answers.filter((a) => a.body.decision.effect === 'execute'))
      assert.equal((await settle(h, agent, answer.body.id)).status, 'succeeded');
    assert.equal(fleet.calls.length, 5, 'the fleet saw exactly the five cleared restarts');
    // An approver sees the limit as it was counted for the held action.
    const held = answers.find((a) => a.body.decision.effect === 'escalate');
    const approval = await h.request('GET', `/v1/approvals/${held?.body.id}`, {
      token: await h.person('alice'),
    });
    assert.equal(approval.status, 200, approval.text);
    assert.deepEqual(approval.body.blastRadius.limits, [
      { limit: 'restart-rate', kind: 'rate', observed: 5, max: 5, service: null },
    ]);

    // Stop this instance, open the same project again: the counter is in the database.
    await h.app.close();
    await h.airlock.close();
    const reopened = await createAirlock({ configPath: h.configPath, clock: h.clock, logLevel: 'silent' });
    try {
      const bot = await reopened.store.getAgent('rate-bot');
      assert.ok(bot !== null);
      const again = await reopened.proposals.propose(bot, restart({ params: { reason: 'one more leak' } }));
      assert.equal(again.action.decision.effect, 'escalate');
      const limits = exceeded(again.action);
      assert.equal(limits[0]?.limit, 'restart-rate');
      assert.match(limits[0]?.message ?? '', /^6th restart-rate use/);

      // Another agent has its own counter.
      await reopened.agents.add({ id: 'other-bot', owner: 'sre' }, { kind: 'system', id: 'test' });
      await reopened.trust.setLevel(
        { agentId: 'other-bot', scope: 'service.restart@staging', level: 2, reason: 'test', override: true },
        reopened.people.get('alice'),
      );
      const other = await reopened.store.getAgent('other-bot');
      assert.ok(other !== null);
      const fresh = await reopened.proposals.propose(other, restart({ targets: [{ id: 'search' }] }));
      assert.equal(fresh.action.decision.effect, 'execute');
    } finally {
      await reopened.close();
    }
  });
});

describe('target, in-flight and fraction limits', () => {
  let fleet: Fleet;
  let h: Harness;

  before(async () => {
    fleet = await startFleet();
    const slow = fleetTypes(fleet.url)['service.restart'] as Loose;
    h = await startFleetHarness({
      fleet,
      types: {
        // Slow restarts (the fleet answers after 600 ms) for the in-flight limit.
        'service.slow_restart': {
          description: 'A restart that takes a while.',
          tier: 'low',
          domains: ['performance'],
          reversible: true,
          params: { type: 'object' },
          execution: {
            ...slow.execution,
            executor: {
              ...slow.execution.executor,
              url: `${fleet.url}/services/{{target.id}}/restart?delayMs=600`,
            },
          },
        },
        // Restarts of instances: the fleet restarts the service named by the `service` attribute.
        'service.instance_restart': {
          description: 'Restart instances of a service.',
          tier: 'low',
          domains: ['performance'],
          reversible: true,
          params: { type: 'object' },
          execution: {
            executor: {
              kind: 'http',
              url: `${fleet.url}/services/{{target.service}}/restart`,
              perTarget: true,
            },
          },
        },
      },
      files: {
        'airlock.yaml': (original) => `${original}\ninventory: inventory.yaml\n`,
        'inventory.yaml': 'services:\n  checkout: { instances: 4 }\n',
      },
      policies: {
        'test-types.yaml': `rules:
  - name: test-types
    match: { types: [service.slow_restart, service.instance_restart] }
    effect: allow
    reason: Test types run when trust allows.
limits:
  - name: at-most-two-targets
    match: { types: [service.restart] }
    targets: { max: 2 }
    effect: deny
    reason: never more than two services at once
  - name: one-slow-restart-at-a-time
    match: { types: [service.slow_restart] }
    inFlight: { max: 1 }
    effect: escalate
    reason: one slow restart at a time
  - name: quarter-of-a-service
    match: { types: [service.instance_restart] }
    fraction: { max: 0.25 }
    effect: escalate
    reason: at most a quarter of a service at once
`,
      },
    });
  });

  after(async () => {
    await h.close();
    await fleet.close();
  });

  it('a deny limit on targets denies a 3-target restart even at level 3, and names the limit', async () => {
    const agent = await h.agent('wide-bot');
    await h.grant('wide-bot', 'service.restart@staging', 3);
    const three = await h.propose(
      agent,
      restart({ targets: [{ id: 'search' }, { id: 'payments' }, { id: 'checkout' }] }),
    );
    assert.equal(three.status, 201, three.text);
    assert.equal(three.body.decision.effect, 'deny');
    assert.equal(three.body.status, 'denied');
    const [limit] = exceeded(three.body);
    assert.equal(limit?.limit, 'at-most-two-targets');
    assert.equal(limit?.effect, 'deny');
    assert.match(limit?.message ?? '', /3 targets; the limit is 2: never more than two services/);
    assert.equal(fleet.calls.filter((c) => c.headers['x-airlock-action'] === three.body.id).length, 0);

    const two = await h.propose(agent, restart({ targets: [{ id: 'search' }, { id: 'payments' }] }));
    assert.notEqual(two.body.decision.effect, 'deny');
    assert.deepEqual(exceeded(two.body), []);
  });

  it('an in-flight limit escalates a second change while the first runs, and lets the next one through after', async () => {
    const agent = await h.agent('slow-bot');
    await h.grant('slow-bot', 'service.slow_restart@staging', 2);
    const body = restart({ type: 'service.slow_restart', targets: [{ id: 'payments' }], params: {} });
    const first = await h.propose(agent, body);
    assert.equal(first.body.decision.effect, 'execute', JSON.stringify(first.body.decision.reasons));
    assert.equal(first.body.status, 'executing');

    const second = await h.propose(agent, body);
    assert.equal(second.body.decision.effect, 'escalate');
    assert.equal(second.body.status, 'pending_approval');
    const [limit] = exceeded(second.body);
    assert.equal(limit?.limit, 'one-slow-restart-at-a-time');
    assert.match(limit?.message ?? '', /2nd one-slow-restart-at-a-time change in flight; the limit is 1/);

    assert.equal((await settle(h, agent, first.body.id)).status, 'succeeded');
    const third = await h.propose(agent, body);
    assert.equal(third.body.decision.effect, 'execute', JSON.stringify(third.body.decision.reasons));
    assert.equal((await settle(h, agent, third.body.id)).status, 'succeeded');
    const calls = fleet.calls.filter((c) => c.path === '/services/payments/restart');
    assert.deepEqual(
      calls.map((c) => c.headers['x-airlock-action']),
      [first.body.id, third.body.id],
    );
  });

  it('a fraction limit reads the service size from the inventory: 2 of 4 escalates, 1 of 4 executes', async () => {
    const agent = await h.agent('share-bot');
    await h.grant('share-bot', 'service.instance_restart@staging', 2);
    const instance = (n: number) => ({ id: `checkout-${n}`, service: 'checkout' });
    const half = await h.propose(
      agent,
      restart({ type: 'service.instance_restart', targets: [instance(0), instance(1)], params: {} }),
    );
    assert.equal(half.status, 201, half.text);
    assert.equal(half.body.decision.effect, 'escalate');
    const [limit] = exceeded(half.body);
    assert.equal(limit?.limit, 'quarter-of-a-service');
    assert.match(limit?.message ?? '', /2 of 4 checkout instances \(50%\) > 25%/);

    const quarter = await h.propose(
      agent,
      restart({ type: 'service.instance_restart', targets: [instance(2)], params: {} }),
    );
    assert.equal(quarter.body.decision.effect, 'execute', JSON.stringify(quarter.body.decision.reasons));
    assert.equal((await settle(h, agent, quarter.body.id)).status, 'succeeded');
    const passed = (quarter.body.decision.reasons as LimitReason[]).find((r) => r.kind === 'limit');
    assert.equal(passed?.passed, true);
    assert.match(passed?.message ?? '', /1 of 4 checkout instances \(25%\) ≤ 25%/);
  });
});
