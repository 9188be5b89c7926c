/** Reads show approvals as they stand now, and the event stream resumes only from a real sequence number. */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, restart, startHarness } from './harness.ts';

const MINUTE = 60_000;

/** Read a server-sent event stream until `enough` events arrived; returns their ids and kinds. */
async function readEvents(
  h: Harness,
  token: string,
  headers: Record<string, string>,
  enough: number,
): Promise<{ id: number; kind: string }[]> {
  const abort = new AbortController();
  const response = await fetch(`${h.url}/v1/events`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
    signal: abort.signal,
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: { id: number; kind: string }[] = [];
  let buffer = '';
  const guard = setTimeout(() => abort.abort(), 10_000);
  try {
    while (events.length < enough) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (\d+)$/m.exec(block)?.[1];
        const kind = /^event: (.+)$/m.exec(block)?.[1];
        if (id !== undefined && kind !== undefined) events.push({ id: Number(id), kind });
        end = buffer.indexOf('\n\n');
      }
    }
  } finally {
    clearTimeout(guard);
    abort.abort();
  }
  return events;
}

describe('approval reads between a deadline and the timer', () => {
  let h: Harness;
  let agent: string;
  let bob: string;

  before(async () => {
    h = await startHarness();
    agent = await h.agent('reads-bot');
    await h.grant('reads-bot', 'service.restart@staging', 1);
    bob = await h.person('bob');
  });
  after(() => h.close());

  it('an action whose approval fell back shows the fallback before any sweep recorded it', async () => {
    const proposed = await h.propose(agent, restart());
    assert.equal(proposed.body.status, 'pending_approval');
    h.clock.advance(45 * MINUTE); // past both steps of sre-on-call: 15m + 30m

    const action = await h.request('GET', `/v1/actions/${proposed.body.id}`, { token: bob });
    assert.equal(action.body.approval.status, 'denied');
    assert.equal(action.body.status, 'denied', 'the action status agrees with its approval');
    const pending = await h.request('GET', '/v1/approvals?all=true', { token: bob });
    assert.deepEqual(
      pending.body.approvals.map((a: { action: string }) => a.action),
      [],
    );

    // Nothing was written by reading; the sweep records it once.
    const path = await h.airlock.actions.path(proposed.body.id);
    assert.equal(path.filter((e) => e.kind === 'approval.resolved').length, 0);
    assert.equal(await h.airlock.approvals.resolveDue(), 1);
    const stored = await h.airlock.store.getAction(proposed.body.id);
    assert.equal(stored?.status, 'denied');
  });

  it('an empty Last-Event-ID starts at the head; a numeric one replays what came after it', async () => {
    const alice = await h.person('alice');
    const head = (await h.airlock.store.auditHead())?.seq ?? 0;
    assert.ok(head > 3);
    const replayed = await readEvents(h, alice, { 'last-event-id': String(head - 2) }, 2);
    assert.deepEqual(
      replayed.map((e) => e.id),
      [head - 1, head],
    );

    const fresh = readEvents(h, alice, { 'last-event-id': '' }, 1);
    // Give the stream a moment to subscribe, then make one change.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await h.propose(agent, restart({ params: { reason: 'after the head' } }));
    const events = await fresh;
    assert.ok((events[0]?.id ?? 0) > head, `started after the head, not at #0: ${JSON.stringify(events)}`);
    assert.equal(events[0]?.kind, 'action.proposed');
  });
});
