/**
 * Integration harness: a fresh project (the quickstart, plus per-test file overrides) in a temp
 * directory, a real database (a SQLite file, or with `AIRLOCK_TEST_STORAGE=postgres` a database on
 * a throwaway PostgreSQL server), a real server on a random port, and helpers to call it.
 */

import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { isScalar, parseDocument } from 'yaml';
import { buildServer } from '../src/api/server.ts';
import { type Airlock, createAirlock } from '../src/gateway/airlock.ts';
import type { Clock } from '../src/gateway/clock.ts';
import { createDatabaseOn, type PgServer, startPgServer } from './pg-server.ts';

export const QUICKSTART = path.resolve(import.meta.dirname, '../examples/quickstart');

/**
 * Where projects keep their data: `sqlite` (a file in the project, the default), `postgres` (a new
 * database on this test file's PostgreSQL server, stopped after the file's tests when the run was
 * chosen with `AIRLOCK_TEST_STORAGE`, else when the process exits), or a storage URL to use as it
 * is (e.g. from `usePgServer().server().createDatabase()`).
 */
export type TestStorage = 'sqlite' | 'postgres' | (string & {});

/** The backend chosen for this run: `AIRLOCK_TEST_STORAGE`, else SQLite. */
export function testStorage(): TestStorage {
  return process.env.AIRLOCK_TEST_STORAGE || 'sqlite';
}

/**
 * The run's PostgreSQL server (started by the global setup), else one for this test file, started
 * on first use and stopped after its tests.
 */
let pgServer: Promise<PgServer> | null = null;
const sharedPgUrl = process.env.AIRLOCK_TEST_PG_URL;
if (testStorage() === 'postgres' && !sharedPgUrl) {
  after(async () => {
    const server = pgServer;
    pgServer = null;
    if (server !== null) await (await server).stop();
  });
}

async function storageUrl(storage: TestStorage): Promise<string | null> {
  if (storage === 'sqlite') return null;
  if (storage !== 'postgres') return storage;
  if (sharedPgUrl) return createDatabaseOn(sharedPgUrl);
  pgServer ??= startPgServer();
  return (await pgServer).createDatabase();
}

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: string | Date = '2026-11-24T10:00:00.000Z') {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  set(at: string | Date): void {
    this.#now = new Date(at).getTime();
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}

/**
 * Copy the quickstart (without its data) into a new temp directory and apply file overrides:
 * path → contents, or path → a function of the quickstart's contents (to edit a file). Then point
 * its storage at `storage` (by default the backend of this run).
 */
export async function makeProject(
  files: Readonly<Record<string, string | ((original: string) => string)>> = {},
  storage: TestStorage = testStorage(),
): Promise<{ dir: string; configPath: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-test-'));
  await cp(QUICKSTART, dir, {
    recursive: true,
    filter: (source) => !source.split(path.sep).includes('data'),
  });
  for (const [name, contents] of Object.entries(files)) {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, typeof contents === 'string' ? contents : contents(await readFile(file, 'utf8')));
  }
  const configPath = path.join(dir, 'airlock.yaml');
  const url = await storageUrl(storage);
  if (url !== null) await writeFile(configPath, withStorageUrl(await readFile(configPath, 'utf8'), url));
  return { dir, configPath };
}

/** airlock.yaml with `storage.url` set to `url`, and every other byte as it was (tests edit the text). */
export function withStorageUrl(text: string, url: string): string {
  const config = parseDocument(text);
  const node = config.getIn(['storage', 'url'], true);
  if (isScalar(node) && node.range !== null && node.range !== undefined) {
    const [start, end] = node.range;
    return `${text.slice(0, start)}${JSON.stringify(url)}${text.slice(end)}`;
  }
  if (!config.has('storage')) return `${text.replace(/\n?$/, '\n')}storage:\n  url: ${JSON.stringify(url)}\n`;
  config.setIn(['storage', 'url'], url);
  return config.toString();
}

// Tests read bodies loosely by default; the schema tests parse them strictly with the API's zod schemas.
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Loose = any;

export interface Response<T = Loose> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
  readonly headers: Headers;
}

export interface RequestOptions {
  readonly token?: string;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Sent as is (for malformed bodies); set content-type yourself in `headers`. */
  readonly rawBody?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Harness {
  readonly dir: string;
  readonly configPath: string;
  readonly airlock: Airlock;
  readonly app: FastifyInstance;
  readonly url: string;
  readonly clock: ManualClock;
  /** Every log line the server wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  /** Register an agent; returns its token. */
  agent(id: string, owner?: string): Promise<string>;
  /** A token for a person of the people file (alice: admin, bob: approver, carol: viewer). */
  person(id: string): Promise<string>;
  /** Set a trust level as alice (admin). */
  grant(agentId: string, scope: string, level: number): Promise<void>;
  request<T = Loose>(method: string, url: string, options?: RequestOptions): Promise<Response<T>>;
  /** Propose as an agent: `request('POST', '/v1/actions', …)`. */
  propose<T = Loose>(token: string, body: unknown): Promise<Response<T>>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly files?: Readonly<Record<string, string | ((original: string) => string)>>;
  readonly clock?: ManualClock;
  /** Start deadline timers and webhook delivery, as `serve` does (default false: tests call them). */
  readonly background?: boolean;
  /** The environment executors and webhooks read (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the data goes (default: `AIRLOCK_TEST_STORAGE`, else SQLite). */
  readonly storage?: TestStorage;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { dir, configPath } = await makeProject(options.files, options.storage);
  const clock = options.clock ?? new ManualClock();
  const logs: Record<string, unknown>[] = [];
  const airlock = await createAirlock({
    configPath,
    clock,
    ...(options.env === undefined ? {} : { env: options.env }),
    logLevel: 'info',
    logDestination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const app = buildServer(airlock);
  await airlock.recordPolicyInForce('startup');
  if (options.background === true) await airlock.startBackground();
  const url = await app.listen({ host: '127.0.0.1', port: 0 });

  const request = async <T>(
    method: string,
    route: string,
    opts: RequestOptions = {},
  ): Promise<Response<T>> => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(url + route, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: response.status, body: parsed as T, text, headers: response.headers };
  };

  return {
    dir,
    configPath,
    airlock,
    app,
    url,
    clock,
    logs,
    async agent(id, owner = 'sre') {
      return (await airlock.agents.add({ id, owner }, { kind: 'system', id: 'test' })).token;
    },
    person(id) {
      return airlock.people.issueToken(id, { kind: 'system', id: 'test' });
    },
    async grant(agentId, scope, level) {
      const alice = airlock.people.get('alice');
      await airlock.trust.setLevel({ agentId, scope, level, reason: 'test grant', override: true }, alice);
    },
    request,
    propose: (token, body) => request('POST', '/v1/actions', { token, body }),
    async close() {
      await app.close();
      await airlock.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A valid proposal for the quickstart catalog; override fields as needed. */
export function restart(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'service.restart',
    environment: 'staging',
    targets: [{ id: 'api-1' }],
    params: { reason: 'memory leak after deploy' },
    confidence: 0.93,
    anomalyScore: 0.1,
    reasoning: 'RSS grows 40 MB/h since deploy 2026.11.3; a restart clears it.',
    ...overrides,
  };
}
