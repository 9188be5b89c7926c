/**
 * Brokered execution end to end against the sandbox fleet over real HTTP: approved and autonomous
 * actions executed by Airlock, at most once, retried only when idempotent; a command executor
 * with a timeout; a suspended agent's approved action refused at the claim.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Fleet, startFleet } from '../sandbox/fleet.ts';
import { pathKinds, settle, startFleetHarness } from './execution-helpers.ts';
import { type Harness, restart } from './harness.ts';

const scale = (replicas: number, previousReplicas: number) => ({
  type: 'deployment.scale',
  environment: 'staging',
  targets: [{ id: 'checkout' }],
  params: { replicas, previousReplicas },
  confidence: 0.9,
  reasoning: 'p99 latency above SLO under load',
});

describe('brokered execution against the sandbox fleet', () => {
  let fleet: Fleet;
  let h: Harness;
  let agent: string;
  let bob: string;

  before(async () => {
    fleet = await startFleet();
    h = await startFleetHarness({
      fleet,
      types: {
        'job.run': {
          description: 'Run a maintenance job.',
          tier: 'low',
          domains: ['performance'],
          reversible: true,
          targets: { min: 0, max: 1 },
          params: {
            type: 'object',
            required: ['script'],
            additionalProperties: false,
            properties: { script: { type: 'string' } },
          },
          example: { script: 'echo done' },
          execution: {
            executor: { kind: 'command', argv: ['/bin/sh', '-c', '{{params.script}}'], timeout: '300ms' },
          },
        },
        'service.flaky_restart': {
          description: 'A restart whose endpoint is idempotent.',
          tier: 'low',
          domains: ['performance'],
          reversible: true,
          execution: {
            idempotent: true,
            retries: 2,
            retryBackoff: '10ms',
            executor: { kind: 'http', url: `${fleet.url}/services/{{targets[0].id}}/restart` },
          },
        },
      },
      policies: {
        'jobs.yaml': `rules:
  - name: jobs-and-flaky-restarts
    match: { types: [job.run, service.flaky_restart] }
    effect: allow
    reason: Test types run when trust allows.
`,
      },
    });
    agent = await h.agent('ops-bot');
    bob = await h.person('bob');
    await h.grant('ops-bot', 'deployment.scale@staging', 1);
    await h.grant('ops-bot', 'service.*@staging', 2);
    await h.grant('ops-bot', 'job.run@staging', 2);
  });

  after(async () => {
    await h.close();
    await fleet.close();
  });

  it('executes an approved action over HTTP, once, after the approval is on record', async () => {
    const proposed = await h.propose(agent, scale(6, 4));
    assert.equal(proposed.status, 201, proposed.text);
    assert.equal(proposed.body.status, 'pending_approval');
    assert.equal(fleet.calls.length, 0, 'nothing runs before a human approves');

    const vote = await h.request('POST', `/v1/approvals/${proposed.body.approval.id}/decisions`, {
      token: bob,
      body: { verdict: 'approve', comment: 'capacity is fine' },
    });
    assert.equal(vote.status, 200, vote.text);
    const done = await settle(h, agent, proposed.body.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.execution.mode, 'gateway');
    assert.equal(done.outcome.outcome, 'succeeded');

    const calls = fleet.calls.filter((c) => c.path === '/services/checkout/scale');
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]?.body, { replicas: 6 });
    assert.equal(calls[0]?.headers['x-airlock-action'], proposed.body.id);
    assert.equal(fleet.service('checkout')?.replicas, 6);
    const kinds = pathKinds(done);
    assert.ok(kinds.indexOf('approval.resolved') < kinds.indexOf('execution.started'), kinds.join(' '));
    assert.ok(kinds.indexOf('execution.started') < kinds.indexOf('execution.finished'), kinds.join(' '));
  });

  it('runs an autonomous restart once per target and says so in the response', async () => {
    const before = fleet.calls.length;
    const proposed = await h.propose(agent, restart({ targets: [{ id: 'search' }, { id: 'payments' }] }));
    assert.equal(proposed.status, 201, proposed.text);
    assert.equal(proposed.body.decision.effect, 'execute');
    assert.ok(['executing', 'succeeded'].includes(proposed.body.status), proposed.body.status);
    const done = await settle(h, agent, proposed.body.id);
    assert.equal(done.status, 'succeeded');
    const paths = fleet.calls.slice(before).map((c) => c.path);
    assert.deepEqual(paths, ['/services/search/restart', '/services/payments/restart']);
  });

  it('a failed call is not retried unless the type is idempotent', async () => {
    const once = fleet.calls.length;
    const failed = await h.propose(agent, restart({ targets: [{ id: 'no-such-service' }] }));
    const done = await settle(h, agent, failed.body.id);
    assert.equal(done.status, 'failed');
    assert.match(done.outcome.message, /404/);
    assert.equal(fleet.calls.length - once, 1);
    assert.ok(!pathKinds(done).includes('execution.retried'));

    const before = fleet.calls.length;
    const flaky = await h.propose(
      agent,
      restart({ type: 'service.flaky_restart', targets: [{ id: 'nowhere' }], params: {} }),
    );
    assert.equal(flaky.status, 201, flaky.text);
    const retried = await settle(h, agent, flaky.body.id);
    assert.equal(retried.status, 'failed');
    assert.equal(fleet.calls.length - before, 3, 'one call and two retries');
    assert.equal(pathKinds(retried).filter((k) => k === 'execution.retried').length, 2);
    assert.equal(retried.execution.attempts, 3);
  });

  it('a command runs without a shell of ours; one that outlives its timeout is unknown and waits for people', async () => {
    const ok = await h.propose(agent, {
      ...restart(),
      type: 'job.run',
      targets: [],
      params: { script: 'echo done' },
    });
    assert.equal(ok.status, 201, ok.text);
    assert.equal((await settle(h, agent, ok.body.id)).status, 'succeeded');

    const slow = await h.propose(agent, {
      ...restart(),
      type: 'job.run',
      targets: [],
      params: { script: 'sleep 5' },
    });
    const done = await settle(h, agent, slow.body.id);
    assert.equal(done.status, 'unknown');
    assert.match(done.execution.attention, /unknown/);

    const queue = await h.request('GET', '/v1/approvals', { token: bob });
    assert.equal(queue.status, 200, queue.text);
    const item = queue.body.attention.find((a: { action: string }) => a.action === slow.body.id);
    assert.ok(item, 'the unknown action is in the approvals queue');
    assert.equal(item.status, 'unknown');
  });

  it('refuses at the claim an approved action whose agent was suspended meanwhile', async () => {
    const proposed = await h.propose(agent, scale(5, 6));
    assert.equal(proposed.body.status, 'pending_approval');
    await h.airlock.agents.setStatus('ops-bot', 'suspended', { kind: 'person', id: 'alice' }, 'misbehaving');
    const before = fleet.calls.length;
    const vote = await h.request('POST', `/v1/approvals/${proposed.body.approval.id}/decisions`, {
      token: bob,
      body: { verdict: 'approve' },
    });
    assert.equal(vote.status, 200, vote.text);
    const done = await h.airlock.store.getAction(proposed.body.id);
    assert.equal(done?.status, 'denied');
    assert.equal(fleet.calls.length, before, 'nothing reached the fleet');
    const kinds = (await h.airlock.store.auditForSubject(proposed.body.id)).map((e) => e.kind);
    assert.ok(kinds.includes('execution.refused'), kinds.join(' '));
    await h.airlock.agents.setStatus('ops-bot', 'active', { kind: 'person', id: 'alice' }, 'fixed');
  });
});
