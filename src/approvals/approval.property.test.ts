/**
 * Property tests (fast-check) that try to break DESIGN.md invariants 2 (approval part), 4 and 8 in
 * the pure approval state machine: random routes, random people, random sequences of time passing,
 * votes and revisions, checked after every command.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Person } from '../project/project-schema.ts';
import {
  type Approval,
  advance,
  approvalsAtStep,
  castVote,
  openApproval,
  type Result,
  reviseApproval,
  type Transition,
  type Verdict,
} from './approval.ts';
import { ANY_APPROVER, type RouteSpec } from './route-schema.ts';
import { isMember } from './routing.ts';

const RUNS = { numRuns: 500 };
const GROUPS = ['sre', 'platform', 'payments'] as const;
const PERSON_IDS = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay'] as const;
const AGENT_ID = 'bot-1';
const HASH = 'a'.repeat(64);
const OTHER_HASH = 'b'.repeat(64);
const START = new Date('2026-11-24T10:00:00.000Z');
const FALLBACK_OUTCOME = { deny: 'denied', expire: 'expired' } as const;

type Voter = Pick<Person, 'id' | 'role' | 'groups'>;

const route: fc.Arbitrary<RouteSpec> = fc.record({
  name: fc.constant('generated'),
  steps: fc.array(
    fc.record({
      group: fc.constantFrom(...GROUPS, ANY_APPROVER),
      quorum: fc.integer({ min: 1, max: 3 }),
      timeout: fc.integer({ min: 1_000, max: 3_600_000 }),
      notify: fc.constant([] as string[]),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  fallback: fc.constantFrom('deny' as const, 'expire' as const),
  notify: fc.constant([] as string[]),
});

const people: fc.Arbitrary<Voter[]> = fc.uniqueArray(
  fc.record({
    id: fc.constantFrom(...PERSON_IDS, AGENT_ID),
    role: fc.constantFrom('viewer' as const, 'approver' as const, 'approver' as const, 'admin' as const),
    groups: fc.subarray([...GROUPS]),
  }),
  { minLength: 1, maxLength: 6, selector: (p) => p.id },
);

type Command =
  | {
      readonly kind: 'advance';
      readonly ms: number;
      /** A timer tick applies the time now; otherwise the next vote is the first to see it. */
      readonly look: boolean;
    }
  | {
      readonly kind: 'vote';
      readonly who: number;
      readonly verdict: Verdict;
      readonly comment: string | null;
      readonly hash: 'correct' | 'other' | 'none' | 'null';
      /** Apply time first (as the gateway does), or leave it to castVote. */
      readonly advanceFirst: boolean;
    }
  | { readonly kind: 'revise'; readonly who: number; readonly comment: string | null };

const comment = fc.constantFrom(null, '', '  ', 'looks fine', 'not now: incident in progress');

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      // Mostly short steps (a vote lands inside a step), sometimes past several steps at once.
      ms: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 60_000 }) },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: 3_600_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 * 3_600_000 }) },
      ),
      look: fc.boolean(),
    }),
  },
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('vote' as const),
      who: fc.nat(),
      verdict: fc.oneof(
        { weight: 5, arbitrary: fc.constant('approve' as const) },
        { weight: 1, arbitrary: fc.constant('deny' as const) },
      ),
      comment,
      hash: fc.constantFrom(
        'correct' as const,
        'correct' as const,
        'other' as const,
        'none' as const,
        'null' as const,
      ),
      advanceFirst: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('revise' as const), who: fc.nat(), comment }),
  },
);

const scenario = fc
  .record({
    route,
    people,
    ownerMayApprove: fc.boolean(),
    ownerPick: fc.nat(),
    ownerIsPerson: fc.boolean(),
    revisedBy: fc.option(fc.nat(), { nil: null }),
    commands: fc.array(command, { minLength: 1, maxLength: 40 }),
  })
  .map((s) => {
    const pick = (n: number) => s.people[n % s.people.length] as Voter;
    const agentOwner = s.ownerIsPerson ? pick(s.ownerPick).id : 'nobody-in-particular';
    const revisionAuthor = s.revisedBy === null ? null : pick(s.revisedBy).id;
    return { ...s, agentOwner, revisionAuthor, pick };
  });

