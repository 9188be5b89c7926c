/**
 * Approval routes end to end, one describe per route shape: one step, escalation over two steps,
 * a quorum of two, timeouts to deny and to expire (also after a long outage), and how an action's
 * route is chosen. Route files that must not load: approvals.route-files.test.ts.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { actionSchema, approvalSchema, decisionResultSchema, verifySchema } from '../src/api/schemas.ts';
import {
  type Action,
  type ApprovalView,
  expectError,
  kinds,
  MINUTE,
  type PathStep,
  QUICKSTART_OWNERS,
  routesYaml,
} from './approval-helpers.ts';
import { type Harness, type Response, restart, startHarness } from './harness.ts';

/** Everything the tests of one harness need: people's tokens and small API helpers. */
async function actors(h: Harness) {
  const [alice, bob, carol, dave] = await Promise.all(
    ['alice', 'bob', 'carol', 'dave'].map((id) => h.person(id)),
  );
  assert.ok(alice && bob && carol && dave);
  return {
    alice,
    bob,
    carol,
    dave,
    /** Propose as `agentToken` and check the action escalated. */
    async escalate(agentToken: string, body: Record<string, unknown> = restart()): Promise<Action> {
      const response = await h.propose(agentToken, body);
      assert.equal(response.status, 201, response.text);
      const action = actionSchema.parse(response.body);
      assert.equal(action.status, 'pending_approval', JSON.stringify(action.decision));
      assert.ok(action.approval, 'an escalated action carries its approval');
      return action;
    },
    async action(id: string): Promise<Action> {
      const response = await h.request('GET', `/v1/actions/${id}`, { token: alice });
      assert.equal(response.status, 200, response.text);
      return actionSchema.parse(response.body);
    },
    async approval(ref: string, token = alice): Promise<ApprovalView> {
      const response = await h.request('GET', `/v1/approvals/${ref}`, { token });
      assert.equal(response.status, 200, response.text);
      return approvalSchema.parse(response.body);
    },
    decide(ref: string, token: string, body: Record<string, unknown>): Promise<Response> {
      return h.request('POST', `/v1/approvals/${ref}/decisions`, { token, body });
    },
    async verify() {
      const response = await h.request('GET', '/v1/audit/verify', { token: alice });
      assert.equal(response.status, 200, response.text);
      return verifySchema.parse(response.body);
    },
  };
}

const count = (path: readonly PathStep[] | undefined, kind: string) =>
  kinds(path).filter((k) => k === kind).length;
const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

