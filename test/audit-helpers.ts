/** Shared helpers of the audit-chain tests: the CLI with captured output, raw access to the events table (through raw-db.ts, on either backend), and a chain of real activity. */

import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { main } from '../src/cli/main.ts';
import { type Harness, restart, startHarness, withStorageUrl } from './harness.ts';
import { copyDatabase, dropDatabase, projectStorage, type RawDb } from './raw-db.ts';

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

/** The stored event `seq`, read with a raw connection (see raw-db.ts). */
export async function row(db: RawDb, seq: number): Promise<Row> {
  const found = await db.get<Row>('SELECT * FROM audit_events WHERE seq = ?', seq);
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

export interface ChainCopy {
  readonly dir: string;
  readonly configPath: string;
  /** The copy's storage URL (for `withRawDb`). */
  readonly url: string;
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
  /**
   * A fresh copy of the project with a consistent snapshot of the chain in a database of its own
   * (`copyDatabase`: VACUUM INTO on SQLite, a snapshot copied table by table on PostgreSQL), its
   * airlock.yaml pointing at that database, whose storage URL is `url`.
   */
  copyChain(): Promise<ChainCopy>;
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
  const databases: string[] = [];

  async function copyChain(): Promise<ChainCopy> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-tamper-'));
    copies.push(dir);
    await cp(h.dir, dir, { recursive: true, filter: (source) => !source.split(path.sep).includes('data') });
    const url = await copyDatabase(await projectStorage(h.dir), dir);
    databases.push(url);
    const configPath = path.join(dir, 'airlock.yaml');
    // A relative SQLite path already names the copy; any other URL still names the original.
    if ((await projectStorage(dir)) !== url)
      await writeFile(configPath, withStorageUrl(await readFile(configPath, 'utf8'), url));
    assert.equal(await projectStorage(dir), url, 'the copied project uses the copied database');
    return { dir, configPath, url };
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
    for (const url of databases) await dropDatabase(url);
    for (const dir of copies) await rm(dir, { recursive: true, force: true });
  });
}
