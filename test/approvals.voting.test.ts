/**
 * Who may vote on an approval, and how: group members, not viewers or agents, not the agent's
 * owner (unless ownerMayApprove), admins anywhere as a recorded override; one vote per person;
 * a deny needs a reason; a vote is bound to the request hash. Refused votes record nothing.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  actionSchema,
  approvalListSchema,
  approvalSchema,
  decisionResultSchema,
  verifySchema,
} from '../src/api/schemas.ts';
import {
  type Action,
  type ApprovalView,
  expectError,
  MINUTE,
  QUICKSTART_OWNERS,
  routesYaml,
} from './approval-helpers.ts';
import { type Response, restart, startHarness } from './harness.ts';

/** People: the quickstart's, with dave also on call for payments (alice, an admin, is not). */
const PEOPLE = `
people:
  - { id: alice, name: Alice Martin, role: admin, groups: [sre, platform] }
  - { id: bob, name: Bob Okafor, role: approver, groups: [sre] }
  - { id: carol, name: Carol Nguyen, role: viewer, groups: [payments] }
  - { id: dave, name: Dave Lindqvist, role: approver, groups: [sre, platform, payments-oncall] }
`;

/** The quickstart routes, plus owners that pick the two-person and the payments-oncall routes. */
const routes = (ownerMayApprove: boolean) =>
  routesYaml({
    owners: { ...QUICKSTART_OWNERS, pairs: 'two-person', payments: 'payments-oncall' },
    ownerMayApprove,
    routes: `
  - name: payments-oncall
    steps:
      - { group: payments-oncall, quorum: 1, timeout: 15m }
    fallback: deny
`,
  });

async function start(ownerMayApprove = false) {
  const h = await startHarness({
    files: { 'people.yaml': PEOPLE, 'routes.yaml': routes(ownerMayApprove) },
  });
  const [alice, bob, carol, dave] = await Promise.all(
    ['alice', 'bob', 'carol', 'dave'].map((id) => h.person(id)),
  );
  assert.ok(alice && bob && carol && dave);
  const tokens = new Map<string, string>();
  let targets = 0;
  const api = {
    h,
    alice,
    bob,
    carol,
    dave,
    tokenOf(agentId: string): string {
      const token = tokens.get(agentId);
      assert.ok(token, `agent ${agentId} was made with api.agent`);
      return token;
    },
    /** An agent at level 1 on restarts in staging (so every restart escalates), owned by `owner`. */
    async agent(id: string, owner: string): Promise<string> {
      const token = await h.agent(id, owner);
      await h.grant(id, 'service.restart@staging', 1);
      tokens.set(id, token);
      return token;
    },
    async escalate(agentId: string, target = `api-${++targets}`): Promise<Action> {
      const response = await h.propose(api.tokenOf(agentId), restart({ targets: [{ id: target }] }));
      assert.equal(response.status, 201, response.text);
      const action = actionSchema.parse(response.body);
      assert.equal(action.status, 'pending_approval');
      return action;
    },
    async approval(ref: string, token = alice): Promise<ApprovalView> {
      const response = await h.request('GET', `/v1/approvals/${ref}`, { token });
      assert.equal(response.status, 200, response.text);
      return approvalSchema.parse(response.body);
    },
    async actionStatus(id: string): Promise<string> {
      const response = await h.request('GET', `/v1/actions/${id}`, { token: alice });
      assert.equal(response.status, 200, response.text);
      return actionSchema.parse(response.body).status;
    },
    decide(ref: string, token: string, body: unknown): Promise<Response> {
      return h.request('POST', `/v1/approvals/${ref}/decisions`, { token, body });
    },
    async events(): Promise<number> {
      const response = await h.request('GET', '/v1/audit/verify', { token: alice });
      assert.equal(response.status, 200, response.text);
      const report = verifySchema.parse(response.body);
      assert.equal(report.ok, true);
      return report.events;
    },
    /** Run a refused vote and check it left no trace: same audit chain, same approval. */
    async refusedWithoutTrace(ref: string, vote: () => Promise<Response>, status: number, code: string) {
      const eventsBefore = await api.events();
      const approvalBefore = await api.approval(ref);
      const error = expectError(await vote(), status, code);
      assert.equal(await api.events(), eventsBefore, `a refused vote (${code}) records nothing`);
      assert.deepEqual(await api.approval(ref), approvalBefore);
      return error;
    },
    async auditData(actionId: string, kind: string): Promise<Record<string, unknown>[]> {
      const events = (await h.airlock.actions.path(actionId)).filter((e) => e.kind === kind);
      return events.map((e) => JSON.parse(e.data) as Record<string, unknown>);
    },
  };
  return api;
}

