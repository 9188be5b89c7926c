/**
 * Durable approval deadlines on a real `airlock serve` process (invariant 4 across crashes):
 * approvals whose whole route became overdue while the server was down (SIGKILL, or a clean
 * SIGTERM) are resolved exactly once on start-up, before the port opens, to the route's fallback;
 * approvals with time left survive untouched and can still be voted on; a recorded approval keeps
 * its votes. Also the live event stream (GET /v1/events): votes arrive as server-sent events, and
 * `Last-Event-ID` replays what came after a sequence number, across a restart.
 */

import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createAirlock } from '../src/gateway/airlock.ts';
import { routesYaml } from './approval-helpers.ts';
import { type Loose, makeProject, restart } from './harness.ts';
import { until } from './policy-reload-helpers.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/airlock');
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

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly lines: Record<string, unknown>[];
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
}

interface SseEvent {
  readonly id: number;
  readonly event: string;
  // biome-ignore lint/suspicious/noExplicitAny: the event data is checked field by field
  readonly data: any;
}

/** A server-sent event stream, read in the test's own pace. */
class EventStream {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  readonly #abort = new AbortController();
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #buffer = '';
  readonly #decoder = new TextDecoder();

  static async open(url: string, token: string, headers: Record<string, string> = {}): Promise<EventStream> {
    const stream = new EventStream();
    const response = await fetch(`${url}/v1/events`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers },
      signal: stream.#abort.signal,
    });
    assert.equal(response.status, 200, await (response.status === 200 ? '' : response.text()));
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.ok(response.body !== null);
    stream.#reader = response.body.getReader();
    // The server writes a comment once it follows the chain: only then are later events sure to arrive.
    await stream.readUntil('the stream to start', (s) => s.comments.length > 0);
    return stream;
  }

  /** Read until `done` holds; fails (instead of hanging) after `ms`. */
  async readUntil(what: string, done: (stream: EventStream) => boolean, ms = 20_000): Promise<void> {
    const reader = this.#reader;
    assert.ok(reader !== null);
    const deadline = Date.now() + ms;
    while (!done(this)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.events)}`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), left);
      });
      const chunk = await Promise.race([reader.read(), timeout]);
      clearTimeout(timer);
      if (chunk === 'timeout') continue;
      if (chunk.done) throw new Error(`the stream ended while waiting for ${what}`);
      this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
      this.#parse();
    }
  }

  close(): void {
    this.#abort.abort();
  }

  #parse(): void {
    for (;;) {
      const end = this.#buffer.indexOf('\n\n');
      if (end < 0) return;
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else {
          const colon = line.indexOf(':');
          if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
        }
      }
      const data = fields.get('data');
      if (data !== undefined) {
        this.events.push({
          id: Number(fields.get('id')),
          event: fields.get('event') ?? '',
          data: JSON.parse(data),
        });
      }
    }
  }
}

describe('approval deadlines across restarts of a real server process', () => {
  let dir: string;
  let configPath: string;
  const children: ChildProcess[] = [];
  const streams: EventStream[] = [];

  before(async () => {
    ({ dir, configPath } = await makeProject({ 'routes.yaml': ROUTES }));
  });

  after(async () => {
    for (const stream of streams) stream.close();
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  /** Run the CLI as its own process; it must succeed and print JSON. */
  async function cli(...args: string[]): Promise<Loose> {
    const { stdout } = await run(BIN, [...args, '--json', '--config', configPath], { timeout: 60_000 });
    return JSON.parse(stdout);
  }

  async function serve(): Promise<Server> {
    const child = spawn(
      BIN,
      ['serve', '--config', configPath, '--port', '0', '--no-watch', '--log-level', 'info'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const lines: Record<string, unknown>[] = [];
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {}
    });
    const started = await until(
      'server.started',
      () => {
        if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${stderr.join('')}`);
        return lines.find((l) => l.event === 'server.started');
      },
      30_000,
    );
    return { child, url: String(started.address), lines, exited };
  }

  async function call(server: Server, method: string, route: string, token: string, body?: unknown) {
    const response = await fetch(server.url + route, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as Loose, text };
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
    const first = await serve();
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
    const second = await serve();
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

    const third = await serve();
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
