/**
 * Revisions: an approver proposes changed params instead of approving. The original approval
 * closes as `revised` (its action is denied: it never runs as proposed), and a new action with
 * the changed request is decided afresh; it may be denied, and when it escalates it needs its
 * own approval, which its author cannot give.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { actionSchema, approvalSchema, decisionResultSchema, verifySchema } from '../src/api/schemas.ts';
import { type Action, type ApprovalView, expectError, kinds, MINUTE } from './approval-helpers.ts';
import { type Harness, type Response, restart, startHarness } from './harness.ts';

describe('revisions', () => {
  let h: Harness;
  let alice: string;
  let bob: string;
  let carol: string;
  let dave: string;
  let restarter: string;
  let migrator: string;
  let scaler: string;
  let target = 0;

  before(async () => {
    h = await startHarness();
    [alice, bob, carol, dave] = (await Promise.all(
      ['alice', 'bob', 'carol', 'dave'].map((id) => h.person(id)),
    )) as [string, string, string, string];
    restarter = await h.agent('restart-bot', 'sre');
    await h.grant('restart-bot', 'service.restart@staging', 1);
    migrator = await h.agent('migrate-bot', 'sre');
    await h.grant('migrate-bot', 'database.migrate@staging', 1);
    scaler = await h.agent('scale-bot', 'sre');
    await h.grant('scale-bot', 'deployment.scale@staging', 2);
  });
  after(() => h.close());

  /** A pending restart on a fresh target. */
  async function escalate(
    body: Record<string, unknown> = restart({ targets: [{ id: `api-${++target}` }] }),
    token = restarter,
  ) {
    const response = await h.propose(token, body);
    assert.equal(response.status, 201, response.text);
    const action = actionSchema.parse(response.body);
    assert.equal(action.status, 'pending_approval', JSON.stringify(action.decision));
    return action;
  }

  async function action(id: string): Promise<Action> {
    const response = await h.request('GET', `/v1/actions/${id}`, { token: alice });
    assert.equal(response.status, 200, response.text);
    return actionSchema.parse(response.body);
  }

  async function approval(ref: string, token = alice): Promise<ApprovalView> {
    const response = await h.request('GET', `/v1/approvals/${ref}`, { token });
    assert.equal(response.status, 200, response.text);
    return approvalSchema.parse(response.body);
  }

  function decide(ref: string, token: string, body: unknown): Promise<Response> {
    return h.request('POST', `/v1/approvals/${ref}/decisions`, { token, body });
  }

  async function events(): Promise<number> {
    const response = await h.request('GET', '/v1/audit/verify', { token: alice });
    const report = verifySchema.parse(response.body);
    assert.equal(report.ok, true);
    return report.events;
  }

  /** A refused revision: the error, the same audit chain, the original still pending and unchanged. */
  async function refused(ref: string, token: string, body: unknown, status: number, code: string) {
    const eventsBefore = await events();
    const approvalBefore = await approval(ref);
    const actionsBefore = (await h.request('GET', '/v1/actions?limit=200', { token: alice })).body.actions
      .length;
    const error = expectError(await decide(ref, token, body), status, code);
    assert.equal(await events(), eventsBefore, 'a refused revision records nothing');
    assert.deepEqual(await approval(ref), approvalBefore);
    assert.equal(approvalBefore.status, 'pending');
    const actionsAfter = (await h.request('GET', '/v1/actions?limit=200', { token: alice })).body.actions
      .length;
    assert.equal(actionsAfter, actionsBefore, 'no revision action is stored');
    return error;
  }

  it('changed params: the original is revised and denied; a new pending action with its own approval', async () => {
    const original = await escalate();
    const before = await approval(original.id);
    const params = { reason: 'memory leak; drain slowly', graceSeconds: 120 };

    const response = await decide(original.id, bob, { verdict: 'revise', comment: 'drain slower', params });
    assert.equal(response.status, 200, response.text);
    const result = decisionResultSchema.parse(response.body);

    // The original approval and action.
    assert.equal(result.approval.id, before.id);
    assert.equal(result.approval.status, 'revised');
    assert.equal(result.approval.resolvedAt, h.clock.now().toISOString());
    const [vote] = result.approval.votes;
    assert.equal(vote?.person, 'bob');
    assert.equal(vote?.verdict, 'revise');
    assert.equal(vote?.comment, 'drain slower');
    assert.equal(vote?.requestHash, before.requestHash);
    const originalAction = await action(original.id);
    assert.equal(originalAction.status, 'denied');
    assert.deepEqual(kinds(originalAction.path), [
      'action.proposed',
      'action.decided',
      'approval.opened',
      'approval.voted',
      'approval.resolved',
    ]);
    const resolved = (await h.airlock.actions.path(original.id)).find((e) => e.kind === 'approval.resolved');
    assert.deepEqual(JSON.parse(resolved?.data ?? '{}'), {
      approval: before.id,
      outcome: 'revised',
      cause: 'revision',
      fallback: null,
      dueAt: null,
      status: 'denied',
    });

    // The revision.
    const revision = result.revision;
    assert.ok(revision);
    assert.notEqual(revision.id, original.id);
    assert.equal(revision.agent, 'restart-bot');
    assert.equal(revision.status, 'pending_approval');
    assert.deepEqual(revision.params, params);
    assert.deepEqual(revision.targets, original.targets);
    assert.equal(revision.decision.effect, 'escalate');
    const reason = revision.decision.reasons.find((r) => r.kind === 'revision');
    assert.deepEqual(reason && { ...reason, message: undefined }, {
      kind: 'revision',
      of: original.id,
      by: 'bob',
      message: undefined,
    });
    assert.ok(revision.approval);
    assert.notEqual(revision.approval.id, before.id);
    assert.equal(revision.approval.status, 'pending');
    assert.equal(revision.approval.revisionAuthor, 'bob');
    assert.notEqual(revision.approval.requestHash, before.requestHash);
    assert.deepEqual(kinds(revision.path), ['action.proposed', 'action.decided', 'approval.opened']);
    assert.deepEqual(revision.path?.[0]?.actor, { kind: 'person', id: 'bob' });

    const fetched = await action(revision.id);
    assert.equal(fetched.status, 'pending_approval');
    assert.deepEqual(fetched.path?.[0]?.actor, { kind: 'person', id: 'bob' });
    assert.deepEqual(fetched.path?.[1]?.actor, { kind: 'system', id: 'airlock' });
    assert.equal(fetched.approval?.id, revision.approval.id);
    const proposed = (await h.airlock.actions.path(revision.id)).find((e) => e.kind === 'action.proposed');
    assert.equal(JSON.parse(proposed?.data ?? '{}').revisionOf, original.id);

    const view = await approval(revision.id, bob);
    assert.equal(view.revisionOf, original.id);
    assert.equal(view.revisionAuthor, 'bob');
    assert.equal(view.you?.mayApprove, false);
    assert.match(view.you?.why ?? '', /bob proposed this revision/);

    // Its author cannot approve it; another approver can.
    const eventsBefore = await events();
    const own = expectError(await decide(revision.id, bob, { verdict: 'approve' }), 403, 'not_eligible');
    assert.match(own.message, /proposed this revision/);
    assert.equal(await events(), eventsBefore);
    const approved = await decide(revision.id, dave, {
      verdict: 'approve',
      requestHash: revision.approval.requestHash,
    });
    assert.equal(approved.status, 200, approved.text);
    assert.equal(decisionResultSchema.parse(approved.body).approval.status, 'approved');
    assert.equal((await action(revision.id)).status, 'approved');
    assert.equal((await action(original.id)).status, 'denied', 'the original never runs');
  });

  it('the revision’s author may still deny it', async () => {
    const original = await escalate();
    const response = await decide(original.id, bob, {
      verdict: 'revise',
      comment: 'slower',
      params: { reason: 'leak, slower', graceSeconds: 300 },
    });
    const { revision } = decisionResultSchema.parse(response.body);
    assert.ok(revision);
    const denied = await decide(revision.id, bob, { verdict: 'deny', comment: 'on second thought, no' });
    assert.equal(denied.status, 200, denied.text);
    assert.equal((await action(revision.id)).status, 'denied');
  });

  it('changed targets alone make a revision too', async () => {
    const original = await escalate();
    const response = await decide(original.id, dave, {
      verdict: 'revise',
      comment: 'only the canary',
      params: original.params,
      targets: [{ id: 'api-canary' }],
    });
    assert.equal(response.status, 200, response.text);
    const { revision } = decisionResultSchema.parse(response.body);
    assert.deepEqual(revision?.targets, [{ id: 'api-canary' }]);
    assert.equal(revision?.status, 'pending_approval');
    assert.equal(revision?.approval?.revisionAuthor, 'dave');
  });

  it('a revision always needs its own approval, even where the agent could act alone', async () => {
    const big = {
      type: 'deployment.scale',
      environment: 'staging',
      targets: [{ id: 'web' }],
      params: { replicas: 25 },
      confidence: 0.95,
      anomalyScore: 0.1,
    };
    const original = await escalate(big, scaler);
    assert.equal(original.approval?.route.name, 'capacity-review');
    const response = await decide(original.id, dave, {
      verdict: 'revise',
      comment: 'within the plan',
      params: { replicas: 10 },
    });
    assert.equal(response.status, 200, response.text);
    const { revision } = decisionResultSchema.parse(response.body);
    assert.ok(revision);
    // At level 2 the agent may scale to 10 alone, but a person's revision escalates regardless.
    assert.equal(revision.decision.effect, 'escalate');
    assert.equal(revision.decision.policyEffect, 'allow');
    assert.ok(revision.decision.reasons.some((r) => r.kind === 'revision'));
    assert.equal(revision.approval?.route.name, 'sre-on-call', 'no rule names a route: the default');
  });

  it('a revision the policy denies: revision denied, no approval opened, the original closed', async () => {
    const original = await escalate(
      {
        type: 'database.migrate',
        environment: 'staging',
        targets: [{ id: 'orders-db' }],
        params: { migration: '0042_add_index' },
        confidence: 0.9,
      },
      migrator,
    );
    const before = await approval(original.id);
    const response = await decide(original.id, bob, {
      verdict: 'revise',
      comment: 'drop the legacy table too',
      params: { migration: '0042_add_index', dropsData: true },
    });
    assert.equal(response.status, 200, response.text);
    const result = decisionResultSchema.parse(response.body);
    assert.equal(result.approval.status, 'revised');
    const revision = result.revision;
    assert.ok(revision);
    assert.equal(revision.status, 'denied');
    assert.equal(revision.decision.effect, 'deny');
    assert.ok(
      revision.decision.reasons.some((r) => r.kind === 'rule' && r.rule === 'no-data-loss-migrations'),
    );
    assert.equal(revision.approval, null);
    assert.deepEqual(kinds(revision.path), ['action.proposed', 'action.decided']);
    assert.deepEqual(revision.path?.[0]?.actor, { kind: 'person', id: 'bob' });
    const fetched = await action(revision.id);
    assert.equal(fetched.status, 'denied');
    assert.equal(fetched.approval, null);
    expectError(await h.request('GET', `/v1/approvals/${revision.id}`, { token: alice }), 404, 'not_found');
    assert.equal((await action(original.id)).status, 'denied');
    assert.equal((await approval(before.id)).status, 'revised');
  });

  it('params that do not fit the catalog → 422, nothing recorded, the original stays pending', async () => {
    const original = await escalate();
    for (const params of [{ reason: 'no' }, { reason: 'fine reason', bogus: 1 }, { graceSeconds: 30 }]) {
      const error = await refused(
        original.id,
        bob,
        { verdict: 'revise', comment: 'try this', params },
        422,
        'validation_failed',
      );
      assert.ok(
        error.details.some((d) => d.path.startsWith('params')),
        JSON.stringify(error.details),
      );
    }
    const noTargets = await refused(
      original.id,
      bob,
      { verdict: 'revise', comment: 'none', params: { reason: 'other reason' }, targets: [] },
      422,
      'validation_failed',
    );
    assert.ok(
      noTargets.details.some((d) => d.path === 'targets'),
      JSON.stringify(noTargets.details),
    );
  });

  it('identical params (in any key order) → 422, nothing recorded', async () => {
    const original = await escalate(
      restart({ targets: [{ id: 'api-same' }], params: { reason: 'memory leak', graceSeconds: 30 } }),
    );
    for (const body of [
      { verdict: 'revise', comment: 'same', params: { reason: 'memory leak', graceSeconds: 30 } },
      { verdict: 'revise', comment: 'same', params: { graceSeconds: 30, reason: 'memory leak' } },
      { verdict: 'revise', comment: 'same', params: original.params, targets: original.targets },
    ]) {
      const error = await refused(original.id, bob, body, 422, 'validation_failed');
      assert.match(error.message, /changes nothing/);
    }
  });

  it('a revision without a reason → 422; by someone who may not approve → 403; nothing recorded', async () => {
    const original = await escalate();
    const params = { reason: 'a different reason' };
    await refused(original.id, bob, { verdict: 'revise', params }, 422, 'validation_failed');
    await refused(original.id, bob, { verdict: 'revise', comment: '  ', params }, 422, 'validation_failed');
    await refused(original.id, carol, { verdict: 'revise', comment: 'viewer', params }, 403, 'not_eligible');

    const owned = await h.agent('bobs-bot', 'bob');
    await h.grant('bobs-bot', 'service.restart@staging', 1);
    const bobs = await escalate(restart({ targets: [{ id: 'api-bobs' }] }), owned);
    const error = await refused(
      bobs.id,
      bob,
      { verdict: 'revise', comment: 'mine', params },
      403,
      'not_eligible',
    );
    assert.match(error.message, /owns agent bobs-bot/);

    const agentToken = await h.agent('revising-bot');
    await refused(original.id, agentToken, { verdict: 'revise', comment: 'bot', params }, 403, 'forbidden');
  });

  it('a revision of a closed approval → 409 approval_closed', async () => {
    const original = await escalate();
    assert.equal((await decide(original.id, dave, { verdict: 'approve' })).status, 200);
    const eventsBefore = await events();
    expectError(
      await decide(original.id, bob, {
        verdict: 'revise',
        comment: 'late',
        params: { reason: 'other reason' },
      }),
      409,
      'approval_closed',
    );
    assert.equal(await events(), eventsBefore);
    assert.equal((await action(original.id)).status, 'approved');
  });

  it('a revision after the step’s deadline is judged at the next step (bob is not in platform)', async () => {
    const original = await escalate();
    h.clock.advance(15 * MINUTE);
    expectError(
      await decide(original.id, bob, {
        verdict: 'revise',
        comment: 'late',
        params: { reason: 'other reason' },
      }),
      403,
      'not_eligible',
    );
    const now = await approval(original.id);
    assert.equal(now.status, 'pending');
    assert.equal(now.step, 2);
    const response = await decide(original.id, dave, {
      verdict: 'revise',
      comment: 'platform revises',
      params: { reason: 'other reason' },
    });
    assert.equal(response.status, 200, response.text);
    const result = decisionResultSchema.parse(response.body);
    assert.equal(result.approval.status, 'revised');
    assert.equal(result.approval.votes[0]?.step, 2);
    assert.equal(result.revision?.approval?.step, 1, 'the revision starts its own route afresh');
  });

  it('the audit chain verifies', async () => {
    assert.ok((await events()) > 0);
  });
});