describe('route with one step (capacity-review: platform, quorum 1, 1h)', () => {
  let h: Harness;
  let a: Awaited<ReturnType<typeof actors>>;
  let agent: string;
  before(async () => {
    h = await startHarness();
    a = await actors(h);
    agent = await h.agent('plat-bot', 'platform');
    await h.grant('plat-bot', 'service.restart@staging', 1);
  });
  after(() => h.close());

  it('one approval by a member approves the action; the path records every step', async () => {
    const proposed = await a.escalate(agent);
    assert.equal(proposed.approval?.route.name, 'capacity-review');
    assert.equal(proposed.approval?.group, 'platform');
    assert.equal(proposed.approval?.quorum, 1);
    assert.equal(proposed.approval?.deadline, plus(proposed.createdAt, 60 * MINUTE));

    const before = await a.approval(proposed.id, a.dave);
    assert.equal(before.status, 'pending');
    assert.equal(before.you?.mayApprove, true);
    // What an approver weighs: how much it touches, and how well the agent's confidence is calibrated.
    assert.equal(before.blastRadius.targets, proposed.targets.length);
    assert.equal(before.blastRadius.production, false);
    assert.deepEqual(before.blastRadius.limits, [], 'the quickstart declares no limits');
    assert.deepEqual(before.calibration, {
      scope: 'service.restart@staging',
      n: 0,
      minEvidence: 30,
      stated: proposed.confidence,
      calibrated: null,
    });

    const voted = await a.decide(before.id, a.dave, {
      verdict: 'approve',
      comment: 'fine',
      requestHash: before.requestHash,
    });
    assert.equal(voted.status, 200, voted.text);
    const result = decisionResultSchema.parse(voted.body);
    assert.equal(result.approval.status, 'approved');
    assert.equal(result.approval.approvals, 1);
    assert.equal(result.revision, undefined);

    const action = await a.action(proposed.id);
    assert.equal(action.status, 'approved');
    assert.equal(action.approval?.status, 'approved');
    assert.equal(action.approval?.resolvedAt, h.clock.now().toISOString());
    assert.deepEqual(kinds(action.path), [
      'action.proposed',
      'action.decided',
      'approval.opened',
      'approval.voted',
      'approval.resolved',
      'permit.issued', // the quickstart's types are agent-executed
    ]);
    const voteEvent = action.path?.find((p) => p.kind === 'approval.voted');
    assert.deepEqual(voteEvent?.actor, { kind: 'person', id: 'dave' });

    const [vote] = action.approval?.votes ?? [];
    assert.ok(vote);
    assert.equal(vote.person, 'dave');
    assert.equal(vote.verdict, 'approve');
    assert.equal(vote.step, 1);
    assert.equal(vote.override, false);
    assert.equal(vote.comment, 'fine');
    assert.equal(vote.requestHash, before.requestHash);
    assert.equal(vote.requestHash, action.approval?.requestHash);
    assert.equal(vote.requestHash, proposed.approval?.requestHash);

    const after = await a.approval(before.id);
    assert.equal(after.status, 'approved');
    assert.equal(after.actionStatus, 'approved');
    assert.equal(after.you?.mayApprove, false);
  });

  it('GET /v1/approvals/:id answers the same approval by its id and by its action id', async () => {
    const proposed = await a.escalate(agent, restart({ targets: [{ id: 'api-2' }] }));
    const byAction = await a.approval(proposed.id);
    const byId = await a.approval(byAction.id);
    assert.match(byId.id, /^apv_/);
    assert.equal(byId.action, proposed.id);
    assert.deepEqual(byId, byAction);
    expectError(await h.request('GET', '/v1/approvals/apv_nope', { token: a.alice }), 404, 'not_found');
    expectError(await h.request('GET', '/v1/approvals/act_nope', { token: a.alice }), 404, 'not_found');
  });

  it('the audit chain verifies', async () => {
    assert.equal((await a.verify()).ok, true);
  });
});

