/**
 * The kill switch: freezes set over the API (admins only, audited, listed) turn a would-be
 * autonomous execution into an approval; calendar freezes from airlock.yaml do the same for their
 * environments and time; and the `freeze` / `unfreeze` command-line verbs.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Fleet, startFleet } from '../sandbox/fleet.ts';
import { assertFails, cli, cliJson, useCliProject } from './cli-helpers.ts';
import { settle, startFleetHarness } from './execution-helpers.ts';
import { type Harness, type Loose, restart } from './harness.ts';

const reasonsOf = (action: Loose): { kind: string; message: string }[] => action.decision.reasons;
/** Every audit event, with its data parsed. */
async function auditEvents(h: Harness): Promise<{ seq: number; kind: string; actor: Loose; data: Loose }[]> {
  const records = await h.airlock.store.auditRange(0, 100_000);
  return records.map((r) => ({ seq: r.seq, kind: r.kind, actor: r.actor, data: JSON.parse(r.data) }));
}
const callsFor = (fleet: Fleet, id: string) =>
  fleet.calls.filter((c) => c.headers['x-airlock-action'] === id);

describe('freezing over the API', () => {
  let fleet: Fleet;
  let h: Harness;
  let alice: string;
  let one: string;
  let two: string;

  before(async () => {
    fleet = await startFleet();
    h = await startFleetHarness({ fleet });
    alice = await h.person('alice');
    one = await h.agent('bot-one');
    two = await h.agent('bot-two');
    await h.grant('bot-one', 'service.restart@staging', 2);
    await h.grant('bot-two', 'service.restart@staging', 2);
  });

  after(async () => {
    await h.close();
    await fleet.close();
  });

  const freeze = (token: string, body: unknown) => h.request('POST', '/v1/freeze', { token, body });
  const unfreeze = (token: string, body: unknown = {}) => h.request('DELETE', '/v1/freeze', { token, body });

  it('only admins may freeze or unfreeze: bob, carol and agents get 403', async () => {
    for (const token of [await h.person('bob'), await h.person('carol'), one]) {
      const set = await freeze(token, { reason: 'not mine to stop' });
      assert.equal(set.status, 403, set.text);
      assert.equal(set.body.error.code, 'forbidden');
      const lift = await unfreeze(token);
      assert.equal(lift.status, 403, lift.text);
    }
    const listed = await h.request('GET', '/v1/freeze', { token: alice });
    assert.deepEqual(listed.body.freezes, [], 'nothing was frozen by the refused calls');
    const executes = await h.propose(one, restart({ targets: [{ id: 'search' }] }));
    assert.equal(executes.body.decision.effect, 'execute');
    await settle(h, one, executes.body.id);
  });

  it('a global freeze turns a would-be execution into an approval with a frozen reason; DELETE lifts it', async () => {
    const set = await freeze(alice, { reason: 'incident 4711 in progress' });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.body.scope, '*');
    assert.equal(set.body.frozenBy, 'alice');

    const listed = await h.request('GET', '/v1/freeze', { token: await h.person('carol') });
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      listed.body.freezes.map((f: Loose) => [f.scope, f.frozenBy, f.reason]),
      [['*', 'alice', 'incident 4711 in progress']],
    );

    for (const token of [one, two]) {
      const held = await h.propose(token, restart({ targets: [{ id: 'search' }] }));
      assert.equal(held.status, 201, held.text);
      assert.equal(held.body.decision.effect, 'escalate');
      assert.equal(held.body.status, 'pending_approval');
      assert.ok(held.body.approval?.id, 'an approval was opened');
      const frozen = reasonsOf(held.body).find((r) => r.kind === 'frozen');
      assert.ok(frozen, JSON.stringify(reasonsOf(held.body)));
      assert.deepEqual(callsFor(fleet, held.body.id), []);
    }

    const lifted = await unfreeze(alice, { reason: 'incident over' });
    assert.equal(lifted.status, 204, lifted.text);
    const again = await unfreeze(alice);
    assert.equal(again.status, 404, again.text);
    assert.equal(again.body.error.code, 'not_found');

    const runs = await h.propose(one, restart({ targets: [{ id: 'search' }] }));
    assert.equal(runs.body.decision.effect, 'execute');
    assert.equal((await settle(h, one, runs.body.id)).status, 'succeeded');
    assert.equal(callsFor(fleet, runs.body.id).length, 1);

    const events = await auditEvents(h);
    const set1 = events.find((e) => e.kind === 'freeze.set' && e.data.scope === 'global');
    assert.equal(set1?.actor.kind, 'person');
    assert.equal(set1?.actor.id, 'alice');
    assert.equal(set1?.data.reason, 'incident 4711 in progress');
    const lift1 = events.find((e) => e.kind === 'freeze.lifted' && e.data.scope === 'global');
    assert.equal(lift1?.actor.id, 'alice');
    assert.equal(lift1?.data.reason, 'incident over');
    assert.ok((set1?.seq ?? 0) < (lift1?.seq ?? 0));
  });

  it('freezing one agent leaves the others executing', async () => {
    const set = await freeze(alice, { agent: 'bot-one', reason: 'bot-one misbehaves' });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.body.scope, 'bot-one');
    const unknownAgent = await freeze(alice, { agent: 'no-such-bot', reason: 'typo' });
    assert.equal(unknownAgent.status, 404, unknownAgent.text);

    const held = await h.propose(one, restart({ targets: [{ id: 'payments' }] }));
    assert.equal(held.body.decision.effect, 'escalate');
    assert.ok(reasonsOf(held.body).some((r) => r.kind === 'frozen'));
    const runs = await h.propose(two, restart({ targets: [{ id: 'payments' }] }));
    assert.equal(runs.body.decision.effect, 'execute');
    assert.equal((await settle(h, two, runs.body.id)).status, 'succeeded');
    assert.deepEqual(callsFor(fleet, held.body.id), []);

    assert.equal((await unfreeze(alice, { agent: 'bot-two' })).status, 404, 'bot-two was not frozen');
    assert.equal((await unfreeze(alice, { agent: 'bot-one' })).status, 204);
    const events = await auditEvents(h);
    const kinds = events.filter((e) => e.data.agent === 'bot-one').map((e) => [e.kind, e.actor.id]);
    assert.deepEqual(kinds, [
      ['freeze.set', 'alice'],
      ['freeze.lifted', 'alice'],
    ]);
  });
});

