/**
 * Approval notifications end to end: a route with webhooks, a real server with its background
 * work running, and real receivers on loopback. Messages are signed and retried; a receiver that
 * never answers holds up neither proposals nor votes.
 */

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { verifyWebhook } from '../src/approvals/webhook-signature.ts';
import { type Harness, restart, startHarness } from './harness.ts';

const SECRET = 'whsec-approvals-e2e';

interface Hit {
  readonly event: string;
  readonly body: { text: string; event: string; approval: { id: string }; action: { id: string } };
  readonly verified: boolean;
}

/** A receiver that answers 503 to its first `failFirst` requests, then 200. */
async function receiver(failFirst = 0): Promise<{ url: string; hits: Hit[]; server: Server }> {
  const hits: Hit[] = [];
  let count = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      count++;
      const verified = verifyWebhook(
        SECRET,
        {
          timestamp: req.headers['x-airlock-timestamp'] as string | undefined,
          signature: req.headers['x-airlock-signature'] as string | undefined,
        },
        body,
        Math.floor(Date.now() / 1000),
      ).ok;
      hits.push({
        event: String(req.headers['x-airlock-event']),
        body: JSON.parse(body) as Hit['body'],
        verified,
      });
      res.writeHead(count <= failFirst ? 503 : 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits, server };
}

/** Accepts connections and never answers. */
async function deadReceiver(): Promise<{ url: string; server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer(() => {});
  server.on('connection', (socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server, sockets };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function routes(chat: string, pager: string, dead: string): string {
  return `
defaultRoute: sre-on-call
webhooks:
  - name: chat
    url: ${chat}
    secretEnv: AIRLOCK_E2E_HOOK_SECRET
    backoff: 50ms
    attempts: 4
  - name: pager
    url: ${pager}
    secretEnv: AIRLOCK_E2E_HOOK_SECRET
  - name: dead
    url: ${dead}
    secretEnv: AIRLOCK_E2E_HOOK_SECRET
    timeout: 300ms
    attempts: 2
    backoff: 50ms
routes:
  - name: sre-on-call
    notify: [chat]
    steps:
      - group: sre
        timeout: 15m
      - group: platform
        timeout: 30m
        notify: [pager]
  - name: dead-end
    notify: [dead]
    steps:
      - group: sre
        timeout: 15m
  - name: capacity-review
    steps:
      - group: platform
        timeout: 1h
  - name: two-person
    steps:
      - group: sre
        quorum: 2
        timeout: 30m
owners:
  doomed: dead-end
`;
}

describe('approval webhooks', () => {
  let h: Harness;
  let chat: Awaited<ReturnType<typeof receiver>>;
  let pager: Awaited<ReturnType<typeof receiver>>;
  let dead: Awaited<ReturnType<typeof deadReceiver>>;
  let agent: string;
  let bob: string;

  before(async () => {
    process.env.AIRLOCK_E2E_HOOK_SECRET = SECRET;
    chat = await receiver(2);
    pager = await receiver();
    dead = await deadReceiver();
    h = await startHarness({
      files: { 'routes.yaml': routes(chat.url, pager.url, dead.url) },
      background: true,
    });
    agent = await h.agent('hook-bot', 'sre');
    await h.grant('hook-bot', 'service.restart@staging', 1);
    bob = await h.person('bob');
  });
  after(async () => {
    await h?.close();
    for (const socket of dead?.sockets ?? []) socket.destroy();
    for (const s of [chat?.server, pager?.server, dead?.server]) s?.close();
    delete process.env.AIRLOCK_E2E_HOOK_SECRET;
  });

  it('announces an opened approval, signed, after retrying a failing receiver; the delivery is audited', async () => {
    const proposed = await h.propose(agent, restart());
    assert.equal(proposed.body.status, 'pending_approval');
    const delivered = await until('the delivery in the chain', async () => {
      const events = await h.airlock.store.auditForSubject(proposed.body.id);
      return events.find((e) => e.kind === 'notification.delivered');
    });
    assert.equal(JSON.parse(delivered.data).attempts, 3);
    const hits = chat.hits.filter((x) => x.body.action.id === proposed.body.id);
    assert.equal(hits.length, 3, 'two 503s, then delivered');
    const hit = hits[2] as Hit;
    assert.equal(hit.event, 'approval.opened');
    assert.ok(hits.every((x) => x.verified));
    assert.equal(hit.body.approval.id, proposed.body.approval.id);
    assert.match(hit.body.text, /^Approval needed: hook-bot wants service\.restart in staging on api-1/);
    assert.equal(pager.hits.length, 0, 'the step-2 webhook hears only when step 2 is reached');
  });

  it('tells the step-2 webhook on escalation, and the route webhook on the outcome', async () => {
    const proposed = await h.propose(agent, restart({ params: { reason: 'escalate me' } }));
    h.clock.advance(15 * 60_000);
    await h.airlock.approvals.resolveDue();
    assert.equal((await h.airlock.approvals.get(proposed.body.approval.id)).step, 2);
    const escalated = await until('the escalation on the pager', () =>
      pager.hits.find((x) => x.body.action.id === proposed.body.id),
    );
    assert.equal(escalated.event, 'approval.escalated');
    assert.equal(escalated.verified, true);
    assert.match(escalated.body.text, /^Escalated, approval needed: .* step 2 of 2: group platform/);

    const dave = await h.person('dave');
    const vote = await h.request('POST', `/v1/approvals/${proposed.body.approval.id}/decisions`, {
      token: dave,
      body: { verdict: 'approve' },
    });
    assert.equal(vote.status, 200);
    const resolved = await until('the outcome on the chat', () =>
      chat.hits.find((x) => x.event === 'approval.resolved' && x.body.action.id === proposed.body.id),
    );
    assert.match(resolved.body.text, /approved \(quorum\)/);
  });

  it('a receiver that never answers holds up neither proposals nor votes', async () => {
    const doomed = await h.agent('doomed-bot', 'doomed');
    await h.grant('doomed-bot', 'service.restart@staging', 1);
    const first = await h.propose(doomed, restart({ params: { reason: 'first' } }));
    assert.equal(first.body.approval.route.name, 'dead-end');
    await until('a connection to the dead receiver', () => (dead.sockets.length > 0 ? true : undefined));

    // While the delivery hangs, decisions and votes go on.
    const second = await h.propose(doomed, restart({ params: { reason: 'second' } }));
    assert.equal(second.status, 201);
    const vote = await h.request('POST', `/v1/approvals/${second.body.approval.id}/decisions`, {
      token: bob,
      body: { verdict: 'deny', comment: 'not while the pager is down' },
    });
    assert.equal(vote.status, 200);
    assert.equal(vote.body.approval.status, 'denied');

    const failed = await until('the failed delivery in the chain', async () => {
      const events = await h.airlock.store.auditForSubject(first.body.id);
      return events.find((e) => e.kind === 'notification.failed');
    });
    const data = JSON.parse(failed.data);
    assert.equal(data.attempts, 2);
    assert.match(data.error, /no answer within 300 ms/);
    const verify = await h.request('GET', '/v1/audit/verify', { token: bob });
    assert.equal(verify.body.ok, true);
  });
});