type Api = Awaited<ReturnType<typeof start>>;

describe('who may vote', () => {
  let api: Api;
  before(async () => {
    api = await start();
    await api.agent('sre-bot', 'sre');
    await api.agent('plat-bot', 'platform');
    await api.agent('bob-bot', 'bob');
    await api.agent('pay-bot', 'payments');
  });
  after(() => api.h.close());

  it('an approver outside the step’s group → 403 not_eligible, nothing recorded', async () => {
    const action = await api.escalate('plat-bot');
    const view = await api.approval(action.id, api.bob);
    assert.equal(view.group, 'platform');
    assert.equal(view.you?.mayApprove, false);
    assert.equal(view.you?.mayDeny, false);
    const error = await api.refusedWithoutTrace(
      action.id,
      () => api.decide(action.id, api.bob, { verdict: 'approve' }),
      403,
      'not_eligible',
    );
    assert.match(error.message, /group "platform"; bob is not in it/);
    await api.refusedWithoutTrace(
      action.id,
      () => api.decide(action.id, api.bob, { verdict: 'deny', comment: 'not mine to deny' }),
      403,
      'not_eligible',
    );
  });

  it('a viewer (carol) → 403 not_eligible for approve and deny, even on her own group', async () => {
    const action = await api.escalate('sre-bot');
    const view = await api.approval(action.id, api.carol);
    assert.equal(view.you?.mayApprove, false);
    assert.equal(view.you?.mayDeny, false);
    for (const body of [{ verdict: 'approve' }, { verdict: 'deny', comment: 'I watch' }]) {
      const error = await api.refusedWithoutTrace(
        action.id,
        () => api.decide(action.id, api.carol, body),
        403,
        'not_eligible',
      );
      assert.match(error.message, /viewer/);
    }
  });

  it('an agent token → 403 forbidden, nothing recorded (also for its own action)', async () => {
    const action = await api.escalate('sre-bot');
    const agentToken = await api.h.agent('voting-bot', 'sre');
    const ownToken = api.tokenOf('sre-bot');
    for (const token of [agentToken, ownToken]) {
      await api.refusedWithoutTrace(
        action.id,
        () => api.decide(action.id, token, { verdict: 'approve' }),
        403,
        'forbidden',
      );
    }
    expectError(await api.h.request('GET', '/v1/approvals', { token: agentToken }), 403, 'forbidden');
    expectError(
      await api.h.request('GET', `/v1/approvals/${action.id}`, { token: agentToken }),
      403,
      'forbidden',
    );
    expectError(
      await api.h.request('POST', `/v1/approvals/${action.id}/decisions`, { body: { verdict: 'approve' } }),
      401,
      'unauthorized',
    );
  });

  it('the agent’s owner may not approve (ownerMayApprove off) but may deny', async () => {
    const action = await api.escalate('bob-bot');
    const view = await api.approval(action.id, api.bob);
    assert.equal(view.agent.owner, 'bob');
    assert.equal(view.you?.mayApprove, false);
    assert.equal(view.you?.mayDeny, true);
    assert.match(view.you?.why ?? '', /ownerMayApprove/);
    const error = await api.refusedWithoutTrace(
      action.id,
      () => api.decide(action.id, api.bob, { verdict: 'approve' }),
      403,
      'not_eligible',
    );
    assert.match(error.message, /bob owns agent bob-bot/);

    const denied = await api.decide(action.id, api.bob, { verdict: 'deny', comment: 'my bot is wrong' });
    assert.equal(denied.status, 200, denied.text);
    assert.equal(decisionResultSchema.parse(denied.body).approval.status, 'denied');
    assert.equal(await api.actionStatus(action.id), 'denied');
  });

  it('an admin outside the step’s group may vote: recorded as an override in the view and the audit', async () => {
    const action = await api.escalate('pay-bot');
    const view = await api.approval(action.id, api.alice);
    assert.equal(view.route.name, 'payments-oncall');
    assert.equal(view.group, 'payments-oncall');
    assert.equal(view.you?.mayApprove, true);
    assert.equal(view.you?.override, true);
    const daveView = await api.approval(action.id, api.dave);
    assert.equal(daveView.you?.override, false, 'dave is a member: no override');

    const voted = await api.decide(action.id, api.alice, {
      verdict: 'approve',
      comment: 'override, dave is out',
    });
    assert.equal(voted.status, 200, voted.text);
    const result = decisionResultSchema.parse(voted.body);
    assert.equal(result.approval.status, 'approved');
    const after = await api.approval(action.id);
    assert.equal(after.votes.length, 1);
    assert.equal(after.votes[0]?.person, 'alice');
    assert.equal(after.votes[0]?.override, true);
    const [event] = await api.auditData(action.id, 'approval.voted');
    assert.equal(event?.override, true);
    assert.equal(event?.verdict, 'approve');
    assert.equal(event?.comment, 'override, dave is out');
    assert.equal(await api.actionStatus(action.id), 'approved');
  });

  it('an admin who is in the group votes as a member (no override)', async () => {
    const action = await api.escalate('sre-bot');
    const voted = await api.decide(action.id, api.alice, { verdict: 'approve' });
    assert.equal(voted.status, 200, voted.text);
    const [event] = await api.auditData(action.id, 'approval.voted');
    assert.equal(event?.override, false);
  });

  it('a vote on an approval that does not exist → 404', async () => {
    expectError(await api.decide('apv_nope', api.bob, { verdict: 'approve' }), 404, 'not_found');
    expectError(await api.decide('act_nope', api.bob, { verdict: 'approve' }), 404, 'not_found');
  });

  it('the audit chain verifies', async () => {
    assert.ok((await api.events()) > 0);
  });
});

