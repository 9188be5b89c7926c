/** Invariant 9: a chain built by real activity verifies, and every change, deletion or reordering of a stored event is detected. */

import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { buildServer } from '../src/api/server.ts';
import { hashEvent } from '../src/audit/audit-event.ts';
import { main } from '../src/cli/main.ts';
import { createAirlock } from '../src/gateway/airlock.ts';
import { type Harness, restart, startHarness } from './harness.ts';

interface CliRun {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

async function cli(args: readonly string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

interface Report {
  readonly ok: boolean;
  readonly events: number;
  readonly head: string | null;
  readonly firstBad: number | null;
  readonly problem: string | null;
}

interface Row {
  seq: number;
  at: string;
  kind: string;
  actor_kind: string;
  actor_id: string;
  subject: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

const dbFile = (dir: string) => path.join(dir, 'data', 'airlock.db');

/** Run `sql` work on a database file with a plain node:sqlite connection. */
function withDb<T>(file: string, work: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(file);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

function row(db: DatabaseSync, seq: number): Row {
  const found = db.prepare('SELECT * FROM audit_events WHERE seq = ?').get(seq) as Row | undefined;
  assert.ok(found !== undefined, `event ${seq} exists`);
  return { ...found, seq: Number(found.seq) };
}

/** Change one character of `text` (a letter) into another letter. */
function flipOneByte(text: string): string {
  const index = text.search(/[a-z]/);
  assert.ok(index >= 0, `no letter to flip in ${text}`);
  const replacement = text[index] === 'a' ? 'b' : 'a';
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

describe('audit chain: tamper evidence (invariant 9)', () => {
  let h: Harness;
  let alice: string;
  /** An agent's token: agents may not verify the chain. */
  let nosy: string;
  /** Number of events in the untampered chain. */
  let total: number;
  let headHash: string;
  const copies: string[] = [];

  before(async () => {
    h = await startHarness();
    const triage = await h.agent('triage-bot');
    const scaler = await h.agent('scaler', 'platform');
    const rogue = await h.agent('rogue');
    await h.grant('triage-bot', 'service.restart@staging', 2);
    await h.grant('scaler', 'deployment.scale@staging', 1);

    const effects: string[] = [];
    const propose = async (token: string, body: Record<string, unknown>, status = 201) => {
      const response = await h.propose(token, body);
      assert.equal(response.status, status, response.text);
      if (status === 201) effects.push(response.body.decision.effect as string);
    };
    await propose(triage, restart());
    await propose(triage, restart({ environment: 'production' }));
    await propose(triage, restart({ confidence: 0.4 }));
    await propose(scaler, {
      type: 'deployment.scale',
      environment: 'staging',
      targets: [{ id: 'web' }],
      params: { replicas: 6 },
    });
    await propose(scaler, {
      type: 'database.migrate',
      environment: 'staging',
      targets: [{ id: 'orders-db' }],
      params: { migration: '0042_drop_legacy', dropsData: true },
    });
    await propose(scaler, {
      type: 'cache.flush',
      environment: 'staging',
      targets: [{ id: 'redis-1' }],
      params: {},
    });
    await propose(triage, restart({ params: {} }), 422);
    await propose(triage, restart({ type: 'service.explode' }), 422);
    await h.airlock.agents.setStatus('rogue', 'suspended', { kind: 'person', id: 'alice' }, 'misbehaved');
    await propose(rogue, restart());
    await propose(triage, restart({ targets: [{ id: 'api-2' }], idempotencyKey: 'k-1' }));
    assert.deepEqual(new Set(effects), new Set(['execute', 'advise', 'escalate', 'deny']));
    alice = await h.person('alice');
    nosy = await h.agent('nosy-bot');

    const head = await cli(['audit', 'head', '--config', h.configPath, '--json']);
    assert.equal(head.code, 0, head.err.join('\n'));
    const parsed = JSON.parse(head.out.join('\n')) as { seq: number; hash: string };
    total = parsed.seq;
    headHash = parsed.hash;
    assert.ok(total >= 25, `a chain of real activity (${total} events)`);
    assert.match(headHash, /^[0-9a-f]{64}$/);
  });

  after(async () => {
    await h.close();
    for (const dir of copies) await rm(dir, { recursive: true, force: true });
  });

  /** A fresh copy of the project with a consistent snapshot of the chain (VACUUM INTO over a second connection). */
  async function copyChain(): Promise<{ dir: string; configPath: string; db: string }> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-tamper-'));
    copies.push(dir);
    await cp(h.dir, dir, { recursive: true, filter: (source) => !source.split(path.sep).includes('data') });
    await mkdir(path.join(dir, 'data'));
    const db = dbFile(dir);
    withDb(dbFile(h.dir), (source) => source.exec(`VACUUM INTO '${db}'`));
    return { dir, configPath: path.join(dir, 'airlock.yaml'), db };
  }

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
    withDb(copy.db, (db) => {
      const before = row(db, middle).data;
      const changed = flipOneByte(before);
      assert.equal(changed.length, before.length);
      assert.notEqual(changed, before);
      db.prepare('UPDATE audit_events SET data = ? WHERE seq = ?').run(changed, middle);
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
    withDb(copy.db, (db) => {
      assert.notEqual(row(db, seq).kind, 'agent.deleted');
      db.prepare("UPDATE audit_events SET kind = 'agent.deleted' WHERE seq = ?").run(seq);
    });
    assertBroken(await verifyBoth(copy.configPath), seq, /does not match its hash/);
  });

  it('(b) a changed actor_id is detected at that event', async () => {
    const copy = await copyChain();
    const seq = Math.floor(total / 2) + 1;
    withDb(copy.db, (db) => {
      assert.notEqual(row(db, seq).actor_id, 'mallory');
      db.prepare("UPDATE audit_events SET actor_id = 'mallory' WHERE seq = ?").run(seq);
    });
    assertBroken(await verifyBoth(copy.configPath), seq, /does not match its hash/);
  });

  it('(c) a deleted middle event is detected at its sequence number', async () => {
    const copy = await copyChain();
    const seq = Math.floor(total / 2);
    withDb(copy.db, (db) => {
      assert.equal(db.prepare('DELETE FROM audit_events WHERE seq = ?').run(seq).changes, 1);
    });
    const result = await verifyBoth(copy.configPath);
    assertBroken(result, seq, /missing or moved/);
    assert.equal(result.report.events, total - 1);
  });

  it('(d) swapping the contents of two events (keeping seq) is detected at the earlier one', async () => {
    const copy = await copyChain();
    const first = Math.floor(total / 2) - 2;
    const second = first + 3;
    withDb(copy.db, (db) => {
      const a = row(db, first);
      const b = row(db, second);
      const update = db.prepare(
        'UPDATE audit_events SET at = ?, kind = ?, actor_kind = ?, actor_id = ?, subject = ?, data = ?, prev_hash = ?, hash = ? WHERE seq = ?',
      );
      for (const [target, from] of [
        [first, b],
        [second, a],
      ] as const) {
        update.run(
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
      }
    });
    assertBroken(await verifyBoth(copy.configPath), first);
  });

  it('(d) swapping the contents but keeping each event’s own hash fields is detected at the earlier one', async () => {
    const copy = await copyChain();
    const first = Math.floor(total / 2);
    const second = first + 1;
    withDb(copy.db, (db) => {
      const a = row(db, first);
      const b = row(db, second);
      const update = db.prepare('UPDATE audit_events SET kind = ?, subject = ?, data = ? WHERE seq = ?');
      update.run(b.kind, b.subject, b.data, first);
      update.run(a.kind, a.subject, a.data, second);
    });
    assertBroken(await verifyBoth(copy.configPath), first, /does not match its hash/);
  });

  it('(d) swapping the seq numbers of two events is detected at the earlier position', async () => {
    const copy = await copyChain();
    const first = Math.floor(total / 2) - 1;
    const second = first + 2;
    withDb(copy.db, (db) => {
      db.prepare('UPDATE audit_events SET seq = -1 WHERE seq = ?').run(first);
      db.prepare('UPDATE audit_events SET seq = ? WHERE seq = ?').run(first, second);
      db.prepare('UPDATE audit_events SET seq = ? WHERE seq = -1').run(second);
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
    withDb(copy.db, (db) => {
      previousHash = row(db, total - 1).hash;
      assert.equal(db.prepare('DELETE FROM audit_events WHERE seq = ?').run(total).changes, 1);
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
    withDb(copy.db, (db) => {
      const r = row(db, seq);
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
      db.prepare('UPDATE audit_events SET data = ?, hash = ? WHERE seq = ?').run(data, hash, seq);
    });
    assertBroken(await verifyBoth(copy.configPath), seq + 1, new RegExp(`event ${seq + 1} does not link`));
  });

  it('an exported file verifies offline with the database’s head; an edited line is named', async () => {
    const copy = await copyChain();
    const file = path.join(copy.dir, 'export.jsonl');
    const exported = await cli(['audit', 'export', '--config', copy.configPath, '--out', file]);
    assert.equal(exported.code, 0, exported.err.join('\n'));
    assert.deepEqual(exported.out, []);
    assert.deepEqual(exported.err, [`exported ${total} events to ${file}`]);

    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
    assert.equal(lines.length, total);
    assert.deepEqual(
      lines.map((line) => (JSON.parse(line) as { seq: number }).seq),
      Array.from({ length: total }, (_, index) => index + 1),
    );

    const verified = await cli(['audit', 'verify', '--file', file, '--json']);
    assert.equal(verified.code, 0, verified.err.join('\n'));
    const report = JSON.parse(verified.out.join('\n')) as Report;
    assert.deepEqual(report, { ok: true, events: total, head: headHash, firstBad: null, problem: null });

    const anchored = await cli(['audit', 'verify', '--file', file, '--anchor', headHash, '--json']);
    assert.equal(anchored.code, 0);

    const target = Math.floor(total / 2);
    const event = JSON.parse(lines[target - 1] ?? '') as { data: Record<string, unknown> };
    event.data = { ...event.data, forged: true };
    lines[target - 1] = JSON.stringify(event);
    await writeFile(file, `${lines.join('\n')}\n`);

    const broken = await cli(['audit', 'verify', '--file', file, '--json']);
    assert.equal(broken.code, 1);
    const brokenReport = JSON.parse(broken.out.join('\n')) as Report;
    assert.equal(brokenReport.ok, false);
    assert.equal(brokenReport.firstBad, target);
    assert.match(brokenReport.problem ?? '', new RegExp(`event ${target} does not match its hash`));

    const text = await cli(['audit', 'verify', '--file', file]);
    assert.equal(text.code, 1);
    assert.match(text.err[0] ?? '', new RegExp(`^airlock: audit chain broken at event ${target}: `));
  });
});

describe('a partial export (--after) verifies as a segment', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    const token = await h.agent('segment-bot');
    for (let i = 0; i < 4; i++)
      await h.propose(token, restart({ params: { reason: `restart number ${i}` } }));
  });
  after(() => h.close());

  it('verifies from the first exported event on, and still catches an edit inside the segment', async () => {
    const file = path.join(h.dir, 'segment.jsonl');
    const exported = await cli(['audit', 'export', '--after', '3', '--out', file, '--config', h.configPath]);
    assert.equal(exported.code, 0, exported.err.join('\n'));
    const ok = await cli(['audit', 'verify', '--file', file, '--json']);
    assert.equal(ok.code, 0, ok.err.join('\n'));
    assert.equal(JSON.parse(ok.out.join('\n')).ok, true);
    assert.match(
      ok.err[0] ?? '',
      /^verifying a segment from event 4; its link to event 3 \([0-9a-f]{64}\) is taken as given$/,
    );

    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    lines[2] = (lines[2] ?? '').replace('"kind":"', '"kind":"edited.');
    await writeFile(file, `${lines.join('\n')}\n`);
    const bad = await cli(['audit', 'verify', '--file', file, '--json']);
    assert.equal(bad.code, 1);
    assert.equal(JSON.parse(bad.out.join('\n')).firstBad, 6);
  });
});
