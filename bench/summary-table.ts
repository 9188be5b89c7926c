/** Formats the benchmark figures as a compact plain-text summary, with the issue's goals checked. */

import type { DecideResult } from './decide-latency.ts';
import type { ExecuteResult } from './execute-latency.ts';
import type { HttpResult } from './http-throughput.ts';
import type { McpResult, McpRun, McpSeries } from './mcp-overhead.ts';
import type { PgResult, PgRun } from './pg-throughput.ts';
import type { ReplayResult } from './replay-throughput.ts';
import type { AcknowledgedCheck } from './store-check.ts';

/** The goals stated by the issue ("100,000 recorded decisions replayed in a few seconds": at most 5). */
export const GOALS = {
  decideP99UsAt100Rules: 100,
  durableDecisionsPerSec: 3_000,
  replay100kSeconds: 5,
} as const;

const n = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const DECIDE_HEADER =
  'rules,types,keys,load ms,cold,miss p50,p50,p90,p99,max,cand/dec,match/dec,errors,others'.split(',');

const verdict = (met: boolean) => (met ? 'met' : 'MISSED');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return [line(header), ...rows.map(line)];
}

export function decideSummary(results: readonly DecideResult[]): string[] {
  const first = results[0];
  if (first === undefined) return [];
  const rows = results.map((r) => [
    n(r.rules),
    n(r.actionTypes),
    n(r.cacheKeys),
    n(r.loadMs),
    n(r.coldUs),
    n(r.missP50Us, 1),
    n(r.latency.p50, 1),
    n(r.latency.p90, 1),
    n(r.latency.p99, 1),
    n(r.latency.max),
    n(r.candidatesAvg, 1),
    n(r.matchedAvg, 1),
    n(r.ruleErrors),
    r.othersCpu === null ? 'n/a' : n(r.othersCpu, 2),
  ]);
  const lines = [
    `decide(facts, bundle), in process: ${n(first.decisions)} timed decisions per bundle after warm-up; times in µs`,
    ...table(DECIDE_HEADER, rows),
    '  cold: first call on the bundle; miss: warm code, candidate cache empty; cand: rules whose match fits;',
    '  match: rules whose condition held (or failed); keys: distinct (type, environment) in the request set;',
    '  others: cores kept busy by other processes meanwhile (noise; well above 0 makes the tail suspect)',
  ];
  for (const r of results) {
    const total = Object.values(r.effects).reduce((a, b) => a + b, 0);
    const spread = Object.entries(r.effects)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([effect, count]) => `${effect} ${n((count / total) * 100)}%`)
      .join(', ');
    lines.push(`  effects at ${n(r.rules)} rules: ${spread}`);
  }
  const at100 = results.find((r) => r.rules === 100);
  if (at100 !== undefined) {
    const goal = GOALS.decideP99UsAt100Rules;
    lines.push(
      `  goal p99 < ${goal} µs at 100 rules: ${n(at100.latency.p99, 1)} µs, ${verdict(at100.latency.p99 < goal)}`,
    );
  }
  return lines;
}