describe('route escalating over two steps (sre-on-call: sre 15m, then platform 30m, then deny)', () => {
  let h: Harness;
  let a: Awaited<ReturnType<typeof actors>>;
  let agent: string;
  before(async () => {
    h = await startHarness();
    a = await actors(h);
    agent = await h.agent('esc-bot');
    await h.grant('esc-bot', 'service.restart@staging', 1);
  });
  after(() => h.close());

  it('no vote for 15m: the sweep hands it to platform; bob (sre only) may no longer vote; dave approves', async () => {
    const proposed = await a.escalate(agent);
    const opened = await a.approval(proposed.id);
    assert.equal(opened.route.name, 'sre-on-call');
    assert.deepEqual(opened.route.steps, [
      { group: 'sre', quorum: 1, timeout: '15m' },
      { group: 'platform', quorum: 1, timeout: '30m' },
    ]);
    assert.equal(opened.step, 1);
    assert.equal(opened.group, 'sre');
    assert.equal(opened.deadline, plus(opened.createdAt, 15 * MINUTE));

    h.clock.advance(15 * MINUTE - 1);
    assert.equal(await h.airlock.approvals.resolveDue(), 0, 'not due a millisecond early');
    h.clock.advance(1);
    assert.equal(await h.airlock.approvals.resolveDue(), 1);

    const escalated = await a.approval(proposed.id, a.bob);
    assert.equal(escalated.status, 'pending');
    assert.equal(escalated.step, 2);
    assert.equal(escalated.group, 'platform');
    assert.equal(escalated.deadline, plus(opened.deadline, 30 * MINUTE));
    assert.equal(escalated.you?.mayApprove, false);
    assert.match(escalated.you?.why ?? '', /platform/);

    const refused = await a.decide(escalated.id, a.bob, { verdict: 'approve' });
    expectError(refused, 403, 'not_eligible');
    const denyRefused = await a.decide(escalated.id, a.bob, { verdict: 'deny', comment: 'no' });
    expectError(denyRefused, 403, 'not_eligible');

    const voted = await a.decide(escalated.id, a.dave, { verdict: 'approve' });
    assert.equal(voted.status, 200, voted.text);
    assert.equal(decisionResultSchema.parse(voted.body).approval.status, 'approved');

    const action = await a.action(proposed.id);
    assert.equal(action.status, 'approved');
    assert.deepEqual(kinds(action.path), [
      'action.proposed',
      'action.decided',
      'approval.opened',
      'approval.escalated',
      'approval.voted',
      'approval.resolved',
      'permit.issued', // the quickstart's types are agent-executed
    ]);
    const escalation = action.path?.find((p) => p.kind === 'approval.escalated');
    assert.deepEqual(escalation?.actor, { kind: 'system', id: 'airlock' });
    assert.equal(action.approval?.votes[0]?.step, 2);
  });

  it('a vote after the deadline but before any sweep lands on the next step', async () => {
    const proposed = await a.escalate(agent, restart({ targets: [{ id: 'api-late' }] }));
    const opened = await a.approval(proposed.id);
    h.clock.advance(16 * MINUTE);

    const refused = await a.decide(opened.id, a.bob, { verdict: 'approve' });
    const error = expectError(refused, 403, 'not_eligible');
    assert.match(error.message, /step 2/);

    const now = await a.approval(proposed.id);
    assert.equal(now.status, 'pending');
    assert.equal(now.step, 2);
    assert.equal(now.group, 'platform');
    assert.equal(now.deadline, plus(opened.deadline, 30 * MINUTE), 'step 2 starts at step 1’s deadline');
    assert.deepEqual(now.votes, [], 'the refused vote is not recorded');
    const action = await a.action(proposed.id);
    assert.equal(count(action.path, 'approval.escalated'), 1);
    assert.equal(count(action.path, 'approval.voted'), 0);
    assert.equal(await h.airlock.approvals.resolveDue(), 0, 'the vote already applied the timeout');

    const voted = await a.decide(opened.id, a.dave, { verdict: 'approve' });
    assert.equal(voted.status, 200, voted.text);
    const result = decisionResultSchema.parse(voted.body);
    assert.equal(result.approval.status, 'approved');
    assert.equal(result.approval.votes[0]?.step, 2);
  });

  it('a platform member voting late, before any sweep, approves at step 2 with one escalation recorded', async () => {
    const proposed = await a.escalate(agent, restart({ targets: [{ id: 'api-late-2' }] }));
    h.clock.advance(20 * MINUTE);
    const voted = await a.decide(proposed.id, a.dave, { verdict: 'approve' });
    assert.equal(voted.status, 200, voted.text);
    const result = decisionResultSchema.parse(voted.body);
    assert.equal(result.approval.status, 'approved');
    assert.equal(result.approval.step, 2);
    const action = await a.action(proposed.id);
    assert.equal(action.status, 'approved');
    assert.deepEqual(kinds(action.path).slice(2), [
      'approval.opened',
      'approval.escalated',
      'approval.voted',
      'approval.resolved',
      'permit.issued', // the quickstart's types are agent-executed
    ]);
  });

  it('the audit chain verifies', async () => {
    assert.equal((await a.verify()).ok, true);
  });
});

/** The quickstart routes, plus owners that pick the two-person route and a custom pair route. */
const QUORUM_ROUTES = routesYaml({
  owners: { ...QUICKSTART_OWNERS, pairs: 'two-person', trio: 'three-of-sre', relay: 'pair-then-platform' },
  routes: `
  - name: three-of-sre
    steps:
      - { group: sre, quorum: 3, timeout: 30m }
    fallback: deny
  - name: pair-then-platform
    steps:
      - { group: sre, quorum: 2, timeout: 15m }
      - { group: platform, quorum: 1, timeout: 30m }
    fallback: deny
`,
});

