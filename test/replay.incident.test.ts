/**
 * Incident replay end to end: an incident recorded through the real server (one restart rolled
 * back after a failed verification), replayed with `airlock replay incident` against a small
 * candidate agent served on loopback by this test. The candidate sees the contexts in order and
 * nothing of the original run; its proposals are decided now, and nothing is executed or written.
 */

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Fleet, startFleet } from '../sandbox/fleet.ts';
import { assertFails, cli } from './cli-helpers.ts';
import { settle, startFleetHarness, verifiedRestart } from './execution-helpers.ts';
import { type Harness, type Loose, restart } from './harness.ts';
import { type Candidate, INCIDENT, MARK, STEPS, startCandidate } from './incident-replay-helpers.ts';

const MINUTE = 60_000;

describe('airlock replay incident', () => {
  let fleet: Fleet;
  let h: Harness;
  let candidate: Candidate;
  const ids: string[] = [];

  before(async () => {
    fleet = await startFleet();
    h = await startFleetHarness({
      fleet,
      types: {
        'service.restart': verifiedRestart(fleet.url),
      },
    });
    const tokens = { 'ops-bot': await h.agent('ops-bot'), 'db-bot': await h.agent('db-bot', 'dba') };
    await h.agent('candidate-bot');
    await h.grant('ops-bot', 'service.restart@staging', 2);
    await h.grant('candidate-bot', 'service.restart@staging', 2);

    // The restart of checkout brings a fault: verification fails and it is rolled back.
    const armed = await fetch(`${fleet.url}/services/checkout/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ onRestart: { errorRate: 0.5 } }),
    });
    assert.equal(armed.status, 200);
    for (const [i, step] of STEPS.entries()) {
      const token = tokens[step.agent];
      const proposed = await h.propose(token, {
        ...step.proposal,
        reasoning: `${MARK} ${i + 1}: what the original agent thought`,
        context: step.context,
        incident: INCIDENT,
      });
      assert.equal(proposed.status, 201, proposed.text);
      ids.push(proposed.body.id);
      if (i === 0) assert.equal((await settle(h, token, proposed.body.id)).status, 'rolled_back');
      h.clock.advance(MINUTE);
    }
    // Not part of the incident.
    await h.propose(tokens['ops-bot'], restart({ targets: [{ id: 'api-1' }], incident: 'INC-41' }));
    candidate = await startCandidate();
  });

  after(async () => {
    await candidate?.close();
    await h?.close();
    await fleet?.close();
  });

  const replay = (...args: string[]) =>
    cli(
      'replay',
      'incident',
      INCIDENT,
      '--agent-url',
      candidate.url,
      '--timeout',
      '1s',
      '--config',
      h.configPath,
      ...args,
    );

  it('the incident was recorded as the test meant: a rollback, an escalation after the demotion, advice', async () => {
    const statuses = [];
    for (const id of ids) statuses.push((await h.airlock.store.getAction(id))?.status);
    assert.deepEqual(statuses, ['rolled_back', 'advised', 'advised', 'pending_approval', 'advised']);
  });

  it('actions are grouped by incident: actions list --incident and GET /v1/actions?incident=', async () => {
    const listed = await cli('actions', 'list', '--incident', INCIDENT, '--config', h.configPath, '--json');
    assert.equal(listed.code, 0, listed.err.join('\n'));
    assert.deepEqual(
      JSON.parse(listed.out.join('\n')).map((a: Loose) => a.id),
      [...ids].reverse(),
    );
    const alice = await h.person('alice');
    const page = await h.request('GET', `/v1/actions?incident=${INCIDENT}&limit=10`, { token: alice });
    assert.equal(page.status, 200, page.text);
    assert.deepEqual(
      page.body.actions.map((a: Loose) => a.incident),
      ids.map(() => INCIDENT),
    );
  });

  it('sends the contexts in order with the candidate’s own history, decides its proposals, executes and writes nothing', async () => {
    const head = await h.airlock.store.auditHead();
    const actionsBefore = (await h.airlock.store.listActions({ limit: 1000 })).length;
    const fleetCalls = fleet.calls.length;
    const approvals = await h.airlock.store.listApprovals({ limit: 100 });

    const run = await replay('--json');
    assert.equal(run.code, 0, run.err.join('\n'));
    const report = JSON.parse(run.out.join('\n'));

    // What the candidate saw: each context in order, and its own history, never the original run.
    assert.equal(candidate.received.length, 5);
    assert.deepEqual(
      candidate.received.map((r) => [r.protocol, r.incident, r.step, r.steps, r.environment]),
      STEPS.map((_, i) => ['airlock.incident-replay/v1', INCIDENT, i + 1, 5, 'staging']),
    );
    assert.deepEqual(
      candidate.received.map((r) => r.context),
      STEPS.map((s) => s.context),
    );
    assert.deepEqual(
      candidate.received.map((r) => r.history.length),
      [0, 1, 2, 3, 4],
    );
    const seen = JSON.stringify(candidate.received);
    for (const leak of [MARK, 'act_', '0042_add_orders_index', 'checkout 5xx after deploy', '"reasoning"'])
      assert.ok(!seen.includes(leak), `the candidate never sees ${leak}`);
    const last = candidate.received.at(-1);
    assert.deepEqual(last.history[0], {
      step: 1,
      actions: [
        {
          type: 'service.restart',
          environment: 'staging',
          targets: [{ id: 'payments' }],
          params: { reason: 'payments timeouts cause the checkout errors' },
          decision: {
            effect: 'escalate',
            reasons: ['cap level_assisted: level 1 (assisted): every action needs a human approval'],
          },
        },
      ],
    });
    assert.equal(last.history[2].actions[0].decision.effect, 'deny');
    assert.equal(last.history[2].actions[1].rejected.code, 'unknown_action_type');
    assert.match(last.history[3].error, /^the answer is not JSON/);

    // Nothing executed, nothing written.
    assert.deepEqual(await h.airlock.store.auditHead(), head);
    assert.equal((await h.airlock.store.listActions({ limit: 1000 })).length, actionsBefore);
    assert.equal(fleet.calls.length, fleetCalls);
    assert.deepEqual(await h.airlock.store.listApprovals({ limit: 100 }), approvals);

    // The report, side by side.
    assert.equal(report.incident, INCIDENT);
    assert.equal(report.agentUrl, candidate.url);
    assert.equal(report.asAgent, null);
    assert.equal(report.policyVersion, h.airlock.project().bundle.hash);
    assert.deepEqual(
      report.steps.map((s: Loose) => [s.step, s.original.action, s.original.status, s.verdict]),
      [
        [1, ids[0], 'rolled_back', 'different'],
        [2, ids[1], 'advised', 'same'],
        [3, ids[2], 'advised', 'different'],
        [4, ids[3], 'pending_approval', 'error'],
        [5, ids[4], 'advised', 'error'],
      ],
    );
    const [one, two, three, four, five] = report.steps;
    assert.equal(one.original.rolledBack, true);
    assert.equal(one.original.effect, 'execute');
    assert.equal(one.original.note, 'verification failed: service health is 200; rollback succeeded');
    assert.deepEqual(one.candidate.proposals[0].differs, ['targets', 'params']);
    assert.equal(one.candidate.proposals[0].effect, 'escalate', 'ops-bot lost level 2 in the rollback');
    assert.equal(one.candidate.proposals[0].agent, 'ops-bot');
    assert.deepEqual(
      two.candidate.proposals.map((p: Loose) => [p.effect, p.differs]),
      [['advise', []]],
    );
    const [migrate, vacuum] = three.candidate.proposals;
    assert.equal(migrate.agent, 'db-bot', 'each step is decided as its original agent');
    assert.equal(migrate.effect, 'deny');
    assert.deepEqual(migrate.differs, ['params']);
    assert.deepEqual(migrate.reasons, [
      'rule no-data-loss-migrations: Migrations that drop data are never run through automation.',
    ]);
    assert.deepEqual(
      [vacuum.kind, vacuum.code, vacuum.type],
      ['rejected', 'unknown_action_type', 'database.vacuum'],
    );
    assert.equal(four.candidate.kind, 'error');
    assert.match(four.candidate.error, /^the answer is not JSON \("restart it, I guess"\)$/);
    assert.deepEqual(five.candidate, { kind: 'error', error: 'no answer within 1000 ms' });
    assert.deepEqual(report.summary, {
      steps: 5,
      same: 1,
      different: 2,
      errors: 2,
      proposals: { total: 4, execute: 0, escalate: 1, advise: 1, deny: 1, rejected: 1 },
      wentWrong: [{ step: 1, action: ids[0], status: 'rolled_back', candidate: 'other' }],
    });

    // Progress on stderr, a line per step.
    assert.deepEqual(
      run.err.map((line) => line.split(':')[0]),
      [
        'step 1/5 (service.restart@staging, rolled_back)',
        'step 2/5 (cache.flush@staging, advised)',
        'step 3/5 (database.migrate@staging, advised)',
        'step 4/5 (service.restart@staging, pending_approval)',
        'step 5/5 (deployment.scale@staging, advised)',
      ],
    );
    assert.equal(run.err[2], 'step 3/5 (database.migrate@staging, advised): 2 proposals: deny, rejected');
  });

  it('prints the original and the candidate side by side for people', async () => {
    const run = await replay();
    assert.equal(run.code, 0, run.err.join('\n'));
    const out = run.out.join('\n');
    assert.match(run.out[0] ?? '', new RegExp(`^incident ${INCIDENT}: 5 steps replayed against `));
    assert.match(out, /^STEP +ORIGINAL +OUTCOME +CANDIDATE +DECISION +DIFF$/m);
    assert.match(
      out,
      /^1 +service\.restart@staging checkout \(ops-bot\) +execute → ROLLED BACK +service\.restart@staging payments +ESCALATE +DIFFERENT: targets, params$/m,
    );
    assert.match(
      out,
      /^2 +cache\.flush@staging checkout-cache \(ops-bot\) +advise → advised +cache\.flush@staging checkout-cache +advise +same$/m,
    );
    assert.match(out, /database\.migrate@staging orders-db +DENY +DIFFERENT: params$/m);
    assert.match(out, /database\.vacuum@staging +REJECTED \(unknown_action_type\) +DIFFERENT$/m);
    assert.match(out, /^4 .*error: the answer is not JSON .* error$/m);
    assert.match(out, /^step 3 candidate database\.migrate@staging orders-db: DENY \(level 0, as db-bot\)$/m);
    assert.match(out, /^ {4}- rule no-data-loss-migrations: /m);
    assert.match(out, /^summary: 5 steps: 1 same, 2 different, 2 errors$/m);
    assert.match(out, /^candidate proposals: 4 \(0 execute, 1 escalate, 1 advise, 1 deny, 1 rejected\)$/m);
    assert.match(
      out,
      new RegExp(`^  step 1 ${ids[0]}: rolled back; the candidate proposed something else$`, 'm'),
    );
  });

  it("--as-agent decides with another agent's trust", async () => {
    const run = await replay('--json', '--as-agent', 'candidate-bot');
    assert.equal(run.code, 0, run.err.join('\n'));
    const report = JSON.parse(run.out.join('\n'));
    assert.equal(report.asAgent, 'candidate-bot');
    const first = report.steps[0].candidate.proposals[0];
    assert.deepEqual([first.agent, first.effect, first.trustLevel], ['candidate-bot', 'execute', 2]);
    assert.equal(report.steps[2].candidate.proposals[0].agent, 'candidate-bot');
    assert.equal((await h.airlock.store.getAction(ids[0] ?? ''))?.status, 'rolled_back');
  });

  it('fails with one line when there is nothing to replay or nobody to ask', async () => {
    assertFails(
      await cli('replay', 'incident', 'INC-0', '--agent-url', candidate.url, '--config', h.configPath),
      1,
      'airlock: incident INC-0 has no actions',
    );
    const gone = createServer();
    gone.listen(0, '127.0.0.1');
    await new Promise((resolve) => gone.once('listening', resolve));
    const port = (gone.address() as AddressInfo).port;
    await new Promise((resolve) => gone.close(resolve));
    const before = candidate.received.length;
    const unreachable = await cli(
      'replay',
      'incident',
      INCIDENT,
      '--agent-url',
      `http://127.0.0.1:${port}/`,
      '--config',
      h.configPath,
    );
    assert.equal(unreachable.code, 1);
    assert.deepEqual(unreachable.out, []);
    assert.equal(
      unreachable.err.at(-1),
      `airlock: cannot reach the candidate agent at http://127.0.0.1:${port}/: connection refused (ECONNREFUSED)`,
    );
    assert.equal(candidate.received.length, before);
    assertFails(
      await cli(
        'replay',
        'incident',
        INCIDENT,
        '--agent-url',
        candidate.url,
        '--as-agent',
        'nobody',
        '--config',
        h.configPath,
      ),
      1,
      'airlock: no agent nobody',
    );
    assertFails(
      await cli('replay', 'incident', INCIDENT, '--config', h.configPath),
      2,
      'airlock: missing --agent-url',
    );
    assertFails(
      await cli(
        'replay',
        'incident',
        INCIDENT,
        '--agent-url',
        'ftp://example.org/',
        '--config',
        h.configPath,
      ),
      2,
      'airlock: --agent-url takes an http(s) URL, not "ftp://example.org/"',
    );
    assertFails(
      await cli(
        'replay',
        'incident',
        INCIDENT,
        '--agent-url',
        candidate.url,
        '--timeout',
        'soon',
        '--config',
        h.configPath,
      ),
      2,
      /^airlock: --timeout takes a duration/,
    );
  });

  it('--help explains the command', async () => {
    const run = await cli('replay', 'incident', '--help');
    assert.equal(run.code, 0);
    assert.equal(
      run.out[0],
      'usage: airlock replay incident <incident-id> --agent-url <url> [--as-agent <id>] [--timeout 30s]',
    );
    for (const flag of ['--agent-url <value>', '--as-agent <value>', '--timeout <value>', '--json'])
      assert.ok(
        run.out.some((line) => line.includes(flag)),
        flag,
      );
  });
});
