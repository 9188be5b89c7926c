/**
 * A recorded history for the replay tests, made through the real server: a few hundred decisions
 * of every kind (advise, execute, escalate, deny), rate limits hit, calibrated confidence, change
 * windows opening, a freeze, a revision, a demotion by a burst of denials.
 */

import assert from 'node:assert/strict';
import { parse, stringify } from 'yaml';
import { type Harness, ManualClock, restart, startHarness } from './harness.ts';

export const RATE_LIMITS = `limits:
  - name: restart-rate
    match: { types: [service.restart], environments: [staging] }
    rate: { count: 3, per: 1h, by: [agent, type] }
    effect: escalate
    reason: at most 3 restarts an hour without a human
`;

/** The quickstart's airlock.yaml with calibration after 5 outcomes. */
export function historyConfig(original: string): string {
  const config = parse(original);
  config.trust.calibration = { minEvidence: 5 };
  return stringify(config);
}

export interface History {
  readonly h: Harness;
  /** Proposals made (including the revision). */
  readonly count: number;
}

/** Start a harness on the history project and record `rounds` rounds of ten minutes each. */
export async function recordHistory(rounds = 40): Promise<History> {
  // Tuesday 06:00 in Berlin: production's change window (08:00-18:00) opens two hours in.
  const clock = new ManualClock('2026-11-24T05:00:00.000Z');
  const h = await startHarness({
    clock,
    files: { 'airlock.yaml': historyConfig, 'policies/limits.yaml': RATE_LIMITS },
  });
  try {
    return await record(h, clock, rounds);
  } catch (error) {
    await h.close();
    throw error;
  }
}

async function record(h: Harness, clock: ManualClock, rounds: number): Promise<History> {
  const token = async (id: string, grants: Record<string, number> = {}) => {
    const t = await h.agent(id);
    for (const [scope, level] of Object.entries(grants)) await h.grant(id, scope, level);
    return t;
  };
  const advisor = await token('advisor');
  const assisted = await token('assisted', { 'service.*@staging': 1 });
  const l2 = await token('l2-bot', { 'service.restart@staging': 2 });
  const l3 = await token('l3-bot', { 'service.*@production': 3, 'deployment.scale@production': 3 });
  const migrator = await token('migrator', { 'database.migrate@staging': 2 });
  const cache = await token('cache-bot', { 'cache.flush@staging': 2 });
  const experimental = await token('experimental-bot', { 'service.*@*': 1 });
  const alice = await h.person('alice');
  const bob = await h.person('bob');

  let count = 0;
  const propose = async (agent: string, body: Record<string, unknown>) => {
    const response = await h.propose(agent, body);
    assert.equal(response.status, 201, response.text);
    count += 1;
    return response.body;
  };

  for (let round = 0; round < rounds; round++) {
    const frozen = round % 12 === 11;
    if (frozen) {
      const set = await h.request('POST', '/v1/freeze', { token: alice, body: { reason: 'incident drill' } });
      assert.equal(set.status, 200, set.text);
    }
    const targets = Array.from({ length: 1 + (round % 7) }, (_, i) => ({ id: `api-${i + 1}` }));
    await propose(advisor, restart({ confidence: 0.6 + (round % 4) / 10 }));
    const pending = await propose(assisted, restart({ targets: [{ id: `web-${round}` }] }));
    await propose(
      l2,
      restart({ confidence: round % 5 === 0 ? 0.75 : 0.93, params: { reason: `leak ${round}` } }),
    );
    await propose(
      l3,
      restart({
        environment: 'production',
        targets: round % 9 === 4 ? [{ id: 'pay-1', pci: true }] : targets,
        confidence: 0.9,
      }),
    );
    await propose(l3, {
      type: 'deployment.scale',
      environment: 'production',
      targets: [{ id: 'checkout' }],
      params: { replicas: [6, 25, 0][round % 3] },
      confidence: 0.85,
      anomalyScore: 0.2,
    });
    await propose(migrator, {
      type: 'database.migrate',
      environment: 'staging',
      targets: [{ id: 'orders-db' }],
      params: { migration: `m${round}`, dropsData: round % 2 === 0 },
      confidence: 0.9,
    });
    const flushed = await propose(cache, {
      type: 'cache.flush',
      environment: 'staging',
      targets: [{ id: 'redis-1' }],
      params: { keyPattern: 'session:*' },
      confidence: 0.9,
      anomalyScore: 0.1,
    });
    if (flushed.permit !== null && flushed.permit !== undefined) {
      const outcome = round % 3 === 0 ? 'succeeded' : 'failed';
      const reported = await h.request('POST', `/v1/actions/${flushed.id}/outcome`, {
        token: cache,
        body: { permit: flushed.permit.token, outcome, message: outcome },
      });
      assert.equal(reported.status, 200, reported.text);
    }
    await propose(experimental, restart({ targets: [{ id: `exp-${round}` }] }));
    if (round === 5) {
      const revised = await h.request('POST', `/v1/approvals/${pending.id}/decisions`, {
        token: bob,
        body: {
          verdict: 'revise',
          comment: 'drain slower',
          params: { reason: 'leak; drain', graceSeconds: 120 },
        },
      });
      assert.equal(revised.status, 200, revised.text);
      count += 1;
    }
    if (frozen) {
      const lifted = await h.request('DELETE', '/v1/freeze', { token: alice, body: {} });
      assert.equal(lifted.status, 204, lifted.text);
    }
    clock.advance(10 * 60_000);
  }
  return { h, count };
}
