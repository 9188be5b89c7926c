/**
 * A real, throwaway PostgreSQL for tests: `initdb` into a temporary directory, the server on a free
 * port of 127.0.0.1 with its Unix socket in that directory, one database per caller, and everything
 * stopped and removed afterwards. PostgreSQL refuses to run as root, so as root it runs as the
 * unprivileged `postgres` account (created when missing). Off CI, tests skip where the binaries are
 * missing (`pgSkipReason()`); on CI (`CI=true`) they must be installed and the tests fail without.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, chownSync, closeSync, constants, openSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';

export interface PgServer {
  /** Superuser URL of the server's `postgres` database. */
  readonly adminUrl: string;
  /** Milliseconds spent in `initdb` and in starting the server until it accepted connections. */
  readonly timings: { readonly initdbMs: number; readonly startMs: number };
  /**
   * Create an empty database; returns its `postgres://` URL. `icuLocale` (e.g. `en-US`) gives it
   * that locale's collation instead of the server's bytewise one, as many production databases have.
   */
  createDatabase(name?: string, options?: { readonly icuLocale?: string }): Promise<string>;
  /** Stop the server (immediately: its data is thrown away) and remove its directory. */
  stop(): Promise<void>;
}

const ACCOUNT = 'postgres';
const READY_TIMEOUT_MS = 30_000;
const START_ATTEMPTS = 3;
const USER = 'airlock';

/** Where the server binaries are: on PATH, else under /usr/lib/postgresql/<version>/bin (Debian). */
function binDir(): string | null {
  const dirs = (process.env.PATH ?? '').split(':').filter((d) => d !== '');
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // No Debian layout.
  }
  for (const dir of dirs) {
    try {
      accessSync(path.join(dir, 'initdb'), constants.X_OK);
      accessSync(path.join(dir, 'postgres'), constants.X_OK);
      return dir;
    } catch {
      // Try the next one.
    }
  }
  return null;
}

/**
 * Why PostgreSQL tests cannot run here, or undefined when they can. On CI it is always undefined:
 * missing binaries then fail the tests instead of skipping them.
 */
export function pgSkipReason(): string | undefined {
  if (binDir() !== null || process.env.CI === 'true') return undefined;
  return 'PostgreSQL server binaries (initdb, postgres) not found on PATH or under /usr/lib/postgresql/*/bin; install the postgresql package to run these tests';
}

/**
 * Start a server for the tests of the current file (or `describe`): `before` starts it, `after`
 * stops it and removes its files, also when tests failed. `server()` is valid once `before` ran.
 *
 * @example
 * const pg = usePgServer();
 * it('works', async () => { const url = await pg.server().createDatabase(); … });
 */
export function usePgServer(): { server(): PgServer } {
  let server: PgServer | null = null;
  before(async (t) => {
    server = await startPgServer();
    const { initdbMs, startMs } = server.timings;
    t.diagnostic(
      `PostgreSQL: initdb ${Math.round(initdbMs)} ms, server ready ${Math.round(startMs)} ms later`,
    );
  });
  after(async () => {
    await server?.stop();
    server = null;
  });
  return {
    server() {
      if (server === null) throw new Error('the PostgreSQL server is not running (used outside its tests?)');
      return server;
    },
  };
}

/** How the binaries run: as the current user, or as root through the unprivileged account. */
interface Runner {
  readonly command: (bin: string, args: readonly string[]) => [string, string[]];
  /** Give the account what it must own. */
  readonly own: (dir: string) => void;
}

function runner(): Runner {
  if (process.getuid?.() !== 0) return { command: (bin, args) => [bin, [...args]], own: () => {} };
  const ids = account();
  return {
    // setpriv execs the binary itself, so the child's pid is the server's own.
    command: (bin, args) => [
      'setpriv',
      [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups', bin, ...args],
    ],
    own: (dir) => chownSync(dir, ids.uid, ids.gid),
  };
}

/** The unprivileged account's ids, creating it first if this machine has none. */
function account(): { uid: number; gid: number } {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', ACCOUNT], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', ACCOUNT], { encoding: 'utf8' }).trim()),
  });
  try {
    return ids();
  } catch {
    execFileSync('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      ACCOUNT,
    ]);
    return ids();
  }
}

