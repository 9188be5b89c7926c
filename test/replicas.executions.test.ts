/**
 * Executions between replicas (two gateways on one database; on PostgreSQL too with
 * `AIRLOCK_TEST_STORAGE=postgres`): a replica that starts or sweeps while another executes
 * leaves that execution alone, since its owner is alive; a replica that leaves cleanly hands what
 * it left to the others at once; one that stops beating hands it over after `replicaTimeout`.
 */

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type Fleet, startFleet } from '../sandbox/fleet.ts';
import { type Airlock, createAirlock } from '../src/gateway/airlock.ts';
import { isOrphaned } from '../src/gateway/execution-service.ts';
import { fleetTypes, pathKinds, settle, startFleetHarness } from './execution-helpers.ts';
import { type Harness, ManualClock, restart } from './harness.ts';
import { until } from './policy-reload-helpers.ts';
import { executionRecord } from './store-fixtures.ts';

/** Replicas compare heartbeats with their own clocks: both read the wall clock here. */
class WallClock extends ManualClock {
  override now(): Date {
    return new Date();
  }
}
const wallClock = new WallClock();

describe('executions between replicas', () => {
  let fleet: Fleet;
  let h: Harness;
  let other: Airlock | null = null;

  before(async () => {
    fleet = await startFleet();
    const types = fleetTypes(fleet.url);
    const slow = types['service.restart'] as { execution: { executor: Record<string, unknown> } };
    h = await startFleetHarness({
      fleet,
      background: true,
      clock: wallClock,
      files: { 'airlock.yaml': (text) => text.replace('storage:\n', 'storage:\n  replicaTimeout: 600ms\n') },
      types: {
        'service.restart': {
          ...slow,
          execution: {
            ...slow.execution,
            executor: {
              ...slow.execution.executor,
              url: `${fleet.url}/services/{{target.id}}/restart?delayMs=1500`,
            },
          },
        },
      },
    });
  });

  after(async () => {
    await other?.close();
    await h.close();
    await fleet.close();
    await rm(h.dir, { recursive: true, force: true });
  });

  it('a replica starting and sweeping while another executes leaves the execution to its owner', async () => {
    const agent = await h.agent('exec-bot');
    await h.grant('exec-bot', 'service.restart@staging', 2);
    const proposed = await h.propose(agent, restart({ targets: [{ id: 'search' }] }));
    assert.equal(proposed.body.decision.effect, 'execute', proposed.text);
    await until('the fleet to get the restart', () => (fleet.calls.length > 0 ? true : undefined));

    // Another replica starts (recovering on start) and sweeps a few times while the call runs.
    other = await createAirlock({ configPath: h.configPath, logLevel: 'silent' });
    await other.startBackground();
    const done = await settle(h, agent, proposed.body.id);
    assert.equal(done.status, 'succeeded', pathKinds(done).join(' '));
    assert.ok(!pathKinds(done).includes('execution.interrupted'));
    assert.equal(fleet.calls.length, 1);
    const execution = await h.airlock.store.getExecution(proposed.body.id);
    assert.ok(execution?.owner?.startsWith('rep_'), JSON.stringify(execution));
    const replicas = await h.airlock.store.listReplicas();
    assert.equal(replicas.length, 2, 'both replicas beat');
    assert.ok(replicas.some((r) => r.id === execution?.owner));
  });

  it('a replica that leaves cleanly is gone from the record at once', async () => {
    assert.ok(other !== null);
    await other.close();
    other = null;
    assert.equal((await h.airlock.store.listReplicas()).length, 1);
  });

  it('owners are gone when unrecorded, left or silent for longer than the timeout; never oneself', () => {
    const now = new Date('2026-11-24T12:00:10.000Z');
    const beat = (id: string, at: string) => ({ id, startedAt: '2026-11-24T12:00:00.000Z', heartbeatAt: at });
    const replicas = [beat('rep_a', '2026-11-24T12:00:09.500Z'), beat('rep_b', '2026-11-24T12:00:08.000Z')];
    const owned = (owner: string | null) => executionRecord('act_1', { owner });
    assert.equal(isOrphaned(owned('rep_a'), replicas, 'rep_self', now, 1_000), false, 'beat 0.5 s ago');
    assert.equal(isOrphaned(owned('rep_b'), replicas, 'rep_self', now, 1_000), true, 'silent for 2 s');
    assert.equal(
      isOrphaned(owned('rep_b'), replicas, 'rep_self', now, 5_000),
      false,
      'within a longer timeout',
    );
    assert.equal(isOrphaned(owned('rep_gone'), replicas, 'rep_self', now, 1_000), true, 'left');
    assert.equal(isOrphaned(owned(null), replicas, 'rep_self', now, 1_000), true, 'from before replicas');
    assert.equal(isOrphaned(owned('rep_self'), [], 'rep_self', now, 1_000), false, 'never its own');
  });
});
