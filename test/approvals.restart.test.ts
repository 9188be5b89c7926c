/**
 * Durable approval deadlines on a real `airlock serve` process (invariant 4 across crashes):
 * approvals whose whole route became overdue while the server was down (SIGKILL, or a clean
 * SIGTERM) are resolved exactly once on start-up, before the port opens, to the route's fallback;
 * approvals with time left survive untouched and can still be voted on; a recorded approval keeps
 * its votes. Also the live event stream (GET /v1/events): votes arrive as server-sent events, and
 * `Last-Event-ID` replays what came after a sequence number, across a restart.
 */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createAirlock } from '../src/gateway/airlock.ts';
import { routesYaml } from './approval-helpers.ts';
import { type Loose, makeProject, restart } from './harness.ts';
import { BIN, call, EventStream, killAll, type Server, serve } from './serve-process.ts';

const run = promisify(execFile);

/** `quick`: two steps of 2 s, then deny (the default route). `slow-review`: an hour (owner `slow`). */
const ROUTES = routesYaml({
  defaultRoute: 'quick',
  owners: { slow: 'slow-review' },
  routes: `
  - name: quick
    steps:
      - { group: sre, quorum: 1, timeout: 2s }
      - { group: platform, quorum: 1, timeout: 2s }
    fallback: deny
  - name: slow-review
    steps:
      - { group: sre, quorum: 1, timeout: 1h }
    fallback: expire
`,
});

/** The quick route's whole graph: step 1 and step 2. */
const QUICK_GRAPH_MS = 4_000;

