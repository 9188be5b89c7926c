/** Runs the decide-latency and HTTP-throughput benchmarks in sequence and prints a summary (or JSON). */

import os from 'node:os';
import { parseArgs } from 'node:util';
import { DECIDE_DEFAULTS, type DecideResult, runDecideLatency } from './decide-latency.ts';
import { HTTP_DEFAULTS, type HttpResult, runHttpThroughput } from './http-throughput.ts';
import { decideSummary, GOALS, httpSummary } from './summary-table.ts';

const USAGE = `usage: node bench/run.ts [--json] [--only decide|http] [--quick] [--server-cpu-prof <dir>]
  --json             print the figures as JSON on stdout (progress still goes to stderr)
  --only             run one benchmark
  --quick            shorter runs (2,000 decisions; 3 s of HTTP load), for a smoke check
  --server-cpu-prof  write a V8 CPU profile of the server child into <dir>`;

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'server-cpu-prof': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help || (values.only !== undefined && !['decide', 'http'].includes(values.only))) {
  console.error(USAGE);
  process.exit(values.help ? 0 : 2);
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
if (values.only !== 'http') {
  decide = await runDecideLatency(
    [10, 100, 1_000],
    progress,
    values.quick ? { ...DECIDE_DEFAULTS, decisions: 2_000, warmup: 500 } : DECIDE_DEFAULTS,
  );
}
if (values.only !== 'decide') {
  const profileDir = values['server-cpu-prof'];
  http = await runHttpThroughput(progress, {
    ...(values.quick ? { ...HTTP_DEFAULTS, durationS: 3, warmupS: 1 } : HTTP_DEFAULTS),
    ...(profileDir === undefined ? {} : { serverNodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] }),
  });
}

if (values.json) {
  console.log(JSON.stringify({ environment, goals: GOALS, decide, http }, null, 2));
} else {
  const lines = [
    `Airlock benchmarks: node ${environment.node}, ${environment.cpus} CPUs (${environment.cpuModel})`,
    '',
    ...(decide === null ? [] : [...decideSummary(decide), '']),
    ...(http === null ? [] : httpSummary(http)),
  ];
  console.log(lines.join('\n'));
}
