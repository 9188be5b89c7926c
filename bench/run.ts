/** Runs the decide-latency, HTTP-throughput (SQLite, then PostgreSQL with one and three replicas), execute-latency, replay-throughput and MCP-overhead benchmarks in sequence and prints a summary (or JSON). */

import os from 'node:os';
import { parseArgs } from 'node:util';
import { DECIDE_DEFAULTS, type DecideResult, runDecideLatency } from './decide-latency.ts';
import { EXECUTE_DEFAULTS, type ExecuteResult, runExecuteLatency } from './execute-latency.ts';
import { HTTP_DEFAULTS, type HttpResult, runHttpThroughput } from './http-throughput.ts';
import { MCP_DEFAULTS, MCP_QUICK, type McpResult, runMcpOverhead } from './mcp-overhead.ts';
import { PG_DEFAULTS, type PgResult, runPgThroughput } from './pg-throughput.ts';
import { REPLAY_DEFAULTS, type ReplayResult, runReplayThroughput } from './replay-throughput.ts';
import {
  decideSummary,
  durableSummary,
  executeSummary,
  GOALS,
  httpSummary,
  mcpSummary,
  pgSummary,
  replaySummary,
} from './summary-table.ts';

const USAGE = `usage: node bench/run.ts [--json] [--only decide|http|pg|execute|replay|mcp] [--quick] [--server-cpu-prof <dir>]
  --json             print the figures as JSON on stdout (progress still goes to stderr)
  --only             run one benchmark (pg: the HTTP load on a durable PostgreSQL, 1 and 3 servers;
                     skipped with a message where PostgreSQL is not installed)
  --quick            shorter runs (2,000 decisions; 3 s of HTTP load per run; 50 executed actions; 10,000 replayed;
                     150 + 400 MCP calls per path), for a smoke check
  --server-cpu-prof  write a V8 CPU profile of the server children (http, pg, mcp) into <dir>`;

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'server-cpu-prof': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (
  values.help ||
  (values.only !== undefined && !['decide', 'http', 'pg', 'execute', 'replay', 'mcp'].includes(values.only))
) {
  console.error(USAGE);
  process.exit(values.help ? 0 : 2);
}

// Interrupted: exit properly, so that the exit hooks stop the server children and PostgreSQL.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => process.exit(code));
}

const progress = (line: string) => process.stderr.write(`${line}\n`);
const environment = {
  node: process.version,
  cpus: os.availableParallelism(),
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  platform: `${os.platform()} ${os.release()}`,
};

let decide: DecideResult[] | null = null;
let http: HttpResult | null = null;
let pg: PgResult | null = null;
let execute: ExecuteResult | null = null;
let replay: ReplayResult | null = null;
let mcp: McpResult | null = null;
const runs = (name: string) => values.only === undefined || values.only === name;
if (runs('decide')) {
  decide = await runDecideLatency(
    [10, 100, 1_000],
    progress,
    values.quick ? { ...DECIDE_DEFAULTS, decisions: 2_000, warmup: 500 } : DECIDE_DEFAULTS,
  );
}
if (runs('http')) {
  const profileDir = values['server-cpu-prof'];
  http = await runHttpThroughput(progress, {
    ...(values.quick ? { ...HTTP_DEFAULTS, durationS: 3, warmupS: 1 } : HTTP_DEFAULTS),
    ...(profileDir === undefined ? {} : { serverNodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] }),
  });
}
if (runs('pg')) {
  const profileDir = values['server-cpu-prof'];
  pg = await runPgThroughput(progress, {
    ...(values.quick ? { ...PG_DEFAULTS, durationS: 3, warmupS: 1 } : PG_DEFAULTS),
    ...(profileDir === undefined ? {} : { serverNodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] }),
  });
}
if (runs('execute')) {
  execute = await runExecuteLatency(
    progress,
    values.quick ? { ...EXECUTE_DEFAULTS, actions: 50, warmup: 10 } : EXECUTE_DEFAULTS,
  );
}
if (runs('replay')) {
  replay = await runReplayThroughput(progress, values.quick ? { decisions: 10_000 } : REPLAY_DEFAULTS);
}
if (runs('mcp')) {
  const profileDir = values['server-cpu-prof'];
  mcp = await runMcpOverhead(progress, {
    ...(values.quick ? MCP_QUICK : MCP_DEFAULTS),
    ...(profileDir === undefined ? {} : { serverNodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] }),
  });
}

if (values.json) {
  console.log(JSON.stringify({ environment, goals: GOALS, decide, http, pg, execute, replay, mcp }, null, 2));
} else {
  const lines = [
    `Airlock benchmarks: node ${environment.node}, ${environment.cpus} CPUs (${environment.cpuModel})`,
    '',
    ...(decide === null ? [] : [...decideSummary(decide), '']),
    ...(http === null ? [] : [...httpSummary(http), '']),
    ...(pg === null ? [] : [...pgSummary(pg), '']),
    ...(http === null && pg === null ? [] : [...durableSummary(http, pg), '']),
    ...(execute === null ? [] : [...executeSummary(execute), '']),
    ...(replay === null ? [] : [...replaySummary(replay), '']),
    ...(mcp === null ? [] : mcpSummary(mcp)),
  ];
  console.log(lines.join('\n'));
}