describe('route with a quorum of two (two-person: sre, quorum 2)', () => {
  let h: Harness;
  let a: Awaited<ReturnType<typeof actors>>;
  let agent: string;
  before(async () => {
    h = await startHarness({ files: { 'routes.yaml': QUORUM_ROUTES } });
    a = await actors(h);
    agent = await h.agent('pair-bot', 'pairs');
    await h.grant('pair-bot', 'service.restart@staging', 1);
  });
  after(() => h.close());

  it('one approval leaves it pending with approvals 1; a second approver approves it', async () => {
    const proposed = await a.escalate(agent);
    assert.equal(proposed.approval?.route.name, 'two-person');
    assert.equal(proposed.approval?.quorum, 2);

    const first = await a.decide(proposed.id, a.bob, { verdict: 'approve' });
    assert.equal(first.status, 200, first.text);
    const afterFirst = decisionResultSchema.parse(first.body).approval;
    assert.equal(afterFirst.status, 'pending');
    assert.equal(afterFirst.approvals, 1);
    assert.equal(afterFirst.resolvedAt, null);
    assert.equal((await a.action(proposed.id)).status, 'pending_approval');

    const bobAgain = await a.approval(proposed.id, a.bob);
    assert.equal(bobAgain.you?.mayApprove, false);
    assert.match(bobAgain.you?.why ?? '', /already voted/);

    const second = await a.decide(proposed.id, a.dave, { verdict: 'approve' });
    assert.equal(second.status, 200, second.text);
    const afterSecond = decisionResultSchema.parse(second.body).approval;
    assert.equal(afterSecond.status, 'approved');
    assert.equal(afterSecond.approvals, 2);
    assert.deepEqual(afterSecond.votes.map((v) => v.person).sort(), ['bob', 'dave']);

    const action = await a.action(proposed.id);
    assert.equal(action.status, 'approved');
    assert.equal(count(action.path, 'approval.voted'), 2);
    assert.equal(count(action.path, 'approval.resolved'), 1);
  });

  it('the same person twice → 409 already_voted, and nothing more is recorded', async () => {
    const proposed = await a.escalate(agent, restart({ targets: [{ id: 'api-twice' }] }));
    const first = await a.decide(proposed.id, a.bob, { verdict: 'approve' });
    assert.equal(first.status, 200, first.text);
    const eventsBefore = (await a.verify()).events;

    expectError(await a.decide(proposed.id, a.bob, { verdict: 'approve' }), 409, 'already_voted');
    expectError(
      await a.decide(proposed.id, a.bob, { verdict: 'deny', comment: 'changed my mind' }),
      409,
      'already_voted',
    );
    assert.equal((await a.verify()).events, eventsBefore);
    const approval = await a.approval(proposed.id);
    assert.equal(approval.status, 'pending');
    assert.equal(approval.approvals, 1);
    assert.equal(approval.votes.length, 1);
  });

  it('an approval at step 1 that did not reach its quorum does not lock its voter out of step 2', async () => {
    const relay = await h.agent('relay-bot', 'relay');
    await h.grant('relay-bot', 'service.restart@staging', 1);
    const proposed = await a.escalate(relay);
    assert.equal(proposed.approval?.route.name, 'pair-then-platform');
    const first = await a.decide(proposed.id, a.dave, { verdict: 'approve' });
    assert.equal(first.status, 200, first.text);
    assert.equal(decisionResultSchema.parse(first.body).approval.approvals, 1);

    h.clock.advance(15 * MINUTE);
    assert.equal(await h.airlock.approvals.resolveDue(), 1);
    const escalated = await a.approval(proposed.id, a.dave);
    assert.equal(escalated.step, 2);
    assert.equal(escalated.group, 'platform');
    // dave's step-1 approval does not count at step 2 …
    assert.equal(escalated.approvals, 0);
    // … so dave, a platform member, may approve at step 2: a person counts once per step.
    assert.equal(escalated.you?.mayApprove, true, escalated.you?.why ?? '');
    const second = await a.decide(proposed.id, a.dave, { verdict: 'approve' });
    assert.equal(second.status, 200, second.text);
    assert.equal(decisionResultSchema.parse(second.body).approval.status, 'approved');
  });

  it('a quorum of three needs three distinct people (alice, bob, dave)', async () => {
    const trio = await h.agent('trio-bot', 'trio');
    await h.grant('trio-bot', 'service.restart@staging', 1);
    const proposed = await a.escalate(trio);
    assert.equal(proposed.approval?.route.name, 'three-of-sre');
    for (const [token, expected] of [
      [a.bob, 'pending'],
      [a.dave, 'pending'],
      [a.alice, 'approved'],
    ] as const) {
      const response = await a.decide(proposed.id, token, { verdict: 'approve' });
      assert.equal(response.status, 200, response.text);
      assert.equal(decisionResultSchema.parse(response.body).approval.status, expected);
    }
    const approval = await a.approval(proposed.id);
    assert.equal(approval.approvals, 3);
    assert.ok(
      approval.votes.every((v) => !v.override),
      'alice is in sre: no override',
    );
  });

  it('the audit chain verifies', async () => {
    assert.equal((await a.verify()).ok, true);
  });
});