describe('approval deadlines across restarts of a real server process', () => {
  let dir: string;
  let configPath: string;
  const streams: EventStream[] = [];

  before(async () => {
    ({ dir, configPath } = await makeProject({ 'routes.yaml': ROUTES }));
  });

  after(async () => {
    for (const stream of streams) stream.close();
    await killAll();
    await rm(dir, { recursive: true, force: true });
  });

  /** Run the CLI as its own process; it must succeed and print JSON. */
  async function cli(...args: string[]): Promise<Loose> {
    const { stdout } = await run(BIN, [...args, '--json', '--config', configPath], { timeout: 60_000 });
    return JSON.parse(stdout);
  }

  it('resolves overdue approvals exactly once on start-up (after SIGKILL and after SIGTERM), keeps the rest', async () => {
    // Set up with the CLI, each command its own process.
    const quick = await cli('agents', 'add', 'quick-bot', '--owner', 'sre');
    const slow = await cli('agents', 'add', 'slow-bot', '--owner', 'slow');
    for (const agent of ['quick-bot', 'slow-bot']) {
      const set = await cli(
        'trust',
        'set',
        agent,
        'service.restart@staging',
        '--level',
        '1',
        '--override',
        '--reason',
        'x',
        '--as',
        'alice',
      );
      assert.equal(set.to, 1);
    }
    const people: Record<string, string> = {};
    for (const id of ['alice', 'bob', 'dave']) {
      const issued = await cli('people', 'token', id, '--as', 'alice');
      assert.equal(issued.person, id);
      people[id] = issued.token;
    }
    const alice = people.alice ?? '';
    const bob = people.bob ?? '';
    const dave = people.dave ?? '';

    let proposals = 0;
    const propose = async (server: Server, token: string, route: string) => {
      proposals += 1;
      const body = restart({
        targets: [{ id: `api-${proposals}` }],
        params: { reason: `restart ${proposals}` },
      });
      const response = await call(server, 'POST', '/v1/actions', token, body);
      assert.equal(response.status, 201, response.text);
      assert.equal(response.body.status, 'pending_approval');
      assert.equal(response.body.approval.route.name, route);
      return response.body as Loose;
    };
    const status = async (server: Server, id: string) => {
      const response = await call(server, 'GET', `/v1/actions/${id}`, alice);
      assert.equal(response.status, 200, response.text);
      return response.body as Loose;
    };
    const approve = async (server: Server, action: Loose, token: string) => {
      const response = await call(server, 'POST', `/v1/approvals/${action.id}/decisions`, token, {
        verdict: 'approve',
        requestHash: action.approval.requestHash,
      });
      assert.equal(response.status, 200, response.text);
      return response.body.approval as Loose;
    };
    const overdueMoved = (server: Server) =>
      server.lines.filter((l) => l.event === 'approvals.overdue').reduce((n, l) => n + Number(l.moved), 0);
    /** Start-up moved the overdue approvals before the server listened (its log lines are in order). */
    const movedBeforeListening = (server: Server, atLeast: number) => {
      const log = JSON.stringify(server.lines);
      assert.ok(overdueMoved(server) >= atLeast, log);
      const moved = server.lines.findIndex((l) => l.event === 'approvals.overdue');
      const listening = server.lines.findIndex((l) => /listening/i.test(String(l.msg)));
      assert.ok(moved >= 0 && listening > moved, `moved only after the port opened: ${log}`);
    };

    // --- First run: three approvals on each route; one slow one approved, watched as live events.
    const first = await serve(configPath);
    const slowOnes = [
      await propose(first, slow.token, 'slow-review'),
      await propose(first, slow.token, 'slow-review'),
      await propose(first, slow.token, 'slow-review'),
    ];
    const stream = await EventStream.open(first.url, alice);
    streams.push(stream);
    const approved = await approve(first, slowOnes[0], bob);
    assert.equal(approved.status, 'approved');
    const about = (kind: string) => (s: EventStream) =>
      s.events.some((e) => e.event === kind && e.data.subject === slowOnes[0].id);
    await stream.readUntil(
      'approval.voted and approval.resolved',
      (s) => about('approval.voted')(s) && about('approval.resolved')(s),
    );
    const voted = stream.events.find(
      (e) => e.event === 'approval.voted' && e.data.subject === slowOnes[0].id,
    );
    const resolvedLive = stream.events.find(
      (e) => e.event === 'approval.resolved' && e.data.subject === slowOnes[0].id,
    );
    assert.ok(voted !== undefined && resolvedLive !== undefined);
    assert.equal(voted.id, voted.data.seq);
    assert.equal(voted.data.kind, 'approval.voted');
    assert.deepEqual(voted.data.actor, { kind: 'person', id: 'bob' });
    assert.equal(voted.data.data.verdict, 'approve');
    assert.equal(voted.data.data.requestHash, slowOnes[0].approval.requestHash);
    assert.equal(resolvedLive.data.data.outcome, 'approved');
    assert.equal(resolvedLive.data.data.cause, 'quorum');
    assert.ok(resolvedLive.id > voted.id);
    const ids = stream.events.map((e) => e.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
      'events arrive in chain order',
    );
    stream.close();

    const quickOnes = [
      await propose(first, quick.token, 'quick'),
      await propose(first, quick.token, 'quick'),
      await propose(first, quick.token, 'quick'),
    ];
    // A crash.
    first.child.kill('SIGKILL');
    const [, signal] = await first.exited;
    assert.equal(signal, 'SIGKILL');
    const crashedAt = Date.now();
    const quickFrom = Date.parse(quickOnes[0].createdAt);
    const quickTo = Date.parse(quickOnes[2].createdAt);

    // Let the quick route's whole graph become overdue while nothing runs.
    while (Date.now() < quickTo + QUICK_GRAPH_MS + 500) await new Promise((r) => setTimeout(r, 100));

    // --- Second run: the overdue ones are denied before the port opens; the slow ones are intact.
    const second = await serve(configPath);
    for (const action of quickOnes) {
      const view = await status(second, action.id);
      assert.equal(view.status, 'denied', `${action.id} after the crash: ${view.status}`);
      assert.equal(view.approval.status, 'denied');
      assert.equal(view.approval.step, 2);
    }
    // All three were still pending when the server died, so start-up moved them (not a later tick).
    if (crashedAt < quickFrom + QUICK_GRAPH_MS) movedBeforeListening(second, 3);

    const kept = await status(second, slowOnes[0].id);
    assert.equal(kept.status, 'approved');
    assert.deepEqual(
      kept.approval.votes.map((v: Loose) => [v.person, v.verdict, v.step, v.requestHash]),
      [['bob', 'approve', 1, slowOnes[0].approval.requestHash]],
    );
    for (const action of slowOnes.slice(1)) {
      const view = await status(second, action.id);
      assert.equal(view.status, 'pending_approval', 'nothing is lost in a crash');
      assert.equal(view.approval.step, 1);
      assert.equal(view.approval.deadline, action.approval.deadline, 'the deadline did not move');
      assert.deepEqual(view.approval.votes, []);
    }
    assert.equal((await approve(second, slowOnes[1], dave)).status, 'approved');
    assert.equal((await status(second, slowOnes[1].id)).status, 'approved');

    // Resume the stream where a client left off: the chain after that sequence number, across the crash.
    const resumed = await EventStream.open(second.url, alice, { 'last-event-id': String(voted.id - 1) });
    streams.push(resumed);
    await resumed.readUntil('the replay of the vote and its outcome', (s) =>
      s.events.some((e) => e.id === resolvedLive.id),
    );
    assert.equal(resumed.events[0]?.id, voted.id, 'the replay starts right after Last-Event-ID');
    assert.deepEqual(resumed.events[0]?.data, voted.data);
    assert.deepEqual(resumed.events.find((e) => e.id === resolvedLive.id)?.data, resolvedLive.data);
    resumed.close();

    // --- A clean stop with quick approvals pending, then a start after their graph is overdue.
    const pendingAtStop = [
      await propose(second, quick.token, 'quick'),
      await propose(second, quick.token, 'quick'),
    ];
    second.child.kill('SIGTERM');
    const [code] = await second.exited;
    assert.equal(code, 0);
    const stoppedAt = Date.now();
    const stopFrom = Date.parse(pendingAtStop[0].createdAt);
    const stopTo = Date.parse(pendingAtStop[1].createdAt);
    while (Date.now() < stopTo + QUICK_GRAPH_MS + 500) await new Promise((r) => setTimeout(r, 100));

    const third = await serve(configPath);
    for (const action of [...quickOnes, ...pendingAtStop]) {
      assert.equal((await status(third, action.id)).status, 'denied');
    }
    if (stoppedAt < stopFrom + QUICK_GRAPH_MS) movedBeforeListening(third, 2);
    assert.equal(overdueMoved(third) <= 2, true, 'nothing resolved twice');
    assert.equal((await status(third, slowOnes[0].id)).status, 'approved');
    assert.equal((await status(third, slowOnes[1].id)).status, 'approved');
    assert.equal((await status(third, slowOnes[2].id)).status, 'pending_approval');
    const verify = await call(third, 'GET', '/v1/audit/verify', alice);
    assert.equal(verify.status, 200, verify.text);
    assert.equal(verify.body.ok, true, verify.text);
    third.child.kill('SIGTERM');
    assert.equal((await third.exited)[0], 0);

    // --- The record, read from the database once every server is gone.
    const report = await cli('audit', 'verify');
    assert.equal(report.ok, true, JSON.stringify(report));
    const airlock = await createAirlock({ configPath, logLevel: 'silent' });
    try {
      const chain = async (id: string) =>
        (await airlock.store.auditForSubject(id))
          .filter((e) => e.kind.startsWith('approval.'))
          .map((e) => ({
            seq: e.seq,
            at: e.at,
            kind: e.kind,
            actor: e.actor,
            data: JSON.parse(e.data) as Loose,
          }));

      for (const action of [...quickOnes, ...pendingAtStop]) {
        const events = await chain(action.id);
        assert.deepEqual(
          events.map((e) => e.kind),
          ['approval.opened', 'approval.escalated', 'approval.resolved'],
          `${action.id}: ${JSON.stringify(events)}`,
        );
        const [opened, escalated, resolved] = events;
        assert.equal(escalated?.data.fromStep, 1);
        assert.equal(escalated?.data.toStep, 2);
        assert.equal(escalated?.data.group, 'platform');
        assert.equal(escalated?.data.dueAt, opened?.data.deadline, 'step 2 starts when step 1 was due');
        assert.equal(Date.parse(escalated?.data.deadline) - Date.parse(escalated?.data.dueAt), 2_000);
        assert.deepEqual(escalated?.actor, { kind: 'system', id: 'airlock' });
        assert.equal(resolved?.data.cause, 'timeout');
        assert.equal(resolved?.data.fallback, 'deny');
        assert.equal(resolved?.data.outcome, 'denied');
        assert.equal(resolved?.data.status, 'denied');
        assert.ok(
          Date.parse(resolved?.at ?? '') >= Date.parse(escalated?.data.deadline),
          'resolved when due or later',
        );
        const stored = await airlock.store.getApprovalForAction(action.id);
        assert.equal(stored?.status, 'denied');
        assert.equal(stored?.step, 2);
        assert.deepEqual(stored?.votes, []);
      }
      for (const [i, approver] of [
        [0, 'bob'],
        [1, 'dave'],
      ] as const) {
        const events = await chain(slowOnes[i].id);
        assert.deepEqual(
          events.map((e) => [e.kind, e.actor.id]),
          [
            ['approval.opened', 'airlock'],
            ['approval.voted', approver],
            ['approval.resolved', 'airlock'],
          ],
        );
        assert.equal(events[2]?.data.cause, 'quorum');
      }
      const open = await chain(slowOnes[2].id);
      assert.deepEqual(
        open.map((e) => e.kind),
        ['approval.opened'],
      );
      assert.equal((await airlock.store.getApprovalForAction(slowOnes[2].id))?.status, 'pending');
      assert.equal((await airlock.audit.verify()).ok, true);
    } finally {
      await airlock.close();
    }
  });
});