/** Start of step `step` (1-based) and its deadline, from the route alone. */
function window(approval: Approval, step: number): { start: number; end: number } {
  let start = Date.parse(approval.createdAt);
  for (let s = 1; s < step; s++) start += approval.route.steps[s - 1]?.timeout ?? Number.NaN;
  return { start, end: start + (approval.route.steps[step - 1]?.timeout ?? Number.NaN) };
}

function lastDeadline(approval: Approval): number {
  return window(approval, approval.route.steps.length).end;
}

interface Applied {
  readonly before: Approval;
  readonly after: Approval;
  readonly transitions: readonly Transition[];
  readonly now: Date;
  readonly refused: Result | null;
  /** The command let time pass on the approval (advance ran, inside castVote or before it). */
  readonly timeApplied: boolean;
}

/** The checks run after every command. */
function check(applied: Applied, people: ReadonlyMap<string, Voter>): void {
  const { before, after, transitions, now } = applied;
  const route = after.route;

  // A resolved approval never changes again.
  if (before.status !== 'pending') {
    assert.deepEqual(after, before, 'a resolved approval changed');
    assert.equal(transitions.length, 0, 'a resolved approval produced transitions');
    if (applied.refused !== null && !applied.refused.ok) {
      assert.ok(
        ['approval_closed', 'validation_failed'].includes(applied.refused.code),
        `a command on a closed approval was refused with ${applied.refused.code}`,
      );
    }
    return;
  }
  // Status moves only pending → terminal; the version moves on every transition and only then.
  if (transitions.length === 0) {
    assert.deepEqual(after, before, 'the approval changed without a transition');
  } else {
    assert.ok(after.version > before.version, `version ${before.version} → ${after.version}`);
  }
  assert.deepEqual(
    after.votes.slice(0, before.votes.length),
    [...before.votes],
    'a vote was changed or lost',
  );
  assert.ok(after.step >= before.step, 'the step went back');

  // Exactly one resolution, last, matching the status.
  const resolutions = transitions.filter((t) => t.kind === 'approval.resolved');
  assert.ok(resolutions.length <= 1, 'resolved twice in one command');
  const resolved = resolutions[0];
  if (resolved === undefined) {
    assert.equal(after.status, 'pending');
    assert.equal(after.resolvedAt, null);
  } else {
    assert.equal(transitions.at(-1), resolved, 'nothing follows the resolution');
    assert.equal(after.status, resolved.outcome);
    assert.equal(after.resolvedAt, now.toISOString());
  }

  // Escalations follow the graph one step at a time, each starting at the previous deadline.
  let step = before.step;
  for (const t of transitions) {
    if (t.kind !== 'approval.escalated') continue;
    assert.equal(t.fromStep, step);
    assert.equal(t.toStep, step + 1);
    assert.equal(t.dueAt, new Date(window(after, step).end).toISOString());
    assert.equal(t.deadline, new Date(window(after, step + 1).end).toISOString());
    assert.ok(Date.parse(t.dueAt) <= now.getTime(), 'escalated before the step was due');
    step += 1;
  }
  assert.equal(step, after.step);
  assert.equal(after.deadline, new Date(window(after, after.step).end).toISOString());

  // Invariant 4: a timeout resolves to the fallback, never to approval.
  if (resolved?.cause === 'timeout') {
    assert.equal(resolved.fallback, route.fallback);
    assert.equal(resolved.outcome, FALLBACK_OUTCOME[route.fallback]);
    assert.equal(after.step, route.steps.length, 'only the last step falls back');
    assert.ok(now.getTime() >= lastDeadline(after), 'fell back before the last deadline');
  }
  if (applied.timeApplied && after.status === 'pending') {
    assert.ok(now.getTime() < Date.parse(after.deadline), 'time was applied, yet the step is overdue');
  }
  if (after.status === 'approved') {
    assert.ok(now.getTime() < lastDeadline(after), 'approved after the last deadline passed');
    assert.notEqual(resolved?.cause, 'timeout');
  }
  if (resolved !== undefined && resolved.cause !== 'timeout') {
    assert.ok(now.getTime() < Date.parse(after.deadline), 'a vote resolved a step that had timed out');
  }

  // Invariant 8: a person counts once in a quorum (one vote per person per step: a later step, another
  // group's decision, may hear them again); every vote was cast at a step the voter could act on.
  const ballots = after.votes.map((v) => `${v.person}@${v.step}`);
  assert.equal(new Set(ballots).size, ballots.length, `someone voted twice at a step: ${ballots.join(', ')}`);
  for (const vote of after.votes) {
    const voter = people.get(vote.person);
    assert.ok(voter !== undefined, `vote by unknown ${vote.person}`);
    assert.notEqual(voter.role, 'viewer', `viewer ${voter.id} voted`);
    const group = route.steps[vote.step - 1]?.group ?? '';
    const member = isMember(voter, group);
    assert.ok(member || voter.role === 'admin', `${voter.id} voted at step ${vote.step} (${group})`);
    assert.equal(vote.override, !member, `override flag of ${voter.id}`);
    assert.equal(vote.requestHash, after.requestHash);
    const at = Date.parse(vote.at);
    const { start, end } = window(after, vote.step);
    assert.ok(at >= start && at < end, `${voter.id}'s vote at step ${vote.step} fell outside the step`);
    if (vote.verdict !== 'deny') {
      assert.notEqual(vote.person, after.agentId, 'the agent approved its own action');
      assert.notEqual(vote.person, after.revisionAuthor, 'the revision author approved');
      if (!after.ownerMayApprove) assert.notEqual(vote.person, after.agentOwner, 'the owner approved');
    }
    if (vote.verdict === 'deny') assert.ok((vote.comment ?? '').trim() !== '', 'a deny without reason');
    if (vote.verdict === 'revise') assert.ok((vote.comment ?? '').trim() !== '', 'a revision without reason');
  }

  // Invariant 2: approved means a quorum of distinct, eligible people approved this exact request at this step.
  if (after.status === 'approved') {
    const quorum = route.steps[after.step - 1]?.quorum ?? Number.POSITIVE_INFINITY;
    const approvals = after.votes.filter((v) => v.step === after.step && v.verdict === 'approve');
    assert.ok(approvals.length >= quorum, `approved with ${approvals.length} of ${quorum}`);
    assert.equal(new Set(approvals.map((v) => v.person)).size, approvals.length);
    assert.equal(approvalsAtStep(after.votes, after.step), approvals.length);
    assert.ok(approvals.every((v) => v.requestHash === after.requestHash));
    assert.ok(!after.votes.some((v) => v.verdict === 'deny'), 'approved despite a deny');
  }
  if (after.status === 'denied' && resolved?.cause === 'deny_vote') {
    assert.equal(after.votes.at(-1)?.verdict, 'deny');
  }
  if (after.status === 'revised') assert.equal(after.votes.at(-1)?.verdict, 'revise');
}

