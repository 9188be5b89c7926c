/**
 * Verification against a real Prometheus scraping the sandbox fleet: a restart that makes the
 * service worse fails verification and is rolled back; a healthy one succeeds; a rollback that
 * itself fails leaves the action failed and alerts the route's people.
 */

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type Fleet, startFleet } from '../sandbox/fleet.ts';
import { routesYaml } from './approval-helpers.ts';
import { pathKinds, settle, startFleetHarness } from './execution-helpers.ts';
import { type Harness, restart } from './harness.ts';
import { type PrometheusServer, prometheusAvailable, startPrometheus } from './prometheus-server.ts';

/** Verification takes a few seconds of samples: wait longer than the default. */
const FINAL = ['rolled_back', 'succeeded', 'failed', 'unknown'];

const ERROR_RATIO = 'fleet_service_error_ratio{service="{{targets[0].id}}"}';

describe('verification with a real Prometheus, and rollback', {
  skip: !prometheusAvailable() && 'prometheus is not installed',
}, () => {
  let fleet: Fleet;
  let prometheus: PrometheusServer;
  let h: Harness;
  let agent: string;

  before(async () => {
    fleet = await startFleet();
    prometheus = await startPrometheus({ targets: [{ job: 'fleet', hosts: [new URL(fleet.url).host] }] });
    await prometheus.waitForSeries('fleet_service_error_ratio{service="checkout"}');
    const verification = {
      window: '5s',
      interval: '1s',
      checks: [
        {
          kind: 'prometheus',
          name: 'error ratio stays under 5%',
          query: ERROR_RATIO,
          op: '<',
          threshold: 0.05,
        },
      ],
    };
    h = await startFleetHarness({
      fleet,
      prometheusUrl: prometheus.url,
      env: { ...process.env, ALERT_SECRET: 'alert-signing-key-0123456789' },
      files: {
        'routes.yaml': routesYaml()
          .replace(
            'defaultRoute: sre-on-call\n',
            `defaultRoute: sre-on-call\nwebhooks:\n  - { name: pager, url: "http://127.0.0.1:9/hook", secretEnv: ALERT_SECRET }\n`,
          )
          .replace('  - name: sre-on-call\n', '  - name: sre-on-call\n    notify: [pager]\n'),
      },
      types: {
        'service.restart': {
          execution: { executor: { kind: 'http', url: `${fleet.url}/services/{{targets[0].id}}/restart` } },
          verification,
          rollback: { executor: { kind: 'http', url: `${fleet.url}/services/{{targets[0].id}}/recover` } },
        },
        'deployment.scale': {
          execution: {
            executor: {
              kind: 'http',
              url: `${fleet.url}/services/{{targets[0].id}}/scale`,
              body: { replicas: '{{params.replicas}}' },
            },
          },
          verification,
          // Undo by scaling back: another catalog action, params mapped from the original.
          rollback: { action: 'deployment.scale', params: { replicas: '{{params.previousReplicas}}' } },
        },
        'cache.flush': {
          execution: { executor: { kind: 'http', url: `${fleet.url}/services/{{targets[0].id}}/restart` } },
          verification,
          // Recovering a service that does not exist fails: the rollback itself fails.
          rollback: {
            executor: { kind: 'http', url: `${fleet.url}/services/missing-{{targets[0].id}}/recover` },
          },
        },
      },
    });
    agent = await h.agent('ops-bot');
  });

  // Rollbacks here demote the agent; each test starts from the grants it is about.
  beforeEach(async () => {
    await h.grant('ops-bot', 'service.restart@staging', 2);
    await h.grant('ops-bot', 'cache.flush@staging', 2);
    await h.grant('ops-bot', 'deployment.scale@staging', 1);
  });

  const finished = (id: string) => settle(h, agent, id, FINAL, 30_000);

  after(async () => {
    await h?.close();
    await prometheus?.stop();
    await fleet?.close();
  });

  it('a restart that makes the service worse fails verification and is rolled back', async () => {
    const armed = await fetch(`${fleet.url}/services/checkout/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ onRestart: { errorRate: 0.5 } }),
    });
    assert.equal(armed.status, 200);
    const proposed = await h.propose(agent, restart({ targets: [{ id: 'checkout' }] }));
    assert.equal(proposed.body.decision.effect, 'execute', proposed.text);

    const done = await finished(proposed.body.id);
    assert.equal(done.status, 'rolled_back');
    assert.equal(done.verification.passed, false);
    assert.deepEqual(done.verification.failed, ['error ratio stays under 5%']);
    assert.equal(done.rollback.outcome, 'succeeded');
    assert.equal(fleet.service('checkout')?.errorRate, 0, 'the rollback recovered the service');
    const paths = fleet.calls.map((c) => c.path).filter((p) => p.startsWith('/services/checkout/'));
    assert.deepEqual(paths, [
      '/services/checkout/faults',
      '/services/checkout/restart',
      '/services/checkout/recover',
    ]);

    const kinds = pathKinds(done);
    const order = [
      'execution.started',
      'execution.finished',
      'verification.failed',
      'rollback.started',
      'rollback.finished',
    ];
    const at = order.map((k) => kinds.indexOf(k));
    assert.ok(
      at.every((i, n) => i >= 0 && (n === 0 || i > (at[n - 1] ?? -1))),
      kinds.join(' '),
    );
    const failed = (await h.airlock.store.auditForSubject(done.id)).find(
      (e) => e.kind === 'verification.failed',
    );
    const observed = JSON.parse(failed?.data ?? '{}').failed[0].observed;
    assert.equal(observed[0].value, 0.5, 'the sample records what Prometheus answered');
  });

  it('an approved scale-down that hurts is rolled back by scaling back, through another catalog action', async () => {
    const proposed = await h.propose(agent, {
      type: 'deployment.scale',
      environment: 'staging',
      targets: [{ id: 'checkout' }],
      params: { replicas: 1, previousReplicas: 4 },
      confidence: 0.9,
      reasoning: 'traffic is low tonight',
    });
    assert.equal(proposed.body.status, 'pending_approval', proposed.text);
    const vote = await h.request('POST', `/v1/approvals/${proposed.body.approval.id}/decisions`, {
      token: await h.person('bob'),
      body: { verdict: 'approve' },
    });
    assert.equal(vote.status, 200, vote.text);
    const done = await finished(proposed.body.id);
    assert.equal(done.status, 'rolled_back');
    assert.equal(fleet.service('checkout')?.replicas, 4, 'scaled back to the previous replicas');
    const scales = fleet.calls.filter((c) => c.path === '/services/checkout/scale').map((c) => c.body);
    assert.deepEqual(scales, [{ replicas: 1 }, { replicas: 4 }]);
    const started = (await h.airlock.store.auditForSubject(done.id)).find(
      (e) => e.kind === 'rollback.started',
    );
    assert.deepEqual(JSON.parse(started?.data ?? '{}').via, {
      action: 'deployment.scale',
      params: { replicas: 4 },
    });
  });

  it('a healthy restart passes every sample of the window and succeeds', async () => {
    const proposed = await h.propose(agent, restart({ targets: [{ id: 'search' }] }));
    const done = await finished(proposed.body.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.verification.passed, true);
    assert.equal(done.verification.samples, 5);
    assert.equal(pathKinds(done).filter((k) => k === 'verification.sample').length, 5);
  });

  it('a rollback that fails leaves the action failed, in the approvals queue, with the route alerted', async () => {
    await fetch(`${fleet.url}/services/payments/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ onRestart: { errorRate: 0.4 } }),
    });
    const proposed = await h.propose(agent, {
      type: 'cache.flush',
      environment: 'staging',
      targets: [{ id: 'payments' }],
      params: {},
      confidence: 0.95,
      anomalyScore: 0.1,
    });
    assert.equal(proposed.body.decision.effect, 'execute', proposed.text);
    const done = await finished(proposed.body.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.rollback.outcome, 'failed');
    assert.match(done.execution.attention, /rollback failed/);
    assert.ok(pathKinds(done).includes('rollback.failed'));

    const alerts = await h.airlock.store.listDeliveries(done.id);
    assert.deepEqual(
      alerts.map((a) => [a.webhook, a.event]),
      [['pager', 'action.rollback_failed']],
    );
    const queue = await h.request('GET', '/v1/approvals', { token: await h.person('bob') });
    assert.ok(queue.body.attention.some((a: { action: string }) => a.action === done.id));
  });
});
