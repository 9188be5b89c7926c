/**
 * Invariants 2 (approval part), 4 and 8 end to end (fast-check, fewer runs): a level-1 agent
 * proposes, then random time passes, random people (a viewer and the agent's own token among
 * them) vote over HTTP and the deadline sweep runs; the outcome is checked from the API and from
 * the audit chain of a real SQLite store.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { AuditRecord } from '../src/audit/audit-event.ts';
import { MINUTE, QUICKSTART_OWNERS, routesYaml } from './approval-helpers.ts';
import { type Harness, type Loose, restart, startHarness } from './harness.ts';

const OTHER_HASH = 'c'.repeat(64);

/** The quickstart routes, plus owners picking each of them, and one with two steps of quorum 2. */
const ROUTES = routesYaml({
  owners: { ...QUICKSTART_OWNERS, pairs: 'two-person', mixed: 'any-two-then-platform' },
  routes: `
  - name: any-two-then-platform
    steps:
      - { group: "*", quorum: 2, timeout: 10m }
      - { group: platform, quorum: 2, timeout: 10m }
    fallback: expire
`,
});

/** Agent owners: groups (as the CLI suggests) and people (so that the owner rule has someone to stop). */
const OWNERS = ['sre', 'platform', 'pairs', 'mixed', 'bob', 'dave'] as const;
const PEOPLE = ['alice', 'bob', 'carol', 'dave'] as const;
const FALLBACK_STATUS = { deny: 'denied', expire: 'expired' } as const;

type Command =
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'sweep' }
  | {
      readonly kind: 'vote';
      /** A person of the quickstart, or the proposing agent's own token. */
      readonly who: (typeof PEOPLE)[number] | 'agent';
      readonly verdict: 'approve' | 'deny';
      readonly comment: string | undefined;
      readonly hash: 'correct' | 'other' | 'none';
    };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 5 * MINUTE }), fc.integer({ min: 0, max: 40 * MINUTE })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('vote' as const),
      who: fc.constantFrom(...PEOPLE, 'agent' as const),
      verdict: fc.oneof(
        { weight: 4, arbitrary: fc.constant('approve' as const) },
        { weight: 1, arbitrary: fc.constant('deny' as const) },
      ),
      comment: fc.constantFrom(undefined, 'fine by me', 'not during the incident'),
      hash: fc.constantFrom('correct' as const, 'correct' as const, 'other' as const, 'none' as const),
    }),
  },
);

interface Event {
  readonly seq: number;
  readonly at: string;
  readonly kind: string;
  readonly actor: AuditRecord['actor'];
  // biome-ignore lint/suspicious/noExplicitAny: audit data is checked field by field
  readonly data: any;
}