describe('timeouts: the fallback applies when the last step times out', () => {
  let h: Harness;
  let a: Awaited<ReturnType<typeof actors>>;
  let sre: string;
  let platform: string;
  before(async () => {
    h = await startHarness();
    a = await actors(h);
    sre = await h.agent('timeout-bot');
    platform = await h.agent('timeout-plat-bot', 'platform');
    await h.grant('timeout-bot', 'service.restart@staging', 1);
    await h.grant('timeout-plat-bot', 'service.restart@staging', 1);
  });
  after(() => h.close());

  it('fallback deny: past both deadlines the approval and the action are denied (cause timeout)', async () => {
    const proposed = await a.escalate(sre);
    const opened = await a.approval(proposed.id);

    h.clock.advance(15 * MINUTE);
    assert.equal(await h.airlock.approvals.resolveDue(), 1);
    assert.equal((await a.approval(proposed.id)).step, 2);
    h.clock.advance(30 * MINUTE - 1);
    assert.equal(await h.airlock.approvals.resolveDue(), 0);
    h.clock.advance(1);
    assert.equal(await h.airlock.approvals.resolveDue(), 1);

    const resolved = await a.approval(proposed.id);
    assert.equal(resolved.status, 'denied');
    assert.equal(resolved.actionStatus, 'denied');
    assert.equal(resolved.step, 2);
    assert.equal(resolved.resolvedAt, plus(opened.createdAt, 45 * MINUTE));

    const action = await a.action(proposed.id);
    assert.equal(action.status, 'denied');
    assert.deepEqual(kinds(action.path).slice(2), [
      'approval.opened',
      'approval.escalated',
      'approval.resolved',
    ]);
    const data = resolvedData(h, proposed.id);
    assert.deepEqual(await data, {
      approval: opened.id,
      outcome: 'denied',
      cause: 'timeout',
      fallback: 'deny',
      dueAt: (await a.action(proposed.id)).approval?.deadline,
      status: 'denied',
    });
    expectError(await a.decide(proposed.id, a.dave, { verdict: 'approve' }), 409, 'approval_closed');
  });

  it('fallback expire: the action expires', async () => {
    const proposed = await a.escalate(platform);
    assert.equal(proposed.approval?.route.fallback, 'expire');
    h.clock.advance(60 * MINUTE);
    assert.equal(await h.airlock.approvals.resolveDue(), 1);
    const action = await a.action(proposed.id);
    assert.equal(action.status, 'expired');
    assert.equal(action.approval?.status, 'expired');
    assert.deepEqual(await resolvedData(h, proposed.id), {
      approval: action.approval?.id,
      outcome: 'expired',
      cause: 'timeout',
      fallback: 'expire',
      dueAt: action.approval?.deadline,
      status: 'expired',
    });
  });

  it('after a long outage one sweep passes every step at once and resolves each approval exactly once', async () => {
    const first = await a.escalate(sre, restart({ targets: [{ id: 'api-outage-1' }] }));
    const second = await a.escalate(sre, restart({ targets: [{ id: 'api-outage-2' }] }));
    const expiring = await a.escalate(platform, restart({ targets: [{ id: 'api-outage-3' }] }));
    const opened = await a.approval(first.id);

    h.clock.advance(10 * 60 * MINUTE);
    assert.equal(await h.airlock.approvals.resolveDue(), 3);
    assert.equal(await h.airlock.approvals.resolveDue(), 0);

    for (const proposed of [first, second]) {
      const action = await a.action(proposed.id);
      assert.equal(action.status, 'denied');
      assert.equal(count(action.path, 'approval.escalated'), 1);
      assert.equal(count(action.path, 'approval.resolved'), 1);
      // Escalation and resolution are recorded in the one sweep, in order.
      assert.deepEqual(kinds(action.path).slice(-2), ['approval.escalated', 'approval.resolved']);
    }
    const escalated = await escalatedData(h, first.id);
    // The second step started when the first was due, not when the sweep ran.
    assert.equal(escalated.dueAt, opened.deadline);
    assert.equal(escalated.deadline, plus(opened.deadline, 30 * MINUTE));
    const resolved = await a.approval(first.id);
    assert.equal(resolved.resolvedAt, h.clock.now().toISOString(), 'resolved when the sweep ran');

    const expired = await a.action(expiring.id);
    assert.equal(expired.status, 'expired');
    assert.equal(count(expired.path, 'approval.resolved'), 1);
  });

  it('the audit chain verifies', async () => {
    assert.equal((await a.verify()).ok, true);
  });
});

