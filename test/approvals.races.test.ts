/**
 * Races on one approval: two votes at once, approve against deny, a vote against the timer
 * sweep, two sweeps at once, a revision against a vote. Every transition re-reads the approval in
 * its transaction and writes only on the version it read, so each race has exactly one outcome,
 * the same in the approval, the action and the audit chain.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { actionSchema, approvalSchema, decisionResultSchema, verifySchema } from '../src/api/schemas.ts';
import { type Action, expectError, MINUTE } from './approval-helpers.ts';
import { type Response, restart, startHarness } from './harness.ts';

const ROUNDS = 20;

/** The quickstart routes, with agents owned by `pairs` taking two-person (sre, quorum 2). */
const addPairs = (original: string) =>
  original.replace('  platform: capacity-review', '  platform: capacity-review\n  pairs: two-person');

async function setUp() {
  const h = await startHarness({ files: { 'routes.yaml': addPairs } });
  const [alice, bob, dave] = (await Promise.all(['alice', 'bob', 'dave'].map((id) => h.person(id)))) as [
    string,
    string,
    string,
  ];
  const agent = await h.agent('race-bot', 'sre');
  await h.grant('race-bot', 'service.restart@staging', 1);
  const pairAgent = await h.agent('pair-bot', 'pairs');
  await h.grant('pair-bot', 'service.restart@staging', 1);
  let target = 0;
  return {
    h,
    alice,
    bob,
    dave,
    async escalate(token = agent): Promise<Action> {
      const response = await h.propose(token, restart({ targets: [{ id: `api-${++target}` }] }));
      assert.equal(response.status, 201, response.text);
      const action = actionSchema.parse(response.body);
      assert.equal(action.status, 'pending_approval');
      return action;
    },
    pairAgent,
    decide(ref: string, token: string, body: unknown): Promise<Response> {
      return h.request('POST', `/v1/approvals/${ref}/decisions`, { token, body });
    },
    async action(id: string): Promise<Action> {
      const response = await h.request('GET', `/v1/actions/${id}`, { token: alice });
      assert.equal(response.status, 200, response.text);
      return actionSchema.parse(response.body);
    },
    async approval(ref: string) {
      const response = await h.request('GET', `/v1/approvals/${ref}`, { token: alice });
      assert.equal(response.status, 200, response.text);
      return approvalSchema.parse(response.body);
    },
    /** The data of the action's audit events of `kind`. */
    async audit(actionId: string, kind: string): Promise<Record<string, unknown>[]> {
      const events = (await h.airlock.actions.path(actionId)).filter((e) => e.kind === kind);
      return events.map((e) => JSON.parse(e.data) as Record<string, unknown>);
    },
    async verify() {
      const response = await h.request('GET', '/v1/audit/verify', { token: alice });
      assert.equal(response.status, 200, response.text);
      const report = verifySchema.parse(response.body);
      assert.equal(report.ok, true, JSON.stringify(report));
      return report;
    },
  };
}

type World = Awaited<ReturnType<typeof setUp>>;

/** Of two responses, the one that succeeded and the one refused with 409 approval_closed. */
function winnerAndLoser(responses: readonly Response[]): { winner: number; loser: number } {
  const statuses = responses.map((r) => r.status);
  assert.deepEqual([...statuses].sort(), [200, 409], JSON.stringify(responses.map((r) => r.body)));
  const winner = statuses.indexOf(200);
  const loser = 1 - winner;
  const refused = responses[loser];
  assert.ok(refused);
  expectError(refused, 409, 'approval_closed');
  return { winner, loser };
}