describe('approvals end to end: invariants 2, 4 and 8 under random votes, time and sweeps', () => {
  let h: Harness;
  const tokens = new Map<string, string>();
  const agentTokens = new Map<string, string>();

  before(async () => {
    h = await startHarness({ files: { 'routes.yaml': ROUTES } });
    for (const id of PEOPLE) tokens.set(id, await h.person(id));
    for (const owner of OWNERS) {
      const agent = `bot-${owner}`;
      agentTokens.set(owner, await h.agent(agent, owner));
      await h.grant(agent, 'service.restart@staging', 1);
    }
  });

  after(async () => {
    await h?.close();
  });

  it('approved only by a quorum of eligible people on the exact request; timeouts fall back; resolved once', async () => {
    const alice = tokens.get('alice') ?? '';
    let run = 0;
    const outcomes: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...OWNERS),
        fc.array(command, { minLength: 1, maxLength: 14 }),
        async (owner, commands) => {
          run += 1;
          const agentToken = agentTokens.get(owner) ?? '';
          const proposed = await h.propose(
            agentToken,
            restart({ params: { reason: `property run ${run}` }, targets: [{ id: `api-${run}` }] }),
          );
          assert.equal(proposed.status, 201, proposed.text);
          const action = proposed.body as Loose;
          assert.equal(action.status, 'pending_approval');
          assert.equal(action.decision.trustLevel, 1);
          const stored = await h.airlock.store.getAction(action.id);
          assert.ok(stored !== null);
          const requestHash: string = action.approval.requestHash;
          assert.equal(requestHash, stored.requestHash, 'the approval is for the action as stored');
          const route = action.approval.route as { fallback: 'deny' | 'expire'; steps: { quorum: number }[] };

          let accepted = 0;
          for (const c of commands) {
            if (c.kind === 'advance') h.clock.advance(c.ms);
            else if (c.kind === 'sweep') await h.airlock.approvals.resolveDue();
            else {
              const token = c.who === 'agent' ? agentToken : (tokens.get(c.who) ?? '');
              const body: Record<string, unknown> = { verdict: c.verdict };
              if (c.comment !== undefined) body.comment = c.comment;
              if (c.hash !== 'none') body.requestHash = c.hash === 'correct' ? requestHash : OTHER_HASH;
              const response = await h.request('POST', `/v1/approvals/${action.id}/decisions`, {
                token,
                body,
              });
              assert.ok([200, 403, 409, 422].includes(response.status), response.text);
              if (response.status === 200) {
                accepted += 1;
                assert.notEqual(c.who, 'carol', 'a viewer voted');
                assert.notEqual(c.who, 'agent', 'an agent voted as a person');
                assert.notEqual(c.hash, 'other', 'a vote on another request was accepted');
                if (c.verdict === 'approve') assert.notEqual(c.who, owner, 'the owner approved');
              }
              if (c.who === 'agent') assert.equal(response.status, 403, response.text);
              if (c.who === 'carol') assert.ok([403, 409, 422].includes(response.status), response.text);
            }
          }
          // Then let every deadline pass: whatever is still pending must fall back, never approve.
          const beforeEnd = (await h.request('GET', `/v1/actions/${action.id}`, { token: alice })).body;
          h.clock.advance(3 * 60 * MINUTE);
          await h.airlock.approvals.resolveDue();

          const view = await h.request('GET', `/v1/actions/${action.id}`, { token: alice });
          assert.equal(view.status, 200, view.text);
          const status: string = view.body.status;
          const approval = view.body.approval;
          assert.notEqual(status, 'pending_approval', 'still pending after every deadline passed');
          if (beforeEnd.status === 'pending_approval') assert.notEqual(status, 'approved');

          const events: Event[] = (await h.airlock.store.auditForSubject(action.id)).map((r) => ({
            seq: r.seq,
            at: r.at,
            kind: r.kind,
            actor: r.actor,
            data: JSON.parse(r.data),
          }));
          const opened = events.filter((e) => e.kind === 'approval.opened');
          const votes = events.filter((e) => e.kind === 'approval.voted');
          const escalations = events.filter((e) => e.kind === 'approval.escalated');
          const resolutions = events.filter((e) => e.kind === 'approval.resolved');
          assert.equal(opened.length, 1);
          assert.equal(opened[0]?.data.requestHash, requestHash);
          assert.equal(resolutions.length, 1, `resolved ${resolutions.length} times`);
          const resolved = resolutions[0];
          const outcome = `${status} (${resolved?.data.cause})`;
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
          assert.equal(resolved?.data.status, status);
          // After it resolves, only its execution may follow: a permit when approved, nothing else.
          const after = events
            .slice(events.indexOf(resolved as (typeof events)[number]) + 1)
            .map((e) => e.kind);
          assert.deepEqual(
            after,
            status === 'approved' ? ['permit.issued'] : [],
            'nothing else follows the resolution',
          );

          // Every accepted vote is in the chain (and nothing else is), by a person, once each.
          assert.equal(votes.length, accepted, 'accepted votes and approval.voted events differ');
          assert.equal(approval.votes.length, votes.length);
          // A person counts once in a quorum: one vote per person per step.
          const ballots = votes.map((v) => `${v.actor.id}@${v.data.step}`);
          assert.equal(new Set(ballots).size, ballots.length, `voted twice at a step: ${ballots.join(', ')}`);
          // Each vote landed on a step that had not timed out yet.
          const deadlines = new Map<number, string>([[1, opened[0]?.data.deadline]]);
          for (const e of escalations) deadlines.set(e.data.toStep, e.data.deadline);
          for (const v of votes) {
            assert.equal(v.actor.kind, 'person');
            assert.notEqual(v.actor.id, 'carol');
            assert.equal(v.data.requestHash, requestHash);
            if (v.data.verdict === 'approve') assert.notEqual(v.actor.id, owner, 'the owner approved');
            const due = deadlines.get(v.data.step);
            assert.ok(due !== undefined, `vote at step ${v.data.step}, which was never reached`);
            assert.ok(Date.parse(v.at) < Date.parse(due), `vote at ${v.at} on a step due at ${due}`);
          }

          // Invariant 4: a timeout falls back, never approves.
          if (resolved?.data.cause === 'timeout') {
            assert.equal(resolved.data.fallback, route.fallback);
            assert.equal(status, FALLBACK_STATUS[route.fallback]);
            assert.equal(approval.step, route.steps.length, 'only the last step falls back');
          }
          // Invariant 2: approved ⇒ a quorum of distinct people approved this exact request at the final step.
          if (status === 'approved') {
            assert.equal(resolved?.data.cause, 'quorum');
            assert.ok(!resolutions.some((e) => e.data.cause === 'timeout'));
            const quorum = route.steps[approval.step - 1]?.quorum ?? Number.POSITIVE_INFINITY;
            const approvals = votes.filter(
              (v) =>
                v.data.verdict === 'approve' &&
                v.data.step === approval.step &&
                v.data.requestHash === requestHash,
            );
            const people = new Set(approvals.map((v) => v.actor.id));
            assert.ok(people.size >= quorum, `approved by ${[...people].join(', ')}; quorum ${quorum}`);
            assert.ok(!votes.some((v) => v.data.verdict === 'deny'), 'approved despite a deny');
          }
          if (status === 'denied' && resolved?.data.cause === 'deny_vote') {
            assert.equal(votes.at(-1)?.data.verdict, 'deny');
          }
        },
      ),
      { numRuns: 40 },
    );

    const verify = await h.request('GET', '/v1/audit/verify', { token: alice });
    assert.equal(verify.status, 200, verify.text);
    assert.equal(verify.body.ok, true, verify.text);
    // Not vacuous: some runs end approved, some by a fallback.
    const seen = Object.keys(outcomes);
    assert.ok(seen.includes('approved (quorum)'), JSON.stringify(outcomes));
    assert.ok(
      seen.some((o) => o.endsWith('(timeout)')),
      JSON.stringify(outcomes),
    );
  });
});