/** The data of the action's approval.resolved audit event (exactly one). */
async function resolvedData(h: Harness, actionId: string): Promise<Record<string, unknown>> {
  return onlyEvent(h, actionId, 'approval.resolved');
}

async function escalatedData(h: Harness, actionId: string): Promise<Record<string, unknown>> {
  return onlyEvent(h, actionId, 'approval.escalated');
}

async function onlyEvent(h: Harness, actionId: string, kind: string): Promise<Record<string, unknown>> {
  const events = (await h.airlock.actions.path(actionId)).filter((e) => e.kind === kind);
  assert.equal(events.length, 1, `exactly one ${kind} event for ${actionId}`);
  const [event] = events;
  assert.ok(event);
  return JSON.parse(event.data) as Record<string, unknown>;
}

describe('route selection: a policy rule’s route, else the owner’s, else the default', () => {
  let h: Harness;
  let a: Awaited<ReturnType<typeof actors>>;
  before(async () => {
    h = await startHarness();
    a = await actors(h);
  });
  after(() => h.close());

  const scale = (replicas: number) => ({
    type: 'deployment.scale',
    environment: 'staging',
    targets: [{ id: 'web' }],
    params: { replicas },
    confidence: 0.95,
  });

  it('a policy rule naming a route: scaling to 25 replicas goes to capacity-review', async () => {
    const token = await h.agent('scale-bot');
    await h.grant('scale-bot', 'deployment.scale@staging', 2);
    const action = await a.escalate(token, scale(25));
    assert.equal(action.decision.route, 'capacity-review');
    assert.ok(
      action.decision.reasons.some(
        (r) => r.kind === 'rule' && r.rule === 'large-scaling-needs-capacity-review',
      ),
    );
    assert.equal(action.approval?.route.name, 'capacity-review');
    assert.equal(action.approval?.group, 'platform');
    const fetched = await a.action(action.id);
    assert.equal(fetched.decision.route, 'capacity-review');
    assert.equal(fetched.approval?.route.name, 'capacity-review');
  });

  it('the policy’s route wins over the owner’s', async () => {
    const token = await h.agent('plat-scale-bot', 'platform');
    await h.grant('plat-scale-bot', 'service.restart@staging', 1);
    const action = await a.escalate(token, restart({ type: 'service.restart' }));
    assert.equal(action.approval?.route.name, 'capacity-review', 'owner platform');
    // A PCI target in production names two-person, whoever owns the agent.
    await h.grant('plat-scale-bot', 'service.restart@production', 1);
    const pci = await a.escalate(
      token,
      restart({ environment: 'production', targets: [{ id: 'pay-1', pci: true }] }),
    );
    assert.equal(pci.decision.route, 'two-person');
    assert.equal(pci.approval?.route.name, 'two-person');
  });

  it('the owner’s default route: an agent owned by platform goes to capacity-review', async () => {
    const token = await h.agent('owned-bot', 'platform');
    await h.grant('owned-bot', 'service.restart@staging', 1);
    const action = await a.escalate(token);
    assert.equal(action.decision.route, null, 'no policy named a route');
    assert.equal(action.approval?.route.name, 'capacity-review');
  });

  it('the default route otherwise: sre-on-call', async () => {
    const token = await h.agent('plain-bot', 'someone-else');
    await h.grant('plain-bot', 'service.restart@staging', 1);
    const action = await a.escalate(token);
    assert.equal(action.decision.route, null);
    assert.equal(action.approval?.route.name, 'sre-on-call');
    // Scaling to zero escalates by a rule that names no route: still the default.
    await h.grant('plain-bot', 'deployment.scale@staging', 2);
    const zero = await a.escalate(token, scale(0));
    assert.equal(zero.decision.route, null);
    assert.equal(zero.approval?.route.name, 'sre-on-call');
  });

  it('the audit chain verifies', async () => {
    assert.equal((await a.verify()).ok, true);
  });
});