describe('two votes at once', () => {
  let w: World;
  before(async () => {
    w = await setUp();
  });
  after(() => w.h.close());

  it(`two approvers approve at once (quorum 1): one resolves it, the other is closed out (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const action = await w.escalate();
      const voters = [
        ['bob', w.bob],
        ['dave', w.dave],
      ] as const;
      const responses = await Promise.all(
        voters.map(([, token]) => w.decide(action.id, token, { verdict: 'approve' })),
      );
      const { winner } = winnerAndLoser(responses);
      const who = voters[winner]?.[0];
      assert.ok(who);
      const result = decisionResultSchema.parse(responses[winner]?.body);
      assert.equal(result.approval.status, 'approved');

      const approval = await w.approval(action.id);
      assert.equal(approval.status, 'approved');
      assert.deepEqual(
        approval.votes.map((v) => v.person),
        [who],
      );
      assert.equal((await w.action(action.id)).status, 'approved');
      assert.equal((await w.audit(action.id, 'approval.voted')).length, 1);
      const resolved = await w.audit(action.id, 'approval.resolved');
      assert.equal(resolved.length, 1);
      assert.equal(resolved[0]?.outcome, 'approved');
      assert.equal(resolved[0]?.cause, 'quorum');
    }
  });

  it(`approve against deny at once: exactly one outcome, the same everywhere (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const action = await w.escalate();
      // Alternate who approves, so both orders of arrival are exercised.
      const [approver, denier] = round % 2 === 0 ? [w.bob, w.dave] : [w.dave, w.bob];
      const responses = await Promise.all([
        w.decide(action.id, approver, { verdict: 'approve' }),
        w.decide(action.id, denier, { verdict: 'deny', comment: 'not now' }),
      ]);
      const { winner } = winnerAndLoser(responses);
      const expected = winner === 0 ? 'approved' : 'denied';
      const result = decisionResultSchema.parse(responses[winner]?.body);
      assert.equal(result.approval.status, expected);

      const approval = await w.approval(action.id);
      assert.equal(approval.status, expected);
      assert.equal(approval.actionStatus, expected);
      assert.equal(approval.votes.length, 1);
      assert.equal(approval.votes[0]?.verdict, winner === 0 ? 'approve' : 'deny');
      assert.equal((await w.action(action.id)).status, expected);
      const resolved = await w.audit(action.id, 'approval.resolved');
      assert.equal(resolved.length, 1);
      assert.equal(resolved[0]?.outcome, expected);
      assert.equal(resolved[0]?.cause, winner === 0 ? 'quorum' : 'deny_vote');
      assert.equal((await w.audit(action.id, 'approval.voted')).length, 1);
    }
  });

  it(`three approvers at once on a quorum of two: two votes land, the third is closed out (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const action = await w.escalate(w.pairAgent);
      assert.equal(action.approval?.quorum, 2);
      const responses = await Promise.all(
        [w.alice, w.bob, w.dave].map((token) => w.decide(action.id, token, { verdict: 'approve' })),
      );
      const statuses = responses.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 200, 409], JSON.stringify(responses.map((r) => r.body)));
      for (const response of responses) {
        if (response.status === 409) expectError(response, 409, 'approval_closed');
      }
      const outcomes = responses
        .filter((r) => r.status === 200)
        .map((r) => decisionResultSchema.parse(r.body).approval.status)
        .sort();
      assert.deepEqual(outcomes, ['approved', 'pending']);
      const approval = await w.approval(action.id);
      assert.equal(approval.status, 'approved');
      assert.equal(approval.approvals, 2);
      assert.equal(approval.votes.length, 2);
      assert.equal(new Set(approval.votes.map((v) => v.person)).size, 2);
      assert.equal((await w.audit(action.id, 'approval.voted')).length, 2);
      assert.equal((await w.audit(action.id, 'approval.resolved')).length, 1);
    }
  });

  it(`the same person twice at once: one vote lands, the other is already_voted (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const action = await w.escalate(w.pairAgent);
      const responses = await Promise.all([
        w.decide(action.id, w.bob, { verdict: 'approve' }),
        w.decide(action.id, w.bob, { verdict: 'approve' }),
      ]);
      assert.deepEqual(responses.map((r) => r.status).sort(), [200, 409]);
      const refused = responses.find((r) => r.status === 409);
      assert.ok(refused);
      expectError(refused, 409, 'already_voted');
      const approval = await w.approval(action.id);
      assert.equal(approval.status, 'pending');
      assert.equal(approval.votes.length, 1);
    }
  });

  it(`a revision against an approval at once: one of them, never both (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const action = await w.escalate();
      const responses = await Promise.all([
        w.decide(action.id, w.bob, { verdict: 'approve' }),
        w.decide(action.id, w.dave, {
          verdict: 'revise',
          comment: 'slower',
          params: { reason: `drain slowly ${round}`, graceSeconds: 120 },
        }),
      ]);
      const { winner } = winnerAndLoser(responses);
      const approval = await w.approval(action.id);
      const revisions = (
        await w.h.request('GET', '/v1/actions?limit=500', { token: w.alice })
      ).body.actions.filter((a: Action) =>
        a.decision.reasons.some((r) => r.kind === 'revision' && r.of === action.id),
      );
      if (winner === 0) {
        assert.equal(approval.status, 'approved');
        assert.equal((await w.action(action.id)).status, 'approved');
        assert.equal(revisions.length, 0, 'a refused revision stores no action');
      } else {
        assert.equal(approval.status, 'revised');
        assert.equal((await w.action(action.id)).status, 'denied');
        assert.equal(revisions.length, 1);
        const result = decisionResultSchema.parse(responses[1]?.body);
        assert.equal(result.revision?.id, revisions[0].id);
      }
      assert.equal((await w.audit(action.id, 'approval.resolved')).length, 1);
    }
  });

  it('the audit chain verifies', async () => {
    await w.verify();
  });
});

describe('votes against the timer sweep', () => {
  let w: World;
  before(async () => {
    w = await setUp();
  });
  after(() => w.h.close());

  it(`past the last deadline, a vote and a sweep at once: one timeout, never approved (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const action = await w.escalate();
      w.h.clock.advance(45 * MINUTE);
      // Alternate which starts first.
      const vote = () => w.decide(action.id, w.dave, { verdict: 'approve' });
      const sweep = () => w.h.airlock.approvals.resolveDue();
      const [response, moved] =
        round % 2 === 0
          ? await Promise.all([vote(), sweep()])
          : await Promise.all([sweep(), vote()]).then(([m, r]) => [r, m] as const);
      // Whichever ran first applied the timeout: the sweep moved it (1), or the vote did (0).
      expectError(response, 409, 'approval_closed');
      assert.ok(moved === 0 || moved === 1, `moved ${moved}`);

      const approval = await w.approval(action.id);
      assert.equal(approval.status, 'denied');
      assert.deepEqual(approval.votes, []);
      assert.equal((await w.action(action.id)).status, 'denied');
      const resolved = await w.audit(action.id, 'approval.resolved');
      assert.equal(resolved.length, 1);
      assert.equal(resolved[0]?.cause, 'timeout');
      assert.equal(resolved[0]?.outcome, 'denied');
      assert.equal((await w.audit(action.id, 'approval.escalated')).length, 1);
      assert.equal((await w.audit(action.id, 'approval.voted')).length, 0);
      assert.equal(await w.h.airlock.approvals.resolveDue(), 0);
    }
  });

  it(`past step 1’s deadline, a vote and a sweep at once: one escalation; the sre vote is refused (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const action = await w.escalate();
      w.h.clock.advance(15 * MINUTE);
      const [response] = await Promise.all([
        w.decide(action.id, w.bob, { verdict: 'approve' }),
        w.h.airlock.approvals.resolveDue(),
      ]);
      expectError(response, 403, 'not_eligible');
      const approval = await w.approval(action.id);
      assert.equal(approval.status, 'pending');
      assert.equal(approval.step, 2);
      assert.equal((await w.audit(action.id, 'approval.escalated')).length, 1);
      // Close it so later rounds' sweeps have nothing left of it.
      const closed = await w.decide(action.id, w.dave, { verdict: 'deny', comment: 'cleanup' });
      assert.equal(closed.status, 200, closed.text);
    }
  });

  it('two sweeps at once: each approval moves once (escalated once, resolved once)', async () => {
    const actions: Action[] = [];
    for (let i = 0; i < ROUNDS; i++) actions.push(await w.escalate());
    w.h.clock.advance(10 * 60 * MINUTE);
    const moved = await Promise.all([
      w.h.airlock.approvals.resolveDue(),
      w.h.airlock.approvals.resolveDue(),
      w.h.airlock.approvals.resolveDue(3),
    ]);
    assert.equal(
      moved.reduce((a, b) => a + b, 0),
      ROUNDS,
      `moves counted once in all: ${moved.join(' + ')}`,
    );
    for (const action of actions) {
      assert.equal((await w.action(action.id)).status, 'denied');
      assert.equal((await w.audit(action.id, 'approval.escalated')).length, 1);
      assert.equal((await w.audit(action.id, 'approval.resolved')).length, 1);
    }
    assert.equal(await w.h.airlock.approvals.resolveDue(), 0);
  });

  it('a sweep with a small limit pages through everything due', async () => {
    const actions: Action[] = [];
    for (let i = 0; i < 7; i++) actions.push(await w.escalate());
    w.h.clock.advance(60 * MINUTE);
    assert.equal(await w.h.airlock.approvals.resolveDue(2), 7);
    for (const action of actions) assert.equal((await w.action(action.id)).status, 'denied');
  });

  it('the audit chain verifies', async () => {
    await w.verify();
  });
});
