/**
 * Durable decisions per second over HTTP on PostgreSQL: a throwaway server with its durability
 * settings at their defaults (fsync, synchronous_commit and full_page_writes on), then per replica
 * count a fresh database, that many `airlock serve` processes on it and the SQLite HTTP benchmark's
 * load (same request, same connections in all) spread evenly over them. Afterwards every
 * acknowledged decision must be stored exactly once and the audit chain verify.
 */

import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { type PgServer, pgSkipReason, startPgServer } from '../test/pg-server.ts';
import { findProcess, machineBusySeconds, processCpuSeconds, processTreeCpuSeconds } from './cpu-usage.ts';
import { prepareDecisionAgent, runDecisionLoad } from './decision-load.ts';
import { HTTP_DEFAULTS } from './http-throughput.ts';
import { bucketSpread, histogram, mergeHistograms } from './prometheus-text.ts';
import { type ServerProcess, startServer } from './server-process.ts';
import { type AcknowledgedCheck, checkStore } from './store-check.ts';
import { tempProject } from './temp-project.ts';

export interface PgOptions {
  /** Connections in all, spread evenly over the replicas. */
  readonly connections: number;
  readonly durationS: number;
  readonly warmupS: number;
  /** Server processes per run, e.g. `[1, 3]`; each run has a fresh database. */
  readonly replicas: readonly number[];
  /** Extra node flags for the server children, e.g. `--cpu-prof`. */
  readonly serverNodeArgs?: readonly string[];
}

export const PG_DEFAULTS: PgOptions = {
  connections: HTTP_DEFAULTS.connections,
  durationS: HTTP_DEFAULTS.durationS,
  warmupS: HTTP_DEFAULTS.warmupS,
  replicas: [1, 3],
};

export interface PgResult {
  /** Why nothing was measured (no PostgreSQL binaries, or the server did not start); else null. */
  readonly skipped: string | null;
  readonly postgres: {
    readonly version: string;
    /** fsync, synchronous_commit, full_page_writes, wal_sync_method, … as the server reports them. */
    readonly settings: Readonly<Record<string, string>>;
  } | null;
  readonly runs: readonly PgRun[];
}

export interface PgRun {
  readonly replicas: number;
  readonly connections: number;
  readonly durationS: number;
  /** 2xx responses per second of the measured run, over all replicas. */
  readonly requestsPerSec: number;
  readonly ok2xx: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** POST /v1/actions each replica answered over warm-up and run (its /metrics), null where unread. */
  readonly perReplica: readonly (number | null)[];
  /** CPU time over wall time during the measured run (1.0 = one core busy). */
  readonly cpu: {
    /** All Airlock servers together. */
    readonly servers: number | null;
    /** The PostgreSQL server and its backends. */
    readonly database: number | null;
    readonly loadGenerator: number;
    readonly others: number | null;
  };
  /** From /metrics, over all replicas: mean time in decide() and per POST /v1/actions. */
  readonly server: { readonly decideMeanUs: number | null; readonly requestMeanMs: number | null };
  /** airlock_commit_batch_size over all replicas, or null when it has no samples. */
  readonly commitBatch: { readonly mean: number; readonly commits: number; readonly spread: string } | null;
  readonly database: {
    /** WAL flushes to disk over warm-up and run (pg_stat_wal.wal_sync; cluster-wide). */
    readonly walSyncs: number | null;
    /** Committed transactions of the database over warm-up and run, reads included (pg_stat_database). */
    readonly transactions: number | null;
    /** Mean client backends of the database per state (and wait event) during the run, sampled. */
    readonly backends: Readonly<Record<string, number>>;
    readonly samples: number;
  };
  readonly durability: {
    /** 2xx answers over warm-up and run: every one of them must be stored, once. */
    readonly acknowledged: number;
    readonly actionsStored: number;
    readonly auditOk: boolean;
    readonly auditEvents: number;
    readonly auditProblem: string | null;
    readonly acknowledgedCheck: AcknowledgedCheck | null;
    readonly serverExits: readonly (number | string)[];
  };
}

