/** Invariant 9: a chain built by real activity verifies, and every change, deletion or reordering of a stored event is detected. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildServer } from '../src/api/server.ts';
import { hashEvent } from '../src/audit/audit-event.ts';
import { createAirlock } from '../src/gateway/airlock.ts';
import {
  type ActivityChain,
  type CliRun,
  cli,
  flipOneByte,
  type Report,
  row,
  useActivityChain,
} from './audit-helpers.ts';
import type { Harness } from './harness.ts';
import { withRawDb } from './raw-db.ts';

describe('audit chain: tamper evidence (invariant 9)', () => {
  let h: Harness;
  let alice: string;
  let nosy: string;
  let total: number;
  let headHash: string;
  let copyChain: ActivityChain['copyChain'];
  useActivityChain((chain) => {
    ({ h, alice, nosy, total, headHash, copyChain } = chain);
  });

  /** Verify a project's chain through the CLI (--json) and through GET /v1/audit/verify; both must agree. */
  async function verifyBoth(configPath: string, anchor?: string): Promise<{ cli: CliRun; report: Report }> {
    const args = ['audit', 'verify', '--config', configPath, '--json'];
    if (anchor !== undefined) args.push('--anchor', anchor);
    const run = await cli(args);
    const report = JSON.parse(run.out.join('\n')) as Report;

    const airlock = await createAirlock({ configPath, logLevel: 'silent' });
    const app = buildServer(airlock);
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const query = anchor === undefined ? '' : `?anchor=${anchor}`;
      const response = await fetch(`${url}/v1/audit/verify${query}`, {
        headers: { authorization: `Bearer ${alice}` },
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), report, 'the API reports what the CLI reports');
    } finally {
      await app.close();
      await airlock.close();
    }
    return { cli: run, report };
  }

  function assertBroken(result: { cli: CliRun; report: Report }, firstBad: number, problem?: RegExp): void {
    assert.equal(result.cli.code, 1);
    assert.equal(result.report.ok, false);
    assert.equal(result.report.firstBad, firstBad);
    if (problem !== undefined) assert.match(result.report.problem ?? '', problem);
  }

  it('the untampered chain verifies through the API and the CLI', async () => {
    const api = await h.request('GET', '/v1/audit/verify', { token: alice });
    assert.equal(api.status, 200);
    assert.deepEqual(api.body, { ok: true, events: total, head: headHash, firstBad: null, problem: null });

    const run = await cli(['audit', 'verify', '--config', h.configPath, '--json']);
    assert.equal(run.code, 0);
    assert.deepEqual(JSON.parse(run.out.join('\n')), api.body);

    const text = await cli(['audit', 'verify', '--config', h.configPath]);
    assert.equal(text.code, 0);
    assert.deepEqual(text.out, [`ok: ${total} events verify; head ${headHash}`]);

    const forbidden = await h.request('GET', '/v1/audit/verify', { token: nosy });
    assert.equal(forbidden.status, 403);
  });

  it('a fresh copy verifies too (the copy is faithful)', async () => {
    const copy = await copyChain();
    const result = await verifyBoth(copy.configPath, headHash);
    assert.equal(result.cli.code, 0);
    assert.equal(result.report.ok, true);
    assert.equal(result.report.head, headHash);
  });

  it('(a) one changed byte of a middle event’s data is detected at that event', async () => {
    const copy = await copyChain();
    const middle = Math.floor(total / 2);
    await withRawDb(copy.url, async (db) => {
      const before = (await row(db, middle)).data;
      const changed = flipOneByte(before);
      assert.equal(changed.length, before.length);
      assert.notEqual(changed, before);
      assert.equal(await db.run('UPDATE audit_events SET data = ? WHERE seq = ?', changed, middle), 1);
    });
    const result = await verifyBoth(copy.configPath);
    assertBroken(result, middle, /does not match its hash/);
    const text = await cli(['audit', 'verify', '--config', copy.configPath]);
    assert.equal(text.code, 1);
    assert.deepEqual(text.out, []);
    assert.equal(text.err.length, 1);
    assert.match(text.err[0] ?? '', new RegExp(`^airlock: audit chain broken at event ${middle}: `));
  });

  it('(b) a changed kind is detected at that event', async () => {
    const copy = await copyChain();
    const seq = Math.floor(total / 3);
    await withRawDb(copy.url, async (db) => {
      assert.notEqual((await row(db, seq)).kind, 'agent.deleted');
      assert.equal(await db.run("UPDATE audit_events SET kind = 'agent.deleted' WHERE seq = ?", seq), 1);
    });
    assertBroken(await verifyBoth(copy.configPath), seq, /does not match its hash/);
  });

  it('(b) a changed actor_id is detected at that event', async () => {
    const copy = await copyChain();
    const seq = Math.floor(total / 2) + 1;
    await withRawDb(copy.url, async (db) => {
      assert.notEqual((await row(db, seq)).actor_id, 'mallory');
      assert.equal(await db.run("UPDATE audit_events SET actor_id = 'mallory' WHERE seq = ?", seq), 1);
    });
    assertBroken(await verifyBoth(copy.configPath), seq, /does not match its hash/);
  });

  it('(c) a deleted middle event is detected at its sequence number', async () => {
    const copy = await copyChain();
    const seq = Math.floor(total / 2);
    await withRawDb(copy.url, async (db) => {
      assert.equal(await db.run('DELETE FROM audit_events WHERE seq = ?', seq), 1);
    });
    const result = await verifyBoth(copy.configPath);
    assertBroken(result, seq, /missing or moved/);
    assert.equal(result.report.events, total - 1);
  });

  it('(d) swapping the contents of two events (keeping seq) is detected at the earlier one', async () => {
    const copy = await copyChain();
    const first = Math.floor(total / 2) - 2;
    const second = first + 3;
    await withRawDb(copy.url, async (db) => {
      const a = await row(db, first);
      const b = await row(db, second);
      const update =
        'UPDATE audit_events SET at = ?, kind = ?, actor_kind = ?, actor_id = ?, subject = ?, data = ?, prev_hash = ?, hash = ? WHERE seq = ?';
      for (const [target, from] of [
        [first, b],
        [second, a],
      ] as const) {
        const changed = await db.run(
          update,
          from.at,
          from.kind,
          from.actor_kind,
          from.actor_id,
          from.subject,
          from.data,
          from.prev_hash,
          from.hash,
          target,
        );
        assert.equal(changed, 1);
      }
    });
    assertBroken(await verifyBoth(copy.configPath), first);
  });

  it('(d) swapping the contents but keeping each event’s own hash fields is detected at the earlier one', async () => {
    const copy = await copyChain();
    const first = Math.floor(total / 2);
    const second = first + 1;
    await withRawDb(copy.url, async (db) => {
      const a = await row(db, first);
      const b = await row(db, second);
      const update = 'UPDATE audit_events SET kind = ?, subject = ?, data = ? WHERE seq = ?';
      assert.equal(await db.run(update, b.kind, b.subject, b.data, first), 1);
      assert.equal(await db.run(update, a.kind, a.subject, a.data, second), 1);
    });
    assertBroken(await verifyBoth(copy.configPath), first, /does not match its hash/);
  });

  it('(d) swapping the seq numbers of two events is detected at the earlier position', async () => {
    const copy = await copyChain();
    const first = Math.floor(total / 2) - 1;
    const second = first + 2;
    await withRawDb(copy.url, async (db) => {
      assert.equal(await db.run('UPDATE audit_events SET seq = -1 WHERE seq = ?', first), 1);
      assert.equal(await db.run('UPDATE audit_events SET seq = ? WHERE seq = ?', first, second), 1);
      assert.equal(await db.run('UPDATE audit_events SET seq = ? WHERE seq = -1', second), 1);
    });
    const result = await verifyBoth(copy.configPath);
    assertBroken(result, first, /does not link/);
    assert.equal(result.report.events, total);
  });

  it('(e) deleting the last event passes without an anchor but fails against the anchored head', async () => {
    // Why heads are anchored: a truncated chain is still a valid chain. Only a head recorded outside
    // the database (airlock audit head) reveals that events were cut from the end.
    const copy = await copyChain();
    const head = await cli(['audit', 'head', '--config', copy.configPath, '--json']);
    assert.equal(head.code, 0);
    const anchored = JSON.parse(head.out.join('\n')) as { seq: number; hash: string };
    assert.deepEqual(anchored, { seq: total, hash: headHash });
    const text = await cli(['audit', 'head', '--config', copy.configPath]);
    assert.deepEqual(text.out, [`${total} ${headHash}`]);

    let previousHash = '';
    await withRawDb(copy.url, async (db) => {
      previousHash = (await row(db, total - 1)).hash;
      assert.equal(await db.run('DELETE FROM audit_events WHERE seq = ?', total), 1);
    });

    const unanchored = await verifyBoth(copy.configPath);
    assert.equal(unanchored.cli.code, 0);
    assert.deepEqual(unanchored.report, {
      ok: true,
      events: total - 1,
      head: previousHash,
      firstBad: null,
      problem: null,
    });

    const result = await verifyBoth(copy.configPath, anchored.hash);
    assertBroken(result, total, /anchored head/);
    assert.equal(result.report.head, previousHash);
  });

  it('(f) a changed event with its own hash recomputed is detected at the link to the next event', async () => {
    const copy = await copyChain();
    const seq = Math.floor(total / 2);
    await withRawDb(copy.url, async (db) => {
      const r = await row(db, seq);
      const data = flipOneByte(r.data);
      const hash = hashEvent({
        seq: r.seq,
        at: r.at,
        kind: r.kind,
        actor: { kind: r.actor_kind as 'agent' | 'person' | 'system', id: r.actor_id },
        subject: r.subject,
        data,
        prevHash: r.prev_hash,
      });
      assert.notEqual(hash, r.hash);
      assert.equal(
        await db.run('UPDATE audit_events SET data = ?, hash = ? WHERE seq = ?', data, hash, seq),
        1,
      );
    });
    assertBroken(await verifyBoth(copy.configPath), seq + 1, new RegExp(`event ${seq + 1} does not link`));
  });
});
