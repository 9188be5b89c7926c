/** Shared helpers of the audit-chain tests: the CLI with captured output, raw access to the events table, and a chain of real activity. */

import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before } from 'node:test';
import { main } from '../src/cli/main.ts';
import { type Harness, restart, startHarness } from './harness.ts';

export interface CliRun {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

export async function cli(args: readonly string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

export interface Report {
  readonly ok: boolean;
  readonly events: number;
  readonly head: string | null;
  readonly firstBad: number | null;
  readonly problem: string | null;
}

export interface Row {
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

export const dbFile = (dir: string) => path.join(dir, 'data', 'airlock.db');

/** Run `sql` work on a database file with a plain node:sqlite connection. */
export function withDb<T>(file: string, work: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(file);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

export function row(db: DatabaseSync, seq: number): Row {
  const found = db.prepare('SELECT * FROM audit_events WHERE seq = ?').get(seq) as Row | undefined;
  assert.ok(found !== undefined, `event ${seq} exists`);
  return { ...found, seq: Number(found.seq) };
}

/** Change one character of `text` (a letter) into another letter. */
export function flipOneByte(text: string): string {
  const index = text.search(/[a-z]/);
  assert.ok(index >= 0, `no letter to flip in ${text}`);
  const replacement = text[index] === 'a' ? 'b' : 'a';
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

/** A running server whose chain was built by real activity, and copies of its project to tamper with. */
export interface ActivityChain {
  readonly h: Harness;
  readonly alice: string;
  /** An agent's token: agents may not verify the chain. */
  readonly nosy: string;
  /** Number of events in the untampered chain. */
  readonly total: number;
  readonly headHash: string;
  /** A fresh copy of the project with a consistent snapshot of the chain (VACUUM INTO over a second connection). */
  copyChain(): Promise<{ dir: string; configPath: string; db: string }>;
}

/**
 * Call inside a describe: before its tests, start a server and build a chain of real activity (every
 * decision effect, rejected requests, a suspended agent), handing it to `onReady`; after them, stop the
 * server and remove every copy made.
 */
export function useActivityChain(onReady: (chain: ActivityChain) => void): void {
  let h: Harness;
  let alice: string;
  let nosy: string;
  let total: number;
  let headHash: string;
  const copies: string[] = [];

  async function copyChain(): Promise<{ dir: string; configPath: string; db: string }> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-tamper-'));
    copies.push(dir);
    await cp(h.dir, dir, { recursive: true, filter: (source) => !source.split(path.sep).includes('data') });
    await mkdir(path.join(dir, 'data'));
    const db = dbFile(dir);
    withDb(dbFile(h.dir), (source) => source.exec(`VACUUM INTO '${db}'`));
    return { dir, configPath: path.join(dir, 'airlock.yaml'), db };
  }

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
    onReady({ h, alice, nosy, total, headHash, copyChain });
  });

  after(async () => {
    await h.close();
    for (const dir of copies) await rm(dir, { recursive: true, force: true });
  });
}
