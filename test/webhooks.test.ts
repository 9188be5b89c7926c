/**
 * Outgoing webhooks end to end: outbox rows in a real SQLite store, delivered by the Notifier to
 * real HTTP receivers on loopback that verify the signature the way a customer's receiver would.
 */

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { Routing, Webhook } from '../src/approvals/routing.ts';
import { type Verification, verifyWebhook } from '../src/approvals/webhook-signature.ts';
import { ChainVerifier } from '../src/audit/chain-verifier.ts';
import { systemClock } from '../src/gateway/clock.ts';
import { newId } from '../src/gateway/ids.ts';
import { createLogger } from '../src/gateway/logger.ts';
import { Metrics } from '../src/gateway/metrics.ts';
import { Notifier, type NotifierDeps } from '../src/gateway/notifier.ts';
import { openStore } from '../src/store/open-store.ts';
import type { OutboxRecord } from '../src/store/records.ts';
import type { Store } from '../src/store/store.ts';

const SECRET = 'whsec-integration-7f3a9c';
/** An upper bound that only keeps a broken test from hanging; nothing here is that slow. */
const HANG_MS = 15_000;

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly verified: Verification;
}

interface Receiver {
  readonly url: string;
  readonly received: Received[];
  close(): Promise<void>;
}

/** An HTTP receiver that verifies each request and answers with the status `answer` picks (1-based hit count). */
async function startReceiver(
  answer: (hit: number, request: Received) => number = () => 200,
): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        timestamp: header(req.headers, 'x-airlock-timestamp'),
        signature: header(req.headers, 'x-airlock-signature'),
      };
      const request = {
        headers: req.headers,
        body,
        verified: verifyWebhook(SECRET, headers, body, Math.floor(Date.now() / 1000)),
      };
      received.push(request);
      const status = request.verified.ok ? answer(received.length, request) : 401;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'receiver\nsays no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/airlock`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A receiver that accepts connections and never answers; `onRequest` runs as each request starts
 * to arrive (on a connection's first bytes: fetch may also open spare connections it never uses).
 */
async function startDeadReceiver(onRequest: () => void) {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', onRequest);
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/never`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function webhook(name: string, url: string, overrides: Partial<Webhook> = {}): Webhook {
  return {
    name,
    url,
    secretEnv: 'AIRLOCK_TEST_WEBHOOK_SECRET',
    secret: SECRET,
    timeout: 2_000,
    attempts: 3,
    backoff: 50,
    ...overrides,
  };
}

function routingWith(...webhooks: Webhook[]): Routing {
  return {
    routes: new Map(),
    defaultRoute: 'default',
    owners: new Map(),
    ownerMayApprove: false,
    webhooks: new Map(webhooks.map((hook) => [hook.name, hook])),
  };
}

function message(subject: string, hook: string, event = 'approval.opened'): OutboxRecord {
  const now = new Date();
  const at = now.toISOString();
  return {
    id: newId('ntf', now),
    subject,
    webhook: hook,
    event,
    payload: { text: `Approval needed: restart api-1 in production (${subject})`, action: subject },
    status: 'pending',
    attempts: 0,
    nextAttemptAt: at,
    lastError: null,
    createdAt: at,
    updatedAt: at,
  };
}

async function enqueue(store: Store, ...messages: OutboxRecord[]): Promise<void> {
  await store.write((tx) => tx.enqueue(messages));
}

async function delivery(store: Store, subject: string): Promise<OutboxRecord> {
  const [only, ...rest] = await store.listDeliveries(subject);
  assert.ok(only !== undefined && rest.length === 0, `one message about ${subject}`);
  return only;
}

async function chainVerifies(store: Store): Promise<void> {
  const verifier = new ChainVerifier();
  for (const record of await store.auditRange(0, 100_000)) verifier.push(record);
  const report = verifier.report();
  assert.equal(report.ok, true, report.problem ?? '');
}

async function notifications(store: Store, subject: string) {
  const events = await store.auditForSubject(subject);
  return events
    .filter((e) => e.kind.startsWith('notification.'))
    .map((e) => ({ kind: e.kind, actor: e.actor, data: JSON.parse(e.data) as Record<string, unknown> }));
}

async function within<T>(promise: Promise<T>, what: string, ms = HANG_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Run passes (waiting out backoffs) until the message about `subject` is no longer pending. */
async function settle(notifier: Notifier, store: Store, subject: string): Promise<OutboxRecord> {
  const deadline = Date.now() + HANG_MS;
  for (;;) {
    await within(notifier.deliverDue(), 'a delivery pass');
    const current = await delivery(store, subject);
    if (current.status !== 'pending') return current;
    assert.ok(Date.now() < deadline, `the message about ${subject} settles`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function waitFor(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + HANG_MS;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every log line written, to check that secrets never reach the logs. */
function capturedLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger('debug', { write: (line: string) => lines.push(line) }) };
}

describe('webhook delivery (the outbox)', () => {
  let dir: string;
  let store: Store;
  const cleanups: (() => Promise<void>)[] = [];

  const notifierFor = (routing: Routing, overrides: Partial<NotifierDeps> = {}) =>
    new Notifier({
      store,
      routing: () => routing,
      logger: createLogger('silent'),
      metrics: new Metrics(),
      auditClock: systemClock,
      ...overrides,
    });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-webhooks-'));
    store = await openStore(`sqlite:${path.join(dir, 'airlock.db')}`);
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers once, signed, with its delivery id and event, and records it in the chain', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const metrics = new Metrics();
    const recorded: [number, string][] = [];
    const notifier = notifierFor(routingWith(webhook('slack', receiver.url)), {
      metrics,
      onRecorded: (seq, subject) => recorded.push([seq, subject]),
    });
    const sent = message('act_delivered', 'slack');
    await enqueue(store, sent);

    assert.equal(await within(notifier.deliverDue(), 'a delivery pass'), 1);
    assert.equal(await notifier.deliverDue(), 0, 'nothing is due any more');

    assert.equal(receiver.received.length, 1);
    const [request] = receiver.received;
    assert.ok(request !== undefined);
    assert.deepEqual(request.verified, { ok: true });
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['x-airlock-delivery'], sent.id);
    assert.equal(request.headers['x-airlock-event'], 'approval.opened');
    assert.deepEqual(JSON.parse(request.body), sent.payload);
    assert.match((JSON.parse(request.body) as { text: string }).text, /^Approval needed/);

    const stored = await delivery(store, 'act_delivered');
    assert.equal(stored.status, 'delivered');
    assert.equal(stored.attempts, 1);
    assert.deepEqual(await notifications(store, 'act_delivered'), [
      {
        kind: 'notification.delivered',
        actor: { kind: 'system', id: 'airlock' },
        data: {
          delivery: sent.id,
          webhook: 'slack',
          event: 'approval.opened',
          attempts: 1,
          status: 200,
          error: null,
        },
      },
    ]);
    const head = await store.auditHead();
    assert.deepEqual(recorded, [[head?.seq, 'act_delivered']]);
    await chainVerifies(store);
    const counted = await metrics.webhookDeliveries.get();
    assert.deepEqual(
      counted.values.map((v) => [v.labels.result, v.value]),
      [['delivered', 1]],
    );
  });

  it('retries with backoff: 500, 500, then 200 is delivered after 3 attempts (running as a loop)', async () => {
    const receiver = await startReceiver((hit) => (hit <= 2 ? 500 : 200));
    cleanups.push(receiver.close);
    const metrics = new Metrics();
    const notifier = notifierFor(routingWith(webhook('pager', receiver.url, { attempts: 5, backoff: 50 })), {
      metrics,
      pollMs: 20,
    });
    cleanups.push(() => notifier.stop());
    notifier.start();
    await enqueue(store, message('act_retried', 'pager'));
    notifier.kick();

    await waitFor('delivery', async () => (await delivery(store, 'act_retried')).status !== 'pending');
    await notifier.stop();
    const stored = await delivery(store, 'act_retried');
    assert.equal(stored.status, 'delivered');
    assert.equal(stored.attempts, 3);
    assert.equal(stored.lastError, 'HTTP 500: receiver says no', 'the last failure is kept');
    assert.equal(receiver.received.length, 3);
    assert.equal(
      new Set(receiver.received.map((r) => r.headers['x-airlock-delivery'])).size,
      1,
      'one delivery id',
    );
    const [event, ...more] = await notifications(store, 'act_retried');
    assert.equal(more.length, 0, 'one audit event, not one per attempt');
    assert.equal(event?.kind, 'notification.delivered');
    assert.equal(event?.data.attempts, 3);
    const counted = await metrics.webhookDeliveries.get();
    assert.deepEqual(
      new Map(counted.values.map((v) => [v.labels.result, v.value])),
      new Map([
        ['retried', 2],
        ['delivered', 1],
      ]),
    );
    await chainVerifies(store);
  });

  it('gives up after the configured attempts, records the failure once, and keeps secrets out of the logs', async () => {
    const receiver = await startReceiver(() => 500);
    cleanups.push(receiver.close);
    const { lines, logger } = capturedLogger();
    const notifier = notifierFor(routingWith(webhook('ops', receiver.url, { attempts: 3, backoff: 50 })), {
      logger,
    });
    await enqueue(store, message('act_failed', 'ops'));

    const stored = await settle(notifier, store, 'act_failed');
    assert.equal(stored.status, 'failed');
    assert.equal(stored.attempts, 3);
    assert.equal(receiver.received.length, 3, 'the receiver is hit exactly 3 times');
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(await notifier.deliverDue(), 0, 'a failed message is not sent again');
    assert.equal(receiver.received.length, 3);

    const events = await notifications(store, 'act_failed');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.kind, 'notification.failed');
    assert.deepEqual(events[0]?.data, {
      delivery: stored.id,
      webhook: 'ops',
      event: 'approval.opened',
      attempts: 3,
      status: 500,
      error: 'HTTP 500: receiver says no',
    });
    await chainVerifies(store);

    const warnings = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(
      warnings.filter((l) => l.event === 'webhook.failed').length,
      3,
      'two retries and the final failure',
    );
    const text = lines.join('\n');
    assert.ok(!text.includes(SECRET), 'the secret is never logged');
    assert.ok(!/v1=[0-9a-f]{64}/.test(text), 'the signature is never logged');
    assert.ok(!text.includes(receiver.url), 'the URL (a secret for chat webhooks) is never logged');
  });

  it('fails a message whose webhook is no longer configured', async () => {
    const notifier = notifierFor(routingWith());
    await enqueue(store, message('act_orphan', 'removed-hook'));
    assert.equal(await notifier.deliverDue(), 1);
    const stored = await delivery(store, 'act_orphan');
    assert.equal(stored.status, 'failed');
    assert.equal(stored.attempts, 0);
    assert.equal(stored.lastError, 'webhook "removed-hook" is no longer configured');
    const events = await notifications(store, 'act_orphan');
    assert.deepEqual(
      events.map((e) => [e.kind, e.data.status, e.data.error]),
      [['notification.failed', null, 'webhook "removed-hook" is no longer configured']],
    );
  });

  it('does not hold a database transaction while a dead receiver keeps it waiting', async () => {
    const order: string[] = [];
    const locked: boolean[] = [];
    const dbPath = path.join(dir, 'airlock.db');
    const dead = await startDeadReceiver(() => {
      // The request is on the wire now. Another connection can take the write lock at once...
      locked.push(isWriteLocked(dbPath));
      // ...and a write through the store commits before the delivery attempt is over.
      void store
        .write((tx) =>
          tx.appendAudit(
            [{ kind: 'test.unrelated', actor: { kind: 'system', id: 'test' }, subject: 'other', data: {} }],
            new Date().toISOString(),
          ),
        )
        .then(() => order.push('unrelated write'));
    });
    cleanups.push(dead.close);
    const fast = await startReceiver();
    cleanups.push(fast.close);
    const notifier = notifierFor(
      routingWith(webhook('dead', dead.url, { timeout: 200, attempts: 2 }), webhook('fast', fast.url)),
    );
    await enqueue(store, message('act_dead', 'dead'), message('act_fast', 'fast'));

    await within(
      notifier.deliverDue().then(() => order.push('first pass')),
      'a pass against a dead receiver',
    );
    assert.deepEqual(order, ['unrelated write', 'first pass']);
    assert.deepEqual(locked, [false]);
    assert.equal(
      (await delivery(store, 'act_fast')).status,
      'delivered',
      'the slow receiver held no one else up',
    );
    const retried = await delivery(store, 'act_dead');
    assert.equal(retried.status, 'pending');
    assert.equal(retried.attempts, 1);
    assert.equal(retried.lastError, 'no answer within 200 ms');

    const failed = await settle(notifier, store, 'act_dead');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 2);
    assert.deepEqual(locked, [false, false]);
    assert.equal((await store.auditForSubject('other')).length, 2, 'both unrelated writes committed');
    await chainVerifies(store);
  });

  it('stop() aborts a send still waiting after the grace period and gives the attempt back', async () => {
    let connected!: () => void;
    const onWire = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const dead = await startDeadReceiver(() => connected());
    cleanups.push(dead.close);
    const notifier = notifierFor(routingWith(webhook('dead', dead.url, { timeout: 60_000 })), {
      stopGraceMs: 50,
    });
    await enqueue(store, message('act_stopped', 'dead'));
    notifier.start();
    await within(onWire, 'the request reaching the receiver');
    await within(notifier.stop(), 'stop()');

    const stored = await delivery(store, 'act_stopped');
    assert.equal(stored.status, 'pending');
    assert.equal(stored.attempts, 0, 'the interrupted attempt does not count');
    assert.match(stored.lastError ?? '', /interrupted/);
    assert.ok(stored.nextAttemptAt <= new Date().toISOString(), 'due again at once');
    assert.deepEqual(await notifications(store, 'act_stopped'), []);
  });

  it('two notifiers on one database deliver each message exactly once', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const routing = routingWith(webhook('slack', receiver.url));
    const subjects = Array.from({ length: 8 }, (_, i) => `act_race_${i}`);
    await enqueue(store, ...subjects.map((subject) => message(subject, 'slack')));

    // Both read the same due messages before either claims one: every claim is contested.
    const shared = readingTogether(store, barrier(2));
    const first = notifierFor(routing, { store: shared });
    const second = notifierFor(routing, { store: shared });
    const taken = await within(Promise.all([first.deliverDue(), second.deliverDue()]), 'two passes');

    assert.equal(taken[0] + taken[1], subjects.length, 'each message taken by one of them');
    const ids = receiver.received.map((r) => r.headers['x-airlock-delivery']);
    assert.equal(ids.length, subjects.length);
    assert.equal(new Set(ids).size, subjects.length, 'no message sent twice');
    for (const subject of subjects) {
      const stored = await delivery(store, subject);
      assert.equal(stored.status, 'delivered');
      assert.equal(stored.attempts, 1);
      assert.equal((await notifications(store, subject)).length, 1);
    }
    await chainVerifies(store);
  });

  it('two replicas (threads with their own connections) deliver each message exactly once', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const hook = webhook('slack', receiver.url);
    const subjects = Array.from({ length: 12 }, (_, i) => `act_replica_${i}`);
    await enqueue(store, ...subjects.map((subject) => message(subject, 'slack')));

    const arrivals = new Int32Array(new SharedArrayBuffer(4));
    const replica = new Worker(new URL(`data:text/javascript,${encodeURIComponent(REPLICA)}`), {
      workerData: {
        db: path.join(dir, 'airlock.db'),
        hook,
        arrivals,
        modules: {
          store: moduleUrl('../src/store/open-store.ts'),
          notifier: moduleUrl('../src/gateway/notifier.ts'),
          logger: moduleUrl('../src/gateway/logger.ts'),
          metrics: moduleUrl('../src/gateway/metrics.ts'),
        },
      },
    });
    cleanups.push(async () => {
      await replica.terminate();
    });
    const theirs = once(replica, 'message').then(([taken]) => taken as number);
    const local = notifierFor(routingWith(hook), {
      store: readingTogether(store, () => sharedBarrier(arrivals, 2)),
    });
    const [ours, other] = await within(Promise.all([local.deliverDue(), theirs]), 'two replicas');

    assert.equal(ours + other, subjects.length, 'each message taken by one replica');
    const ids = receiver.received.map((r) => r.headers['x-airlock-delivery']);
    assert.equal(ids.length, subjects.length);
    assert.equal(new Set(ids).size, subjects.length, 'no message sent twice');
    for (const subject of subjects) {
      const stored = await delivery(store, subject);
      assert.equal(stored.status, 'delivered');
      assert.equal(stored.attempts, 1);
      assert.equal((await notifications(store, subject)).length, 1);
    }
    await chainVerifies(store);
  });
});

/** Can another connection take the write lock right now? (It fails at once if someone holds it.) */
function isWriteLocked(file: string): boolean {
  const db = new DatabaseSync(file);
  try {
    db.exec('PRAGMA busy_timeout = 0');
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return false;
  } catch {
    return true;
  } finally {
    db.close();
  }
}

/**
 * The store, except that `dueDeliveries` answers only after `arrive()` resolves: with a barrier,
 * every notifier has read the due messages before any claims one, so every claim is contested.
 */
function readingTogether(store: Store, arrive: () => Promise<void>): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'dueDeliveries') {
        return async (now: string, limit: number) => {
          const due = await target.dueDeliveries(now, limit);
          await arrive();
          return due;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A barrier for `parties` callers in this thread. */
function barrier(parties: number): () => Promise<void> {
  let waiting = parties;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  return () => {
    waiting -= 1;
    if (waiting === 0) open();
    return gate;
  };
}

/** A barrier for `parties` callers across threads, counting in shared memory. */
async function sharedBarrier(arrivals: Int32Array, parties: number): Promise<void> {
  Atomics.add(arrivals, 0, 1);
  Atomics.notify(arrivals, 0);
  for (let seen = Atomics.load(arrivals, 0); seen < parties; seen = Atomics.load(arrivals, 0)) {
    await Atomics.waitAsync(arrivals, 0, seen).value;
  }
}

/**
 * A second Airlock replica in a worker thread: its own store (its own SQLite connection) and
 * notifier, reading behind the same shared barrier; it posts how many messages it took.
 */
const REPLICA = `
import { workerData, parentPort } from 'node:worker_threads';
const { openStore } = await import(workerData.modules.store);
const { Notifier } = await import(workerData.modules.notifier);
const { createLogger } = await import(workerData.modules.logger);
const { Metrics } = await import(workerData.modules.metrics);
const { db, hook, arrivals } = workerData;
const store = await openStore('sqlite:' + db);
const arrive = async () => {
  Atomics.add(arrivals, 0, 1);
  Atomics.notify(arrivals, 0);
  for (let seen = Atomics.load(arrivals, 0); seen < 2; seen = Atomics.load(arrivals, 0)) {
    await Atomics.waitAsync(arrivals, 0, seen).value;
  }
};
const reading = new Proxy(store, {
  get(target, property) {
    if (property === 'dueDeliveries') {
      return async (now, limit) => { const due = await target.dueDeliveries(now, limit); await arrive(); return due; };
    }
    const value = Reflect.get(target, property, target);
    return typeof value === 'function' ? value.bind(target) : value;
  },
});
const routing = {
  routes: new Map(), defaultRoute: 'default', owners: new Map(), ownerMayApprove: false,
  webhooks: new Map([[hook.name, hook]]),
};
const notifier = new Notifier({
  store: reading, routing: () => routing, logger: createLogger('silent'), metrics: new Metrics(),
  auditClock: { now: () => new Date() },
});
const taken = await notifier.deliverDue();
await store.close();
parentPort.postMessage(taken);
`;

function moduleUrl(relative: string): string {
  return new URL(relative, import.meta.url).href;
}