/** What the machine must never accept, whatever else holds; a refusal changes nothing (checked in `check`). */
function checkRefusal(c: Command, voter: Voter, current: Approval, result: Result): void {
  if (result.ok) {
    assert.equal(current.status, 'pending', 'a command on a closed approval was accepted');
    assert.notEqual(voter.role, 'viewer', 'a viewer acted');
    if (c.kind === 'vote') {
      if (c.hash === 'other') assert.fail('a vote on another request hash was accepted');
      if (c.verdict === 'deny') assert.ok((c.comment ?? '').trim() !== '', 'a deny without a reason');
    } else if (c.kind === 'revise') {
      assert.ok((c.comment ?? '').trim() !== '', 'a revision without a reason');
    }
    return;
  }
  if (voter.role === 'viewer' && current.status === 'pending' && c.kind === 'vote') {
    assert.equal(result.code, 'not_eligible', `a viewer was refused with ${result.code}`);
  }
}

describe('approval state machine: invariants 2, 4 and 8 under random routes, people and commands', () => {
  it('holds after every command', () => {
    let approved = 0;
    let timedOut = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const byId = new Map(s.people.map((p) => [p.id, p]));
        let now = START;
        let approval = openApproval({
          id: 'apv_1',
          actionId: 'act_1',
          agentId: AGENT_ID,
          agentOwner: s.agentOwner,
          requestHash: HASH,
          route: s.route,
          ownerMayApprove: s.ownerMayApprove,
          revisionAuthor: s.revisionAuthor,
          now,
        });
        for (const c of s.commands) {
          const before = approval;
          let transitions: Transition[] = [];
          let refused: Result | null = null;
          let timeApplied = true;
          if (c.kind === 'advance') {
            now = new Date(now.getTime() + c.ms);
            // Time alone moves nothing until something looks; sometimes look now (a timer tick).
            timeApplied = c.look;
            if (c.look) {
              const step = advance(approval, now);
              approval = step.approval;
              transitions = [...step.transitions];
            }
          } else {
            const voter = s.pick(c.who);
            let base = approval;
            if (c.kind === 'revise' || c.advanceFirst) {
              const timed = advance(approval, now);
              base = timed.approval;
              transitions = [...timed.transitions];
            }
            const result =
              c.kind === 'revise'
                ? reviseApproval(base, voter, c.comment, now)
                : castVote(
                    base,
                    voter,
                    {
                      verdict: c.verdict,
                      comment: c.comment,
                      requestHash: { correct: HASH, other: OTHER_HASH, none: undefined, null: null }[c.hash],
                    },
                    now,
                  );
            checkRefusal(c, voter, advance(base, now).approval, result);
            if (result.ok) {
              approval = result.approval;
              transitions = [...transitions, ...result.transitions];
            } else {
              approval = base;
              refused = result;
              // A refused castVote hands back no state: the time it applied is lost unless applied first.
              timeApplied = c.kind === 'revise' || c.advanceFirst;
            }
          }
          check({ before, after: approval, transitions, now, refused, timeApplied }, byId);
        }
        // Finally let all the time in the world pass: nothing pending remains, never approved by it.
        const later = new Date(Math.max(now.getTime(), lastDeadline(approval)) + 1);
        const end = advance(approval, later);
        const transitions = [...end.transitions];
        check(
          {
            before: approval,
            after: end.approval,
            transitions,
            now: later,
            refused: null,
            timeApplied: true,
          },
          byId,
        );
        assert.notEqual(end.approval.status, 'pending');
        if (approval.status === 'pending') assert.notEqual(end.approval.status, 'approved');
        if (end.approval.status === 'approved') approved++;
        if (end.transitions.some((t) => t.kind === 'approval.resolved' && t.cause === 'timeout')) timedOut++;
      }),
      RUNS,
    );
    // The properties are vacuous unless both corners are reached often enough.
    assert.ok(approved > 20, `only ${approved} runs ended approved`);
    assert.ok(timedOut > 20, `only ${timedOut} runs ended by timeout`);
  });

  it('an approval nobody answers falls back at its last deadline, never approved, however time passes', () => {
    fc.assert(
      fc.property(
        route,
        fc.array(fc.integer({ min: 0, max: 2 * 3_600_000 }), { maxLength: 12 }),
        (r, gaps) => {
          let approval = openApproval({
            id: 'apv_1',
            actionId: 'act_1',
            agentId: AGENT_ID,
            agentOwner: 'owner',
            requestHash: HASH,
            route: r,
            ownerMayApprove: false,
            revisionAuthor: null,
            now: START,
          });
          const end = lastDeadline(approval);
          let now = START.getTime();
          let resolutions = 0;
          for (const gap of [...gaps, end - START.getTime()]) {
            now += gap;
            const step = advance(approval, new Date(now));
            resolutions += step.transitions.filter((t) => t.kind === 'approval.resolved').length;
            approval = step.approval;
            if (now < end) assert.equal(approval.status, 'pending');
            else assert.equal(approval.status, FALLBACK_OUTCOME[r.fallback]);
          }
          assert.equal(resolutions, 1);
          assert.equal(approval.step, r.steps.length);
        },
      ),
      RUNS,
    );
  });
});
