/**
 * Secrets executors use never leak: a bearer token and an HMAC key of an http executor, a variable
 * passed to a command that prints it, and a token of a verification check reach the fleet, but no
 * log line, audit event or API answer contains them. A catalog reading an unset secret refuses to
 * load, naming the variable and where it is read.
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Fleet, startFleet } from '../sandbox/fleet.ts';
import { ProblemsError } from '../src/config/problems.ts';
import { createAirlock } from '../src/gateway/airlock.ts';
import { eventView } from '../src/gateway/audit-service.ts';
import { catalogWith, settle, startFleetHarness, type TypeOverrides } from './execution-helpers.ts';
import { type Harness, makeProject, restart } from './harness.ts';

const SECRETS = {
  FLEET_TOKEN: `fleet-token-${randomUUID()}`,
  FLEET_HMAC: `hmac-key-${randomUUID()}`,
  JOB_SECRET: `job-secret-${randomUUID()}`,
  CHECK_TOKEN: `check-token-${randomUUID()}`,
};

function secretTypes(fleetUrl: string): TypeOverrides {
  return {
    'service.secure_restart': {
      description: 'A restart the fleet only takes with its token.',
      tier: 'low',
      domains: ['performance'],
      reversible: true,
      params: { type: 'object' },
      execution: {
        executor: {
          kind: 'http',
          url: `${fleetUrl}/services/{{target.id}}/restart`,
          headers: { Authorization: 'Bearer {{secret.FLEET_TOKEN}}' },
          sign: { secretEnv: 'FLEET_HMAC' },
          perTarget: true,
        },
      },
      verification: {
        window: '200ms',
        interval: '100ms',
        checks: [
          {
            kind: 'http',
            name: 'healthy',
            url: `${fleetUrl}/services/{{target.id}}/health`,
            headers: { 'X-Check-Token': '{{secret.CHECK_TOKEN}}' },
            perTarget: true,
          },
        ],
      },
    },
    'job.secret': {
      description: 'A job that prints the secret it was given.',
      tier: 'low',
      domains: ['performance'],
      reversible: true,
      targets: { min: 0, max: 1 },
      params: { type: 'object' },
      execution: {
        executor: { kind: 'command', argv: ['/bin/sh', '-c', 'echo token=$JOB_SECRET'], env: ['JOB_SECRET'] },
      },
    },
  };
}

const ALLOW = `rules:
  - name: secret-types
    match: { types: [service.secure_restart, job.secret] }
    effect: allow
    reason: Test types run when trust allows.
`;

describe('secrets stay secret', () => {
  let fleet: Fleet;
  let h: Harness;
  let agent: string;
  let bob: string;

  before(async () => {
    fleet = await startFleet({ requireToken: SECRETS.FLEET_TOKEN });
    h = await startFleetHarness({
      fleet,
      types: secretTypes(fleet.url),
      policies: { 'secret-types.yaml': ALLOW },
      env: { ...SECRETS, PATH: process.env.PATH },
    });
    agent = await h.agent('secret-bot');
    bob = await h.person('bob');
    await h.grant('secret-bot', 'service.secure_restart@staging', 2);
    await h.grant('secret-bot', 'job.secret@staging', 2);
    await h.grant('secret-bot', 'service.secure_restart@production', 1);
  });

  after(async () => {
    await h.close();
    await fleet.close();
  });

  /** Fail naming where a secret value showed up. */
  function assertClean(where: string, text: string): void {
    for (const [name, value] of Object.entries(SECRETS))
      assert.ok(!text.includes(value), `${where} contains the value of ${name}`);
  }

  it('uses every secret, and no log line, audit event or API answer contains one', async () => {
    // Autonomous: a signed, authorised restart with a verification check.
    const auto = await h.propose(
      agent,
      restart({ type: 'service.secure_restart', targets: [{ id: 'search' }], params: {} }),
    );
    assert.equal(auto.status, 201, auto.text);
    assert.equal(auto.body.decision.effect, 'execute');
    const autoDone = await settle(h, agent, auto.body.id);
    assert.equal(autoDone.status, 'succeeded', JSON.stringify(autoDone.outcome));

    // Approved by a person: the same type in production at level 1.
    const approved = await h.propose(
      agent,
      restart({
        type: 'service.secure_restart',
        environment: 'production',
        targets: [{ id: 'payments' }],
        params: {},
      }),
    );
    assert.equal(approved.body.status, 'pending_approval');
    const queue = await h.request('GET', '/v1/approvals', { token: bob });
    assert.equal(queue.status, 200, queue.text);
    const vote = await h.request('POST', `/v1/approvals/${approved.body.approval.id}/decisions`, {
      token: bob,
      body: { verdict: 'approve' },
    });
    assert.equal(vote.status, 200, vote.text);
    assert.equal((await settle(h, agent, approved.body.id)).status, 'succeeded');

    // A command that prints its secret.
    const job = await h.propose(agent, restart({ type: 'job.secret', targets: [], params: {} }));
    assert.equal(job.body.decision.effect, 'execute', JSON.stringify(job.body.decision.reasons));
    const jobDone = await settle(h, agent, job.body.id);
    assert.equal(jobDone.status, 'succeeded');

    // The secrets were really used: the fleet took the token, and the job printed something redacted.
    const calls = fleet.calls.filter((c) => c.headers['x-airlock-action'] === auto.body.id);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.headers.authorization, `Bearer ${SECRETS.FLEET_TOKEN}`);
    assert.match(calls[0]?.headers['x-airlock-signature'] ?? '', /^t=\d+,v1=[0-9a-f]{64}$/);
    const jobEvents = await h.airlock.store.auditForSubject(job.body.id);
    const finished = jobEvents.find((e) => e.kind === 'execution.finished');
    assert.ok(finished, jobEvents.map((e) => e.kind).join(' '));
    assert.match(finished.data, /token=\[redacted\]/);

    // Nowhere else.
    assert.ok(h.logs.length > 0);
    h.logs.forEach((line, i) => void assertClean(`log line ${i}`, JSON.stringify(line)));
    const events = await h.airlock.store.auditRange(0, 100_000);
    assert.ok(events.some((e) => e.kind === 'verification.passed' || e.kind.startsWith('verification.')));
    for (const event of events)
      assertClean(`audit event ${event.seq} (${event.kind})`, JSON.stringify(event));
    const exported: string[] = [];
    for await (const record of h.airlock.audit.events(0)) exported.push(JSON.stringify(eventView(record)));
    assertClean('the audit export', exported.join('\n'));

    const answers = [auto, approved, job, queue, vote];
    for (const id of [auto.body.id, approved.body.id, job.body.id]) {
      answers.push(await h.request('GET', `/v1/actions/${id}`, { token: agent }));
      answers.push(await h.request('GET', `/v1/actions/${id}`, { token: bob }));
    }
    for (const route of ['/v1/approvals', '/v1/catalog', '/v1/actions', '/v1/freeze', '/metrics'])
      answers.push(await h.request('GET', route, { token: bob }));
    answers.push(await h.request('GET', '/v1/catalog', { token: agent }));
    for (const answer of answers) {
      assert.ok(answer.status < 300, answer.text);
      assertClean('an API answer', answer.text);
    }
  });
});

