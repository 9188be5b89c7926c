/**
 * The ledger across processes and states: evidence recorded by another process (a CLI report)
 * reaches this process's calibration at the next decision, and a suspended agent's denied
 * attempts never count towards a burst of denials.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Airlock, createAirlock } from '../src/gateway/airlock.ts';
import { type Harness, restart, startHarness } from './harness.ts';

describe('the trust ledger across processes and agent states', () => {
  let h: Harness;
  let other: Airlock;

  before(async () => {
    h = await startHarness({
      files: {
        'airlock.yaml': (text) =>
          text
            .replace('  calibration:\n    minEvidence: 30', '  calibration:\n    minEvidence: 3')
            .replace(
              'deniedBurst: { count: 5, within: 1h, action: drop_one }',
              'deniedBurst: { count: 3, within: 1h, action: drop_one }',
            ),
      },
    });
    // A second process on the same database, as the CLI is.
    other = await createAirlock({
      configPath: h.configPath,
      clock: h.clock,
      executes: false,
      logLevel: 'silent',
    });
  });

  after(async () => {
    await other.close();
    await h.close();
  });

  it('evidence another process records is in the next decision’s calibration', async () => {
    const token = await h.agent('cal-bot');
    await h.grant('cal-bot', 'service.restart@staging', 1);
    const agent = await h.airlock.store.getAgent('cal-bot');
    assert.ok(agent !== null);
    const first = await h.propose(token, restart({ confidence: 0.9 }));
    assert.equal(first.status, 201, first.text);
    const before = await h.airlock.store.getAction(first.body.id);
    assert.ok(before !== null);
    assert.equal((before.facts as { calibration: { n: number } }).calibration.n, 0);

    // Three failed outcomes at 0.9, recorded by the other process.
    for (let i = 0; i < 3; i++) {
      const proposed = await h.propose(token, restart({ confidence: 0.9, params: { reason: `try ${i}` } }));
      const action = await other.store.getAction(proposed.body.id);
      assert.ok(action !== null);
      const at = h.clock.now().toISOString();
      await other.store.write((tx) =>
        other.ledger.record(tx, [{ action, kind: 'failed', by: 'airlock' }], at),
      );
    }

    const next = await h.propose(token, restart({ confidence: 0.9, params: { reason: 'again' } }));
    const facts = (await h.airlock.store.getAction(next.body.id))?.facts as {
      calibration: { n: number; calibrated: number | null };
    };
    assert.equal(facts.calibration.n, 3, 'the other process’s outcomes were read');
    assert.equal(facts.calibration.calibrated, 0, 'three failures at 0.9: calibrated to 0');
  });

  it('a suspended agent’s denied attempts are not a burst: its levels are intact when resumed', async () => {
    const token = await h.agent('paused-bot');
    await h.grant('paused-bot', 'service.restart@staging', 2);
    const alice = { kind: 'person' as const, id: 'alice' };
    await h.airlock.agents.setStatus('paused-bot', 'suspended', alice, 'investigating');
    for (let i = 0; i < 5; i++) {
      const proposed = await h.propose(token, restart({ params: { reason: `attempt ${i}` } }));
      assert.equal(proposed.body.decision.effect, 'deny', proposed.text);
    }
    await h.airlock.agents.setStatus('paused-bot', 'active', alice, 'fixed');
    const grants = await h.airlock.store.listGrants('paused-bot');
    assert.deepEqual(
      grants.map((g) => [g.typePattern, g.environment, g.level]),
      [['service.restart', 'staging', 2]],
    );
    const demoted = (await h.airlock.store.auditForSubject('paused-bot')).filter(
      (e) => e.kind === 'trust.demoted',
    );
    assert.deepEqual(demoted, []);
    const evidence = await h.airlock.store.listEvidence({
      agentId: 'paused-bot',
      kinds: ['denied_burst'],
      limit: 10,
    });
    assert.deepEqual(evidence, []);
  });

  it('an action cleared alone but not yet started waits for a human once its scope is demoted', async () => {
    await h.agent('waiting-bot');
    await h.grant('waiting-bot', 'service.restart@staging', 2);
    const agent = await other.store.getAgent('waiting-bot');
    assert.ok(agent !== null);
    // Decided in a process that does not execute: cleared, not yet claimed.
    const cleared = await other.proposals.propose(agent, restart({ params: { reason: 'cleared alone' } }));
    assert.equal(cleared.action.status, 'approved');
    assert.equal(cleared.action.decision.effect, 'execute');

    // Another of its actions is rolled back: the scope drops to level 1 before the claim.
    const failed = await other.proposals.propose(agent, restart({ params: { reason: 'will fail' } }));
    const at = h.clock.now().toISOString();
    const demotions = await other.store.write((tx) =>
      other.ledger.record(tx, [{ action: failed.action, kind: 'rolled_back', by: 'airlock' }], at),
    );
    assert.deepEqual(
      demotions.map((d) => [d.scope, d.from, d.to]),
      [['service.restart@staging', 2, 1]],
    );

    await h.airlock.executions.startUnclaimed();
    const held = await h.airlock.store.getAction(cleared.action.id);
    assert.equal(held?.status, 'pending_approval', 'held for a human, not run');
    const events = await h.airlock.store.auditForSubject(cleared.action.id);
    const heldEvent = events.find((e) => e.kind === 'execution.held');
    assert.match(JSON.parse(heldEvent?.data ?? '{}').reason, /demoted from level 2 to 1/);
    assert.ok(events.some((e) => e.kind === 'approval.opened'));
  });
});