export interface PgServerOptions {
  /**
   * Keep PostgreSQL's durability settings at their defaults (fsync, synchronous_commit and
   * full_page_writes on, and initdb syncing its files), for benchmarks of durable commits. By
   * default they are off: a throwaway test server need not survive a crash, and tests run faster.
   */
  readonly durable?: boolean;
}

/** Start a server on a free port; a port taken between probe and bind means another attempt. */
export async function startPgServer(options: PgServerOptions = {}): Promise<PgServer> {
  const bin = binDir();
  if (bin === null) {
    throw new Error(
      'PostgreSQL server binaries (initdb, postgres) not found on PATH or under /usr/lib/postgresql/*/bin (apt-get install postgresql)',
    );
  }
  const run = runner();
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-pg-'));
    try {
      return await startIn(bin, run, dir, options.durable === true);
    } catch (error) {
      lastError = error;
      rmSync(dir, { recursive: true, force: true });
    }
  }
  throw lastError;
}

async function startIn(bin: string, run: Runner, dir: string, durable: boolean): Promise<PgServer> {
  run.own(dir);
  const data = path.join(dir, 'data');
  const socketDir = dir;
  const logFile = path.join(dir, 'postgres.log');

  let started = performance.now();
  const [initdb, initArgs] = run.command(path.join(bin, 'initdb'), [
    '--pgdata',
    data,
    '--username',
    USER,
    '--auth',
    'trust',
    '--encoding',
    'UTF8',
    '--locale',
    'C',
    // Durable: initdb syncs its files too, so the whole data directory is on disk before the start.
    ...(durable ? [] : ['--no-sync']),
    '--no-instructions',
  ]);
  try {
    execFileSync(initdb, initArgs, { stdio: 'pipe', cwd: dir });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed: ${stderr || (error as Error).message}`);
  }
  const initdbMs = performance.now() - started;

  started = performance.now();
  const port = await freePort();
  const log = openSync(logFile, 'a');
  run.own(logFile);
  const [postgres, args] = run.command(path.join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-h',
    '127.0.0.1',
    '-k',
    socketDir,
    // A throwaway server: durability is not what these tests measure (unless asked for).
    ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    '-c',
    'shared_buffers=32MB',
    '-c',
    'max_connections=200',
  ]);
  const child = spawn(postgres, args, { stdio: ['ignore', log, log], cwd: dir });
  closeSync(log);
  // Whatever ends this process, the server does not outlive it.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const adminUrl = `postgres://${USER}@127.0.0.1:${port}/postgres`;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(`postgres exited (${signal ?? code}) before it was ready`));
    child.once('error', (error) => resolve(`postgres did not start: ${error.message}`));
  });
  const ready = await Promise.race([waitUntilReady(adminUrl), exited]);
  if (ready !== true) {
    await stopChild(child);
    process.off('exit', onExit);
    throw new Error(`${ready}\n--- ${logFile} ---\n${await readFile(logFile, 'utf8').catch(() => '')}`);
  }
  const startMs = performance.now() - started;

  return {
    adminUrl,
    timings: { initdbMs, startMs },
    createDatabase: (name, options) => createDatabaseOn(adminUrl, name, options),
    async stop() {
      await stopChild(child);
      process.off('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let databases = 0;

/**
 * Create an empty database on the server behind `adminUrl` (a superuser's URL); returns its URL.
 * Names default to one unique to this process, so test files sharing one server never collide.
 */
export async function createDatabaseOn(
  adminUrl: string,
  name = `test_${process.pid}_${++databases}`,
  options: { readonly icuLocale?: string } = {},
): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
  const icu = options.icuLocale;
  if (icu !== undefined && !/^[A-Za-z0-9-]+$/.test(icu)) throw new Error(`bad ICU locale ${icu}`);
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(
      icu === undefined
        ? `create database ${name}`
        : `create database ${name} template template0 locale_provider icu icu_locale '${icu}' locale 'C'`,
    );
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function waitUntilReady(url: string): Promise<true | string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return true;
    } catch (error) {
      last = (error as Error).message;
      await client.end().catch(() => {});
    }
    await sleep(50);
  }
  return `postgres was not ready within ${READY_TIMEOUT_MS} ms (${last})`;
}

/** A port that was free a moment ago: bind port 0, note what the kernel gave, release it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Immediate shutdown (SIGQUIT), then SIGKILL if the server has not exited within 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGQUIT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