describe('a secret that is not set', () => {
  it('keeps the project from loading, naming the variable and the catalog line', async () => {
    const fleetUrl = 'http://127.0.0.1:9';
    const { dir, configPath } = await makeProject({
      'catalog.yaml': (original) => catalogWith(original, secretTypes(fleetUrl)),
    });
    try {
      const env = { FLEET_HMAC: 'set', JOB_SECRET: 'set', CHECK_TOKEN: 'set' };
      const error = await createAirlock({ configPath, env, logLevel: 'silent' }).then(
        () => assert.fail('the project loaded'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ProblemsError, String(error));
      const catalog = path.join(dir, 'catalog.yaml');
      const problems = error.problems.filter((p) => p.message.includes('FLEET_TOKEN'));
      assert.equal(problems.length, 1, error.message);
      const [problem] = problems;
      assert.equal(problem?.file, catalog);
      assert.equal(problem?.path, 'types["service.secure_restart"].execution');
      assert.match(
        problem?.message ?? '',
        /environment variable FLEET_TOKEN is not set \(service\.secure_restart reads it\)/,
      );
      const lines = (await readFile(catalog, 'utf8')).split('\n');
      const typeLine = lines.findIndex((l) => l.startsWith('  service.secure_restart:')) + 1;
      assert.ok(
        problem?.line !== null && problem !== undefined && problem.line > typeLine,
        String(problem?.line),
      );
      assert.match(lines[(problem.line ?? 1) - 1] ?? '', /execution:|executor:/);
      assert.match(error.message, new RegExp(`${catalog.replaceAll('.', '\\.')}:${problem.line}:\\d+`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