describe('calendar freezes from airlock.yaml', () => {
  let fleet: Fleet;
  let h: Harness;
  let bot: string;

  before(async () => {
    fleet = await startFleet();
    const freezes = `
freezes:
  - { from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z", reason: "an old freeze" }
  - { from: "2026-11-24T09:00:00Z", to: "2026-11-24T11:00:00Z", environments: [staging], reason: "staging release freeze" }
  - { from: "2026-11-24T12:00:00Z", to: "2026-11-24T13:00:00Z", environments: [production], reason: "prod only" }
`;
    h = await startFleetHarness({ fleet, files: { 'airlock.yaml': (original) => original + freezes } });
    bot = await h.agent('cal-bot');
    await h.grant('cal-bot', 'service.restart@staging', 2);
  });

  after(async () => {
    await h.close();
    await fleet.close();
  });

  it('escalates staging inside its window, and executes once the window is over or covers only production', async () => {
    const held = await h.propose(bot, restart({ targets: [{ id: 'search' }] }));
    assert.equal(held.body.decision.effect, 'escalate');
    assert.equal(held.body.status, 'pending_approval');
    assert.ok(
      reasonsOf(held.body).some((r) => r.kind === 'frozen'),
      JSON.stringify(reasonsOf(held.body)),
    );
    assert.deepEqual(callsFor(fleet, held.body.id), []);

    const listed = await h.request('GET', '/v1/freeze', { token: await h.person('carol') });
    assert.deepEqual(
      listed.body.calendar.map((c: Loose) => c.reason),
      ['an old freeze', 'staging release freeze', 'prod only'],
    );

    h.clock.set('2026-11-24T12:30:00Z');
    const runs = await h.propose(bot, restart({ targets: [{ id: 'search' }] }));
    assert.equal(runs.body.decision.effect, 'execute', JSON.stringify(reasonsOf(runs.body)));
    assert.equal((await settle(h, bot, runs.body.id)).status, 'succeeded');
    assert.equal(callsFor(fleet, runs.body.id).length, 1);
  });
});

describe('airlock freeze / unfreeze', () => {
  let cfg: string;
  useCliProject((configPath) => {
    cfg = configPath;
  });

  it('alice freezes, lists and unfreezes; bob is refused with a one-line reason', async () => {
    const refused = await cli('freeze', '--reason', 'stop it', '--as', 'bob', '--config', cfg);
    assertFails(refused, 1, /only admins may freeze or unfreeze; bob is approver/);
    assert.equal(refused.err.filter((line) => line !== '').length, 1);

    const frozen = await cliJson('freeze', '--reason', 'database failover', '--as', 'alice', '--config', cfg);
    assert.equal(frozen.scope, '*');
    assert.equal(frozen.frozenBy, 'alice');
    const listed = await cliJson('freeze', '--list', '--config', cfg);
    assert.deepEqual(
      listed.freezes.map((f: Loose) => [f.scope, f.frozenBy, f.reason]),
      [['*', 'alice', 'database failover']],
    );

    assertFails(await cli('unfreeze', '--as', 'bob', '--config', cfg), 1, /only admins/);
    const lifted = await cli('unfreeze', '--reason', 'failover done', '--as', 'alice', '--config', cfg);
    assert.equal(lifted.code, 0, lifted.err.join('\n'));
    assert.deepEqual(lifted.out, ['unfrozen: every agent']);
    assert.deepEqual((await cliJson('freeze', '--list', '--config', cfg)).freezes, []);
    const twice = await cli('unfreeze', '--as', 'alice', '--config', cfg);
    assert.notEqual(twice.code, 0);
    assert.match(twice.err[0] ?? '', /not frozen globally/);
  });
});