describe('ownerMayApprove: true', () => {
  let api: Api;
  before(async () => {
    api = await start(true);
    await api.agent('bob-bot', 'bob');
  });
  after(() => api.h.close());

  it('the owner may approve the agent’s action', async () => {
    const action = await api.escalate('bob-bot');
    const view = await api.approval(action.id, api.bob);
    assert.equal(view.you?.mayApprove, true);
    const voted = await api.decide(action.id, api.bob, { verdict: 'approve' });
    assert.equal(voted.status, 200, voted.text);
    assert.equal(decisionResultSchema.parse(voted.body).approval.status, 'approved');
    assert.equal(await api.actionStatus(action.id), 'approved');
    const [opened] = await api.auditData(action.id, 'approval.opened');
    assert.equal(opened?.ownerMayApprove, true);
  });

  it('the audit chain verifies', async () => {
    assert.ok((await api.events()) > 0);
  });
});

describe('how a vote is cast', () => {
  let api: Api;
  before(async () => {
    api = await start();
    await api.agent('sre-bot', 'sre');
    await api.agent('pair-bot', 'pairs');
  });
  after(() => api.h.close());

  it('the same person twice → 409 already_voted, nothing recorded', async () => {
    const action = await api.escalate('pair-bot');
    const first = await api.decide(action.id, api.bob, { verdict: 'approve' });
    assert.equal(first.status, 200, first.text);
    await api.refusedWithoutTrace(
      action.id,
      () => api.decide(action.id, api.bob, { verdict: 'approve' }),
      409,
      'already_voted',
    );
    await api.refusedWithoutTrace(
      action.id,
      () => api.decide(action.id, api.bob, { verdict: 'deny', comment: 'second thoughts' }),
      409,
      'already_voted',
    );
  });

  it('a deny without a reason → 422, nothing recorded', async () => {
    const action = await api.escalate('sre-bot');
    for (const body of [
      { verdict: 'deny' },
      { verdict: 'deny', comment: '' },
      { verdict: 'deny', comment: '   ' },
    ]) {
      const error = await api.refusedWithoutTrace(
        action.id,
        () => api.decide(action.id, api.bob, body),
        422,
        'validation_failed',
      );
      assert.ok(
        error.details.some((d) => d.path.includes('comment')),
        JSON.stringify(error.details),
      );
    }
  });

  it('malformed bodies → 422, nothing recorded', async () => {
    const action = await api.escalate('sre-bot');
    for (const body of [
      {},
      { verdict: 'maybe' },
      { verdict: 'approve', extra: true },
      { verdict: 'approve', comment: 'x'.repeat(4001) },
    ]) {
      await api.refusedWithoutTrace(
        action.id,
        () => api.decide(action.id, api.bob, body),
        422,
        'validation_failed',
      );
    }
  });

  it('a deny with a reason → denied, approval.resolved with cause deny_vote', async () => {
    const action = await api.escalate('sre-bot');
    const view = await api.approval(action.id);
    const denied = await api.decide(action.id, api.bob, { verdict: 'deny', comment: 'not during the sale' });
    assert.equal(denied.status, 200, denied.text);
    const result = decisionResultSchema.parse(denied.body);
    assert.equal(result.approval.status, 'denied');
    assert.equal(result.approval.votes[0]?.verdict, 'deny');
    assert.equal(result.approval.votes[0]?.comment, 'not during the sale');
    assert.equal(await api.actionStatus(action.id), 'denied');
    assert.deepEqual(await api.auditData(action.id, 'approval.resolved'), [
      {
        approval: view.id,
        outcome: 'denied',
        cause: 'deny_vote',
        fallback: null,
        dueAt: null,
        status: 'denied',
      },
    ]);
  });

  it('a deny in a quorum of two ends it at once, even after one approval', async () => {
    const action = await api.escalate('pair-bot');
    assert.equal((await api.decide(action.id, api.bob, { verdict: 'approve' })).status, 200);
    const denied = await api.decide(action.id, api.dave, { verdict: 'deny', comment: 'no' });
    assert.equal(denied.status, 200, denied.text);
    assert.equal(decisionResultSchema.parse(denied.body).approval.status, 'denied');
    assert.equal(await api.actionStatus(action.id), 'denied');
  });

  it('a vote on a resolved approval → 409 approval_closed, nothing recorded', async () => {
    const action = await api.escalate('sre-bot');
    assert.equal((await api.decide(action.id, api.bob, { verdict: 'approve' })).status, 200);
    for (const [token, body] of [
      [api.dave, { verdict: 'approve' }],
      [api.dave, { verdict: 'deny', comment: 'too late' }],
      [api.alice, { verdict: 'approve' }],
    ] as const) {
      const error = await api.refusedWithoutTrace(
        action.id,
        () => api.decide(action.id, token, body),
        409,
        'approval_closed',
      );
      assert.match(error.message, /approved/);
    }
    assert.equal(await api.actionStatus(action.id), 'approved');
  });

  it('a vote for another request hash → 409 request_changed, nothing recorded; the right hash is accepted', async () => {
    const action = await api.escalate('sre-bot');
    const view = await api.approval(action.id);
    assert.match(view.requestHash, /^[0-9a-f]{64}$/);
    const other = await api.escalate('sre-bot', 'another-target');
    const otherHash = (await api.approval(other.id)).requestHash;
    assert.notEqual(otherHash, view.requestHash);

    for (const body of [
      { verdict: 'approve', requestHash: otherHash },
      { verdict: 'approve', requestHash: '0'.repeat(64) },
      { verdict: 'approve', requestHash: '' },
      { verdict: 'deny', comment: 'no', requestHash: otherHash },
    ]) {
      await api.refusedWithoutTrace(
        action.id,
        () => api.decide(action.id, api.bob, body),
        409,
        'request_changed',
      );
    }
    const voted = await api.decide(action.id, api.bob, { verdict: 'approve', requestHash: view.requestHash });
    assert.equal(voted.status, 200, voted.text);
    assert.equal(decisionResultSchema.parse(voted.body).approval.votes[0]?.requestHash, view.requestHash);
  });

  it('a refused vote after a deadline still records the timeout (time passed), and only that', async () => {
    const action = await api.escalate('sre-bot');
    const eventsBefore = await api.events();
    api.h.clock.advance(15 * MINUTE);
    expectError(await api.decide(action.id, api.bob, { verdict: 'approve' }), 403, 'not_eligible');
    assert.equal(await api.events(), eventsBefore + 1, 'one approval.escalated event');
    const escalated = await api.auditData(action.id, 'approval.escalated');
    assert.equal(escalated.length, 1);
    assert.deepEqual(await api.auditData(action.id, 'approval.voted'), []);
  });

  it('the audit chain verifies', async () => {
    assert.ok((await api.events()) > 0);
  });
});