/** The settings that make a commit durable, and what they must be. */
const DURABLE = { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' } as const;
const REPORTED = [...Object.keys(DURABLE), 'wal_sync_method', 'commit_delay', 'shared_buffers'];
/** How often backends are sampled during the measured run. */
const SAMPLE_MS = 100;

export async function runPgThroughput(
  progress: (line: string) => void = () => {},
  options: PgOptions = PG_DEFAULTS,
): Promise<PgResult> {
  if (pgSkipReason() !== undefined) {
    return skipped(
      progress,
      'PostgreSQL server binaries (initdb, postgres) not found on PATH or under /usr/lib/postgresql/*/bin; install the postgresql package (e.g. apt-get install postgresql) to run this benchmark',
    );
  }
  progress('pg: starting a durable PostgreSQL (fsync, synchronous_commit, full_page_writes on)…');
  let pg: PgServer;
  try {
    pg = await startPgServer({ durable: true });
  } catch (error) {
    return skipped(progress, `PostgreSQL did not start: ${(error as Error).message.split('\n')[0]}`);
  }
  try {
    const postgres = await serverInfo(pg.adminUrl);
    const lax = Object.entries(DURABLE).filter(([name, value]) => postgres.settings[name] !== value);
    if (lax.length > 0) {
      throw new Error(
        `PostgreSQL is not durable: ${lax.map(([name]) => `${name}=${postgres.settings[name]}`)}`,
      );
    }
    const port = new URL(pg.adminUrl).port;
    const postmaster = await findProcess(['-p', port, '-h', '127.0.0.1']);
    const runs: PgRun[] = [];
    for (const [index, replicas] of options.replicas.entries()) {
      runs.push(
        await runReplicas(pg, postmaster, `bench_${index + 1}_${replicas}x`, replicas, options, progress),
      );
    }
    return { skipped: null, postgres, runs };
  } finally {
    progress('pg: stopping PostgreSQL…');
    await pg.stop();
  }
}

function skipped(progress: (line: string) => void, reason: string): PgResult {
  progress(`pg: skipped: ${reason}`);
  return { skipped: reason, postgres: null, runs: [] };
}

async function runReplicas(
  pg: PgServer,
  postmaster: number | null,
  database: string,
  replicas: number,
  options: PgOptions,
  progress: (line: string) => void,
): Promise<PgRun> {
  const label = `pg ×${replicas}`;
  const url = await pg.createDatabase(database);
  const project = await tempProject({}, url as `postgres://${string}`);
  try {
    progress(`${label}: setting up agent and trust (and the schema) on a fresh database…`);
    const token = await prepareDecisionAgent(project.configPath);

    progress(`${label}: starting ${replicas} server${replicas === 1 ? '' : 's'}…`);
    const starting = await Promise.allSettled(
      Array.from({ length: replicas }, (_, i) =>
        startServer(project.configPath, {
          logFile: path.join(project.dir, `server-${i + 1}.log`),
          ...(options.serverNodeArgs === undefined ? {} : { nodeArgs: options.serverNodeArgs }),
        }),
      ),
    );
    const servers = starting.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      const failed = starting.find((s) => s.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      return await measure(pg, postmaster, url, project, servers, token, options, progress);
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  } finally {
    await project.remove();
  }
}

async function measure(
  pg: PgServer,
  postmaster: number | null,
  url: string,
  project: { configPath: string; storage: string },
  servers: readonly ServerProcess[],
  token: string,
  options: PgOptions,
  progress: (line: string) => void,
): Promise<PgRun> {
  const label = `pg ×${servers.length}`;
  const name = new URL(url).pathname.slice(1);
  const statsBefore = await databaseStats(pg.adminUrl, name);
  const acknowledged = new Set<string>();
  const load = (durationS: number) =>
    runDecisionLoad({
      urls: servers.map((server) => server.url),
      token,
      connections: options.connections,
      durationS,
      acknowledged,
    });
  progress(`${label}: warm-up ${options.warmupS} s…`);
  const warmup = await load(options.warmupS);

  progress(`${label}: ${options.connections} connections over ${servers.length} for ${options.durationS} s…`);
  const sampler = sampleBackends(url);
  const serversBefore = await serversCpu(servers);
  const databaseBefore = postmaster === null ? null : await processTreeCpuSeconds(postmaster);
  const machineBefore = await machineBusySeconds();
  const ownBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const run = await load(options.durationS);
  const wallS = (performance.now() - wallBefore) / 1e3;
  const own = process.cpuUsage(ownBefore);
  const serversAfter = await serversCpu(servers);
  const databaseAfter = postmaster === null ? null : await processTreeCpuSeconds(postmaster);
  const machineAfter = await machineBusySeconds();
  const backends = await sampler.stop();
  const metrics = await Promise.all(
    servers.map((server) =>
      fetch(`${server.url}/metrics`)
        .then((response) => response.text())
        .catch(() => ''),
    ),
  );

  progress(`${label}: stopping the servers, checking the store and the audit chain…`);
  const serverExits = await Promise.all(servers.map((server) => server.stop()));
  // Backends report their statistics as they exit: give them a moment.
  await sleep(500);
  const statsAfter = await databaseStats(pg.adminUrl, name);
  const stored = await checkStore(project.configPath, project.storage, acknowledged);

  const delta = (before: number | null, after: number | null) =>
    before === null || after === null ? null : (after - before) / wallS;
  const serversShare = delta(serversBefore, serversAfter);
  const databaseShare = delta(databaseBefore, databaseAfter);
  const machineShare = delta(machineBefore, machineAfter);
  const loadGenerator = (own.user + own.system) / 1e6 / wallS;
  const requests = metrics.map((text) =>
    histogram(text, 'airlock_http_request_seconds', 'route="/v1/actions"'),
  );
  const requestS = mergeHistograms(requests);
  const decideS = mergeHistograms(metrics.map((text) => histogram(text, 'airlock_decide_seconds')));
  const batch = mergeHistograms(metrics.map((text) => histogram(text, 'airlock_commit_batch_size')));
  return {
    replicas: servers.length,
    connections: options.connections,
    durationS: run.duration,
    requestsPerSec: run['2xx'] / run.duration,
    ok2xx: run['2xx'],
    non2xx: run.non2xx + warmup.non2xx,
    errors: run.errors + warmup.errors,
    latencyMs: { p50: run.latency.p50, p99: run.latency.p99, max: run.latency.max },
    perReplica: requests.map((figures) => figures?.count ?? null),
    cpu: {
      servers: serversShare,
      database: databaseShare,
      loadGenerator,
      others:
        machineShare === null || serversShare === null || databaseShare === null
          ? null
          : Math.max(0, machineShare - serversShare - databaseShare - loadGenerator),
    },
    server: {
      decideMeanUs: decideS === null ? null : (decideS.sum / decideS.count) * 1e6,
      requestMeanMs: requestS === null ? null : (requestS.sum / requestS.count) * 1e3,
    },
    commitBatch:
      batch === null
        ? null
        : { mean: batch.sum / batch.count, commits: batch.count, spread: bucketSpread(batch) },
    database: {
      walSyncs: minus(statsAfter.walSyncs, statsBefore.walSyncs),
      transactions: minus(statsAfter.transactions, statsBefore.transactions),
      ...backends,
    },
    durability: {
      acknowledged: warmup['2xx'] + run['2xx'],
      actionsStored: stored.actionsStored,
      auditOk: stored.auditOk,
      auditEvents: stored.auditEvents,
      auditProblem: stored.auditProblem,
      acknowledgedCheck: stored.acknowledged,
      serverExits,
    },
  };
}

const minus = (after: number | null, before: number | null) =>
  after === null || before === null ? null : after - before;

/** CPU seconds of all servers together; null if any is unreadable. */
async function serversCpu(servers: readonly ServerProcess[]): Promise<number | null> {
  const each = await Promise.all(servers.map((server) => processCpuSeconds(server.child.pid)));
  return each.some((seconds) => seconds === null) ? null : each.reduce<number>((sum, s) => sum + (s ?? 0), 0);
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function serverInfo(adminUrl: string): Promise<NonNullable<PgResult['postgres']>> {
  return withClient(adminUrl, async (client) => {
    const version =
      (await client.query<{ v: string }>(`select current_setting('server_version') as v`)).rows[0]?.v ??
      'unknown';
    const { rows } = await client.query<{ name: string; setting: string; unit: string | null }>(
      'select name, setting, unit from pg_settings where name = any($1)',
      [REPORTED],
    );
    const settings = Object.fromEntries(
      rows.map((r) => [
        r.name,
        r.name === 'shared_buffers' ? `${(Number(r.setting) * 8) / 1024}MB` : r.setting,
      ]),
    );
    return { version, settings };
  });
}

/** WAL flushes so far (cluster-wide) and the database's committed transactions. */
async function databaseStats(
  adminUrl: string,
  database: string,
): Promise<{ walSyncs: number | null; transactions: number | null }> {
  return withClient(adminUrl, async (client) => {
    // A fresh snapshot per query, not the transaction's cached one.
    await client.query(`set stats_fetch_consistency = none`).catch(() => {});
    const walSyncs = await client
      .query<{ n: string }>('select wal_sync as n from pg_stat_wal')
      .then((r) => Number(r.rows[0]?.n))
      .catch(() => null);
    const transactions = await client
      .query<{ n: string }>('select xact_commit as n from pg_stat_database where datname = $1', [database])
      .then((r) => Number(r.rows[0]?.n))
      .catch(() => null);
    return { walSyncs, transactions };
  });
}

/**
 * Sample what the database's client backends are doing every SAMPLE_MS until stopped: their state
 * and wait event (`active Lock:advisory`: queued on the chain lock; `active IO:WALSync`: flushing
 * a commit; `idle in transaction`: waiting for Airlock mid-transaction), as means per sample.
 */
function sampleBackends(url: string): {
  stop(): Promise<{ backends: Record<string, number>; samples: number }>;
} {
  const client = new Client({ connectionString: url });
  client.on('error', () => {});
  const totals = new Map<string, number>();
  let samples = 0;
  let stopped = false;
  const loop = (async () => {
    await client.connect();
    while (!stopped) {
      const { rows } = await client.query<{ what: string; n: number }>(
        `select state || coalesce(' ' || wait_event_type || ':' || wait_event, '') as what, count(*)::int as n
         from pg_stat_activity
         where datname = current_database() and backend_type = 'client backend'
           and pid <> pg_backend_pid() and state <> 'idle'
         group by 1`,
      );
      samples++;
      for (const row of rows) totals.set(row.what, (totals.get(row.what) ?? 0) + row.n);
      await sleep(SAMPLE_MS);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop.catch(() => {});
      await client.end().catch(() => {});
      const backends = Object.fromEntries(
        [...totals].sort(([, a], [, b]) => b - a).map(([what, n]) => [what, samples === 0 ? 0 : n / samples]),
      );
      return { backends, samples };
    },
  };
}
