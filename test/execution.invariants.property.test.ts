/**
 * Invariants 1 and 6 as properties over the real gateway and the sandbox fleet: deny wins (a deny
 * rule, a suspended or a frozen agent never reaches an executor), and an action executes at most
 * once whatever the interleaving of proposals, approvals, recovery and repeated claims.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type Fleet, startFleet } from '../sandbox/fleet.ts';
import { fleetTypes, SETTLED, settle, startFleetHarness } from './execution-helpers.ts';
import { type Harness, type Loose, restart } from './harness.ts';

const DENY_POLICY = `rules:
  - name: forbidden-restarts
    match: { types: [service.restart] }
    when: request.params.reason == "forbidden"
    effect: deny
    reason: This restart is forbidden.
`;

const SYSTEM = { kind: 'system', id: 'test' } as const;
const ALICE = { kind: 'person', id: 'alice' } as const;

describe('execution invariants (property-based, real gateway)', () => {
  let fleet: Fleet;
  let h: Harness;
  let bob: string;
  let run = 0;

  before(async () => {
    fleet = await startFleet();
    const types = fleetTypes(fleet.url);
    const executor = (types['service.restart'] as Loose).execution.executor;
    h = await startFleetHarness({
      fleet,
      // A short delay at the fleet keeps executions in flight long enough to race with.
      types: {
        'service.restart': {
          ...types['service.restart'],
          execution: { mode: 'gateway', executor: { ...executor, url: `${executor.url}?delayMs=15` } },
        },
      },
      policies: { 'deny.yaml': DENY_POLICY },
    });
    bob = await h.person('bob');
  });

  after(async () => {
    await h.close();
    await fleet.close();
  });

  const callsFor = (id: string) => fleet.calls.filter((c) => c.headers['x-airlock-action'] === id).length;

  async function newAgent(prefix: string, level: number): Promise<{ id: string; token: string }> {
    const id = `${prefix}-${++run}`;
    const token = (await h.airlock.agents.add({ id, owner: 'sre' }, SYSTEM)).token;
    if (level > 0) await h.grant(id, 'service.restart@staging', level);
    return { id, token };
  }

  it('1. deny wins: a deny rule, a suspended or a frozen agent never ends in an executor call', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          level: fc.integer({ min: 0, max: 3 }),
          deny: fc.boolean(),
          frozen: fc.boolean(),
          suspended: fc.boolean(),
        }),
        async ({ level, deny, frozen, suspended }) => {
          const agent = await newAgent('inv1', level);
          if (frozen) await h.airlock.freezes.freeze(ALICE, { agentId: agent.id, reason: 'property test' });
          if (suspended) await h.airlock.agents.setStatus(agent.id, 'suspended', ALICE, 'property test');
          const reason = deny ? 'forbidden' : 'memory leak after deploy';
          const proposed = await h.propose(
            agent.token,
            restart({ targets: [{ id: 'search' }], params: { reason } }),
          );
          assert.equal(proposed.status, 201, proposed.text);
          const done = await settle(h, agent.token, proposed.body.id, [...SETTLED, 'pending_approval']);
          const effect = done.decision.effect;
          const kinds = (done.decision.reasons as { kind: string }[]).map((r) => r.kind);

          if (deny || suspended) {
            assert.equal(effect, 'deny');
            assert.equal(done.status, 'denied');
            assert.ok(kinds.includes(suspended ? 'agent_suspended' : 'rule'), kinds.join(' '));
          } else if (frozen) {
            assert.equal(done.status, level === 0 ? 'advised' : 'pending_approval');
            if (level >= 2) assert.ok(kinds.includes('frozen'), kinds.join(' '));
          } else {
            // Level 3 in staging needs verification checks, which this restart has none of.
            const expected = ['advised', 'pending_approval', 'succeeded', 'pending_approval'][level];
            assert.equal(done.status, expected, JSON.stringify(done.decision.reasons));
          }
          const executes = !deny && !suspended && !frozen && level === 2;
          assert.equal(callsFor(done.id), executes ? 1 : 0);
          const path = (await h.airlock.store.auditForSubject(done.id)).map((e) => e.kind);
          assert.equal(path.includes('execution.started'), executes, path.join(' '));
        },
      ),
      { numRuns: 40 },
    );
  });

  type Op =
    | { kind: 'propose'; level: 1 | 2 }
    | { kind: 'approve'; pick: number }
    | { kind: 'cleared'; pick: number }
    | { kind: 'recover' }
    | { kind: 'startUnclaimed' };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('propose' as const), level: fc.constantFrom(1 as const, 2 as const) }),
    fc.record({ kind: fc.constant('approve' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('cleared' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('recover' as const) }),
    fc.record({ kind: fc.constant('startUnclaimed' as const) }),
  );

  it('6. at most once: whatever the interleaving, an action reaches the fleet and starts at most once', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        // Batches of operations; the operations of one batch run concurrently.
        fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
        async (batches) => {
          const agents = { 1: await newAgent('inv6-assisted', 1), 2: await newAgent('inv6-conditional', 2) };
          const actions: { id: string; token: string; approval: string | null }[] = [];
          const pick = (n: number) => (actions.length === 0 ? undefined : actions[n % actions.length]);

          const perform = async (step: Op): Promise<void> => {
            switch (step.kind) {
              case 'propose': {
                const { token } = agents[step.level];
                const proposed = await h.propose(token, restart({ targets: [{ id: 'payments' }] }));
                assert.equal(proposed.status, 201, proposed.text);
                actions.push({ id: proposed.body.id, token, approval: proposed.body.approval?.id ?? null });
                return;
              }
              case 'approve': {
                const target = pick(step.pick);
                if (target?.approval == null) return;
                const vote = await h.request('POST', `/v1/approvals/${target.approval}/decisions`, {
                  token: bob,
                  body: { verdict: 'approve' },
                });
                // Approving twice (or after the approval resolved) is refused, never a second run.
                assert.ok([200, 409].includes(vote.status), vote.text);
                return;
              }
              case 'cleared': {
                const target = pick(step.pick);
                if (target !== undefined) await h.airlock.executions.cleared(target.id);
                return;
              }
              case 'recover':
                await h.airlock.executions.recover();
                return;
              case 'startUnclaimed':
                await h.airlock.executions.startUnclaimed();
                return;
              default: {
                const never: never = step;
                throw new Error(`unknown op ${JSON.stringify(never)}`);
              }
            }
          };

          for (const batch of batches) await Promise.all(batch.map(perform));
          const wait = (a: (typeof actions)[number]) =>
            settle(h, a.token, a.id, [...SETTLED, 'pending_approval']);
          for (const action of actions) await wait(action);
          // Once more after everything has settled, as a restart would: nothing runs again.
          await h.airlock.executions.recover();
          for (const action of actions) await h.airlock.executions.cleared(action.id);

          for (const action of actions) {
            const done = await wait(action);
            const calls = callsFor(action.id);
            assert.ok(calls <= 1, `${action.id} reached the fleet ${calls} times`);
            const started = (await h.airlock.store.auditForSubject(action.id)).filter(
              (e) => e.kind === 'execution.started',
            ).length;
            assert.ok(started <= 1, `${action.id} started ${started} times`);
            seen.set(done.status, (seen.get(done.status) ?? 0) + 1);
            if (done.status === 'succeeded') assert.equal(calls, 1);
            if (done.status === 'pending_approval') assert.equal(calls + started, 0);
          }
        },
      ),
      { numRuns: 30 },
    );
    // The runs must have executed something, or the property says nothing.
    for (const status of ['succeeded', 'pending_approval'])
      assert.ok((seen.get(status) ?? 0) > 0, `no run ended ${status}: ${JSON.stringify([...seen])}`);
    // Nothing crashed, so recovery left this process's own runs alone (a crash is the kill test's).
    assert.equal(seen.get('unknown') ?? 0, 0, 'recover() marked a run of its own process unknown');
  });
});