describe('GET /v1/approvals: what waits for whom', () => {
  let api: Api;
  const ids: Record<string, string> = {};
  before(async () => {
    api = await start();
    await api.agent('sre-bot', 'sre');
    await api.agent('plat-bot', 'platform');
    await api.agent('bob-bot', 'bob');
    await api.agent('pay-bot', 'payments');
    ids.sre = (await api.escalate('sre-bot')).id;
    ids.platform = (await api.escalate('plat-bot')).id;
    ids.bobs = (await api.escalate('bob-bot')).id;
    ids.payments = (await api.escalate('pay-bot')).id;
    ids.done = (await api.escalate('sre-bot')).id;
    const done = await api.decide(ids.done, api.dave, { verdict: 'approve' });
    assert.equal(done.status, 200, done.text);
  });
  after(() => api.h.close());

  async function list(token: string, query = '') {
    const response = await api.h.request('GET', `/v1/approvals${query}`, { token });
    assert.equal(response.status, 200, response.text);
    return approvalListSchema.parse(response.body).approvals;
  }

  it('bob sees only the pending approvals he may vote on, each with what he may do', async () => {
    const approvals = await list(api.bob);
    assert.deepEqual(approvals.map((a) => a.action).sort(), [ids.sre, ids.bobs].sort());
    for (const approval of approvals) {
      assert.equal(approval.status, 'pending');
      assert.equal(approval.you?.person, 'bob');
      assert.equal(approval.you?.mayDeny, true);
    }
    const sre = approvals.find((a) => a.action === ids.sre);
    assert.equal(sre?.you?.mayApprove, true);
    assert.equal(sre?.you?.why, null);
    // His own agent's action is listed because he may deny it, but he may not approve it.
    const bobs = approvals.find((a) => a.action === ids.bobs);
    assert.equal(bobs?.you?.mayApprove, false);
    assert.match(bobs?.you?.why ?? '', /ownerMayApprove/);
  });

  it('each listed approval carries the full context of its action', async () => {
    const [sre] = (await list(api.bob)).filter((a) => a.action === ids.sre);
    assert.ok(sre);
    assert.equal(sre.agent.id, 'sre-bot');
    assert.equal(sre.agent.owner, 'sre');
    assert.equal(sre.type, 'service.restart');
    assert.equal(sre.environment, 'staging');
    assert.equal(sre.actionStatus, 'pending_approval');
    assert.equal(sre.trustLevel, 1);
    assert.equal(sre.tier, 'low');
    assert.equal(sre.revisionOf, null);
    assert.deepEqual(sre.params, { reason: 'memory leak after deploy' });
  });

  it('dave sees the sre, platform, payments and bob’s approvals; carol (viewer) sees none', async () => {
    const dave = await list(api.dave);
    assert.deepEqual(
      dave.map((a) => a.action).sort(),
      [ids.sre, ids.platform, ids.bobs, ids.payments].sort(),
    );
    assert.ok(dave.every((a) => a.you?.mayApprove === true && a.you.override === false));
    assert.deepEqual(await list(api.carol), []);
  });

  it('alice (admin) sees every pending approval, as an override where she is not in the group', async () => {
    const approvals = await list(api.alice);
    assert.equal(approvals.length, 4);
    const payments = approvals.find((a) => a.action === ids.payments);
    assert.equal(payments?.you?.override, true);
    assert.equal(approvals.find((a) => a.action === ids.sre)?.you?.override, false);
  });

  it('?all=true lists every pending approval, also to those who may not vote on them', async () => {
    for (const token of [api.bob, api.carol]) {
      const approvals = await list(token, '?all=true');
      assert.deepEqual(
        approvals.map((a) => a.action).sort(),
        [ids.sre, ids.platform, ids.bobs, ids.payments].sort(),
      );
    }
    const forCarol = await list(api.carol, '?all=true');
    assert.ok(forCarol.every((a) => a.you?.mayApprove === false && a.you.mayDeny === false));
  });

  it('?status= lists approvals in that status', async () => {
    const approved = await list(api.bob, '?status=approved');
    assert.deepEqual(
      approved.map((a) => a.action),
      [ids.done],
    );
    assert.equal(approved[0]?.you?.mayApprove, false);
    assert.deepEqual(await list(api.bob, '?status=denied'), []);
    const bad = await api.h.request('GET', '/v1/approvals?status=nope', { token: api.bob });
    expectError(bad, 422, 'validation_failed');
  });

  it('?limit= limits what the caller may vote on, not the pending approvals looked at before filtering', async () => {
    // Oldest first: sre (bob may vote), platform (he may not), bob's own (he may deny).
    const approvals = await list(api.bob, '?limit=2');
    assert.deepEqual(approvals.map((a) => a.action).sort(), [ids.sre, ids.bobs].sort());
  });

  it('after a step’s deadline (before any sweep) the list judges eligibility at the step that applies now', async () => {
    api.h.clock.advance(15 * MINUTE);
    try {
      const approvals = await list(api.bob);
      const sre = approvals.find((a) => a.action === ids.sre);
      // The sre approval is at step 2 (platform) now: bob may not vote on it.
      assert.equal(sre, undefined, JSON.stringify(sre?.you));
    } finally {
      await api.h.airlock.approvals.resolveDue();
    }
  });

  it('the audit chain verifies', async () => {
    assert.ok((await api.events()) > 0);
  });
});