export function httpSummary(r: HttpResult): string[] {
  const goal = GOALS.durableDecisionsPerSec;
  const d = r.durability;
  const batch =
    r.commitBatch === null
      ? 'histogram not populated (no samples)'
      : `mean ${n(r.commitBatch.mean, 1)} writes per commit, ${n(r.commitBatch.commits)} commits incl. warm-up (${r.commitBatch.spread})`;
  const rows: [string, string][] = [
    ['decisions/s (2xx)', `${n(r.requestsPerSec)}   goal > ${n(goal)}: ${verdict(r.requestsPerSec > goal)}`],
    ['latency p50 / p99 / max', `${n(r.latencyMs.p50)} / ${n(r.latencyMs.p99)} / ${n(r.latencyMs.max)} ms`],
    ['2xx / non-2xx / errors', `${n(r.ok2xx)} / ${n(r.non2xx)} / ${n(r.errors)}`],
    [
      'CPU (cores busy)',
      `server ${r.cpu.server === null ? 'n/a' : n(r.cpu.server, 2)}, load generator ${n(r.cpu.loadGenerator, 2)}, ` +
        `other processes ${r.cpu.others === null ? 'n/a' : n(r.cpu.others, 2)}`,
    ],
    [
      'server-side means',
      `decide ${r.server.decideMeanUs === null ? 'n/a' : `${n(r.server.decideMeanUs, 1)} µs`}, POST /v1/actions ${r.server.requestMeanMs === null ? 'n/a' : `${n(r.server.requestMeanMs, 2)} ms`}`,
    ],
    ['group commit batch', batch],
    ['durability', durabilityText(d, `server exit ${d.serverExit}`)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    `HTTP POST /v1/actions, durable (SQLite WAL, synchronous=FULL): ${r.connections} connections, ${n(r.durationS, 1)} s`,
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
  ];
}

/** The store check of a throughput run: acknowledged decisions stored once each, and the chain. */
function durabilityText(
  d: {
    readonly acknowledged: number;
    readonly actionsStored: number;
    readonly auditOk: boolean;
    readonly auditEvents: number;
    readonly auditProblem: string | null;
    readonly acknowledgedCheck: AcknowledgedCheck | null;
  },
  exits: string,
): string {
  const extra = d.actionsStored - d.acknowledged;
  return (
    `${n(d.acknowledged)} acknowledged (2xx, warm-up + run), ${n(d.actionsStored)} actions stored ` +
    `(${onceText(d.acknowledgedCheck, d.actionsStored >= d.acknowledged)}` +
    `${extra > 0 ? `; ${n(extra)} more were in flight when the load stopped` : ''}); ` +
    `audit chain ${d.auditOk ? 'ok' : `BROKEN: ${d.auditProblem}`} (${n(d.auditEvents)} events); ${exits}`
  );
}

function onceText(check: AcknowledgedCheck | null, countsOk: boolean): string {
  if (check === null) return verdict(countsOk);
  if (check.ok) return 'each acknowledged one stored exactly once: met';
  return (
    `MISSED: ${n(check.missing)} acknowledged not stored, ${n(check.notOnceInAudit)} not exactly once in the audit log` +
    ` (e.g. ${check.examples.join(', ')})`
  );
}

/** Whether a run met the throughput goal, and stored what it acknowledged. */
function runVerdict(requestsPerSec: number, check: AcknowledgedCheck | null, auditOk: boolean): string {
  const goal = verdict(requestsPerSec > GOALS.durableDecisionsPerSec);
  const stored = check === null ? 'n/a' : check.ok ? 'ok' : 'MISSED';
  return `${goal.padEnd(7)}stored ${stored}, chain ${auditOk ? 'ok' : 'BROKEN'}`;
}

/** SQLite and PostgreSQL (one and several replicas) side by side: durable decisions per second over HTTP. */
export function durableSummary(http: HttpResult | null, pg: PgResult | null): string[] {
  const header = [
    'storage',
    'servers',
    'decisions/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'non-2xx',
    'cores busy',
    'others',
  ];
  header.push(`goal > ${n(GOALS.durableDecisionsPerSec)}, store`);
  const rows: string[][] = [];
  if (http !== null) {
    rows.push([
      'SQLite',
      '1',
      n(http.requestsPerSec),
      n(http.latencyMs.p50),
      n(http.latencyMs.p99),
      n(http.latencyMs.max),
      n(http.non2xx + http.errors),
      http.cpu.server === null ? 'n/a' : `${n(http.cpu.server, 2)} server`,
      http.cpu.others === null ? 'n/a' : n(http.cpu.others, 2),
      runVerdict(http.requestsPerSec, http.durability.acknowledgedCheck, http.durability.auditOk),
    ]);
  }
  for (const r of pg?.runs ?? []) {
    rows.push([
      'PostgreSQL',
      n(r.replicas),
      n(r.requestsPerSec),
      n(r.latencyMs.p50),
      n(r.latencyMs.p99),
      n(r.latencyMs.max),
      n(r.non2xx + r.errors),
      `${r.cpu.servers === null ? 'n/a' : n(r.cpu.servers, 2)} servers + ${r.cpu.database === null ? 'n/a' : n(r.cpu.database, 2)} db`,
      r.cpu.others === null ? 'n/a' : n(r.cpu.others, 2),
      runVerdict(r.requestsPerSec, r.durability.acknowledgedCheck, r.durability.auditOk),
    ]);
  }
  const connections = http?.connections ?? pg?.runs[0]?.connections;
  const lines = [
    `Durable decisions per second, HTTP POST /v1/actions${connections === undefined ? '' : `, ${connections} connections in all`}` +
      ' (SQLite WAL synchronous=FULL; PostgreSQL fsync, synchronous_commit, full_page_writes on)',
    ...(rows.length === 0 ? [] : table(header, rows).map((line) => `  ${line}`)),
  ];
  if (rows.length > 0) {
    lines.push(
      '  others: cores other processes kept busy meanwhile (noise; well above 0 makes the row suspect)',
    );
  }
  if (http === null) lines.push('  SQLite: not run this time (--only)');
  if (pg === null) lines.push('  PostgreSQL: not run this time (--only)');
  else if (pg.skipped !== null) lines.push(`  PostgreSQL: skipped, ${pg.skipped}`);
  return lines;
}

/** The PostgreSQL runs in detail: where the time went, group commit, the database's view, the store check. */
export function pgSummary(pg: PgResult): string[] {
  if (pg.skipped !== null || pg.postgres === null) return [`PostgreSQL throughput: skipped, ${pg.skipped}`];
  const settings = Object.entries(pg.postgres.settings)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  const lines = [`PostgreSQL ${pg.postgres.version} throughput runs (${settings}):`];
  for (const r of pg.runs) lines.push(...pgRunLines(r));
  lines.push(
    '  backends: `active Lock:advisory` queued on the audit chain lock; `idle in transaction` holding it (or about to)',
    '  while Airlock computes its next statement; `active IO:WALSync` / `LWLock:WALWrite` flushing a commit;',
    '  group commit batch: the decision writes only (claims and permits commit apart, batched per event-loop turn)',
  );
  return lines;
}

function pgRunLines(r: PgRun): string[] {
  const d = r.durability;
  const db = r.database;
  const stored = d.actionsStored;
  const cpu = (value: number | null) => (value === null ? 'n/a' : n(value, 2));
  const batch =
    r.commitBatch === null
      ? 'histogram not populated (no samples)'
      : `mean ${n(r.commitBatch.mean, 1)} writes per commit, ${n(r.commitBatch.commits)} commits incl. warm-up (${r.commitBatch.spread})`;
  const backends = Object.entries(db.backends)
    .filter(([, mean]) => mean >= 0.05)
    .map(([what, mean]) => `${what} ${n(mean, 1)}`)
    .join(', ');
  const rows: [string, string][] = [
    [
      'decisions/s (2xx)',
      `${n(r.requestsPerSec)}   goal > ${n(GOALS.durableDecisionsPerSec)}: ${verdict(r.requestsPerSec > GOALS.durableDecisionsPerSec)}`,
    ],
    ['latency p50 / p99 / max', `${n(r.latencyMs.p50)} / ${n(r.latencyMs.p99)} / ${n(r.latencyMs.max)} ms`],
    ['2xx / non-2xx / errors', `${n(r.ok2xx)} / ${n(r.non2xx)} / ${n(r.errors)}`],
    [
      'answered per server',
      `${r.perReplica.map((count) => (count === null ? 'n/a' : n(count))).join(' / ')} POST /v1/actions (warm-up + run)`,
    ],
    [
      'CPU (cores busy)',
      `servers ${cpu(r.cpu.servers)}, PostgreSQL ${cpu(r.cpu.database)}, load generator ${cpu(r.cpu.loadGenerator)}, ` +
        `other processes ${cpu(r.cpu.others)}`,
    ],
    [
      'server-side means',
      `decide ${r.server.decideMeanUs === null ? 'n/a' : `${n(r.server.decideMeanUs, 1)} µs`}, POST /v1/actions ${r.server.requestMeanMs === null ? 'n/a' : `${n(r.server.requestMeanMs, 2)} ms`}`,
    ],
    ['group commit batch', batch],
    [
      'WAL flushes',
      db.walSyncs === null
        ? 'n/a (pg_stat_wal unreadable)'
        : `${n(db.walSyncs)} for ${n(stored)} stored decisions (${db.walSyncs === 0 ? 'n/a' : n(stored / db.walSyncs, 1)} per flush); ` +
          `${db.transactions === null ? 'n/a' : n(db.transactions)} transactions committed, reads included (warm-up + run)`,
    ],
    ['backends (mean of samples)', backends === '' ? 'n/a' : backends],
    ['durability', durabilityText(d, `server exits ${d.serverExits.join(', ')}`)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    `  ${n(r.replicas)} server${r.replicas === 1 ? '' : 's'}, ${r.connections} connections in all, ${n(r.durationS, 1)} s`,
    ...rows.map(([label, value]) => `    ${label.padEnd(width)}  ${value}`),
  ];
}

export function executeSummary(r: ExecuteResult): string[] {
  const ms = (value: number) => n(value, 2);
  const rows: [string, string][] = [
    [
      'executed (sent → succeeded)',
      `${ms(r.executeMs.p50)} / ${ms(r.executeMs.p99)} / ${ms(r.executeMs.max)} ms`,
    ],
    ['  of which sent → 201', `${ms(r.answerMs.p50)} / ${ms(r.answerMs.p99)} / ${ms(r.answerMs.max)} ms`],
    ['advised (sent → 201)', `${ms(r.adviseMs.p50)} / ${ms(r.adviseMs.p99)} / ${ms(r.adviseMs.max)} ms`],
    ['bare fleet call', `${ms(r.targetMs.p50)} / ${ms(r.targetMs.p99)} / ${ms(r.targetMs.max)} ms`],
    ['execute − advise', `${ms(r.overheadMs.p50)} ms at p50, ${ms(r.overheadMs.p99)} ms at p99`],
    ['failures', n(r.failures)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    `Execute path, in process over HTTP: ${n(r.actions)} sequential service.restart actions against the sandbox fleet; p50 / p99 / max`,
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
  ];
}

export function replaySummary(r: ReplayResult): string[] {
  const goal = GOALS.replay100kSeconds;
  const per100k = (r.replaySeconds / r.decisions) * 100_000;
  const rows: [string, string][] = [
    [
      'replayed',
      `${n(r.decisions)} decisions in ${n(r.replaySeconds, 2)} s: ${n(r.decisionsPerSec)} decisions/s`,
    ],
    [
      'goal 100k in a few seconds',
      r.decisions < 100_000
        ? `${n(per100k, 1)} s per 100k (extrapolated from a short run: no verdict)`
        : `${n(per100k, 1)} s per 100k, goal ≤ ${goal} s: ${verdict(per100k <= goal)}`,
    ],
    ['of which reading', `${n(r.readSeconds, 2)} s to page through the store alone (SQLite, JSON)`],
    [
      'outcome',
      `${n(r.totals.unchanged)} unchanged, ${n(r.totals.stricter)} stricter, ${n(r.totals.looser)} looser, ` +
        `${n(r.totals.skipped)} skipped; ${n(r.unrecorded)} touch a new limit's unrecorded counters`,
    ],
    ['history written in', `${n(r.writeSeconds, 1)} s (not measured)`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    'Replay (airlock replay), in process: recorded decisions in SQLite decided again with a candidate bundle',
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
  ];
}

export function mcpSummary(r: McpResult): string[] {
  const ms = (value: number) => n(value, 2);
  const seriesLine = (s: McpSeries) =>
    `${n(s.callsPerSec).padStart(6)} calls/s   p50 ${ms(s.latencyMs.p50)}  p99 ${ms(s.latencyMs.p99)}  mean ${ms(s.latencyMs.mean)}  max ${ms(s.latencyMs.max)} ms`;
  const runLines = (label: string, run: McpRun): [string, string][] => [
    [`${label}: direct`, seriesLine(run.direct)],
    [`${label}: via Airlock`, seriesLine(run.proxied)],
    [
      `${label}: overhead/call`,
      `${ms(run.overheadMs.mean)} ms mean, ${ms(run.overheadMs.p50)} ms p50, ${ms(run.overheadMs.p99)} ms p99` +
        (run.serverCpuMsPerCall === null ? '' : `; Airlock CPU ${ms(run.serverCpuMsPerCall)} ms/call`),
    ],
  ];
  const c = r.checks;
  const s = r.server;
  const others = Object.entries(c.statuses).filter(([status]) => status !== 'succeeded');
  const rows: [string, string][] = [
    ...runLines('sequential', r.sequential),
    ...runLines(`${r.concurrent.concurrency} at once`, r.concurrent),
    [
      'server side, per call',
      `decide ${s.decideMeanUs === null ? 'n/a' : `${n(s.decideMeanUs, 1)} µs`}, ` +
        `${s.auditEventsPerCall === null ? 'n/a' : n(s.auditEventsPerCall, 1)} audit events, ` +
        `${s.commitsPerCall === null ? 'n/a' : n(s.commitsPerCall, 2)} group commits of the decision log ` +
        `(${s.writesPerCommit === null ? 'n/a' : n(s.writesPerCommit, 1)} writes per commit)`,
    ],
    [
      'durability',
      `${n(c.proxiedCalls)} proxied calls (warm-up included), ${n(c.succeededActions)} succeeded actions ` +
        `(${c.succeededActions === c.proxiedCalls && c.actionsStored === c.proxiedCalls ? 'ok' : 'MISMATCH'}` +
        `${others.length === 0 ? '' : `; also ${others.map(([st, k]) => `${k} ${st}`).join(', ')}`}); ` +
        `audit chain ${c.auditOk ? 'ok' : `BROKEN: ${c.auditProblem}`} (${n(c.auditEvents)} events); ` +
        `${n(c.failures)} unexpected answers; server exit ${c.serverExit}`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    `MCP gateway overhead: ${r.tool} (stdio) called directly vs through Airlock's /mcp (streamable HTTP, durable, level 2 executes); ` +
      `${n(r.sequential.direct.calls)} sequential + ${n(r.concurrent.direct.calls)} concurrent calls per path`,
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
  ];
}
