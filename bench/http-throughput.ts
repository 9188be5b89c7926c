/** Measures durable decisions per second over HTTP: the real server in a child process, driven by autocannon. */

import path from 'node:path';
import { machineBusySeconds, processCpuSeconds } from './cpu-usage.ts';
import { prepareDecisionAgent, runDecisionLoad } from './decision-load.ts';
import { bucketSpread, histogram } from './prometheus-text.ts';
import { startServer } from './server-process.ts';
import { type AcknowledgedCheck, checkStore } from './store-check.ts';
import { tempProject } from './temp-project.ts';

export interface HttpOptions {
  readonly connections: number;
  readonly durationS: number;
  readonly warmupS: number;
  /** Extra node flags for the server child, e.g. `--cpu-prof`. */
  readonly serverNodeArgs?: readonly string[];
}

export const HTTP_DEFAULTS: HttpOptions = { connections: 64, durationS: 10, warmupS: 2 };

export interface HttpResult {
  readonly connections: number;
  readonly durationS: number;
  /** 2xx responses per second of the measured run. */
  readonly requestsPerSec: number;
  readonly ok2xx: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** CPU time over wall time during the measured run (1.0 = one core busy); `others`: every other process. */
  readonly cpu: {
    readonly server: number | null;
    readonly loadGenerator: number;
    readonly others: number | null;
  };
  /** From /metrics: mean time in decide() and per POST /v1/actions as the server saw it. */
  readonly server: { readonly decideMeanUs: number | null; readonly requestMeanMs: number | null };
  /** airlock_commit_batch_size, or null when the histogram has no samples. */
  readonly commitBatch: { readonly mean: number; readonly commits: number; readonly spread: string } | null;
  readonly durability: {
    /** 2xx answers over warm-up and run: every one of them must be stored. */
    readonly acknowledged: number;
    readonly actionsStored: number;
    readonly auditOk: boolean;
    readonly auditEvents: number;
    readonly auditProblem: string | null;
    /** Each acknowledged action id stored exactly once (row, proposal and decision event). */
    readonly acknowledgedCheck: AcknowledgedCheck | null;
    readonly serverExit: number | string;
  };
}

export async function runHttpThroughput(
  progress: (line: string) => void = () => {},
  options: HttpOptions = HTTP_DEFAULTS,
): Promise<HttpResult> {
  const project = await tempProject();
  try {
    progress('http: setting up agent and trust…');
    const token = await prepareDecisionAgent(project.configPath);

    progress('http: starting server…');
    const server = await startServer(project.configPath, {
      logFile: path.join(project.dir, 'server.log'),
      ...(options.serverNodeArgs === undefined ? {} : { nodeArgs: options.serverNodeArgs }),
    });
    try {
      const acknowledged = new Set<string>();
      const load = (durationS: number) =>
        runDecisionLoad({
          urls: [server.url],
          token,
          connections: options.connections,
          durationS,
          acknowledged,
        });
      progress(`http: warm-up ${options.warmupS} s…`);
      const warmup = await load(options.warmupS);
      progress(`http: ${options.connections} connections for ${options.durationS} s…`);
      const serverCpuBefore = await processCpuSeconds(server.child.pid);
      const machineBefore = await machineBusySeconds();
      const ownCpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      const run = await load(options.durationS);
      const wallS = (performance.now() - wallBefore) / 1e3;
      const ownCpu = process.cpuUsage(ownCpuBefore);
      const serverCpuAfter = await processCpuSeconds(server.child.pid);
      const machineAfter = await machineBusySeconds();
      const metrics = await (await fetch(`${server.url}/metrics`)).text();

      progress('http: stopping server, verifying the audit chain…');
      const serverExit = await server.stop();
      const stored = await checkStore(project.configPath, project.storage, acknowledged);
      const durability = {
        actionsStored: stored.actionsStored,
        auditOk: stored.auditOk,
        auditEvents: stored.auditEvents,
        auditProblem: stored.auditProblem,
        acknowledgedCheck: stored.acknowledged,
      };
      const batch = histogram(metrics, 'airlock_commit_batch_size');
      const decideS = histogram(metrics, 'airlock_decide_seconds');
      const requestS = histogram(metrics, 'airlock_http_request_seconds', 'route="/v1/actions"');
      return {
        connections: options.connections,
        durationS: run.duration,
        requestsPerSec: run['2xx'] / run.duration,
        ok2xx: run['2xx'],
        non2xx: run.non2xx + warmup.non2xx,
        errors: run.errors + warmup.errors,
        latencyMs: { p50: run.latency.p50, p99: run.latency.p99, max: run.latency.max },
        cpu: cpuShares(
          wallS,
          (ownCpu.user + ownCpu.system) / 1e6,
          [serverCpuBefore, serverCpuAfter],
          [machineBefore, machineAfter],
        ),
        server: {
          decideMeanUs: decideS === null ? null : (decideS.sum / decideS.count) * 1e6,
          requestMeanMs: requestS === null ? null : (requestS.sum / requestS.count) * 1e3,
        },
        commitBatch:
          batch === null
            ? null
            : { mean: batch.sum / batch.count, commits: batch.count, spread: bucketSpread(batch) },
        durability: { acknowledged: warmup['2xx'] + run['2xx'], ...durability, serverExit },
      };
    } finally {
      await server.stop();
    }
  } finally {
    await project.remove();
  }
}

export function cpuShares(
  wallS: number,
  ownS: number,
  [serverBefore, serverAfter]: [number | null, number | null],
  [machineBefore, machineAfter]: [number | null, number | null],
): HttpResult['cpu'] {
  const server = serverBefore === null || serverAfter === null ? null : (serverAfter - serverBefore) / wallS;
  const machine =
    machineBefore === null || machineAfter === null ? null : (machineAfter - machineBefore) / wallS;
  const loadGenerator = ownS / wallS;
  const others = machine === null || server === null ? null : Math.max(0, machine - server - loadGenerator);
  return { server, loadGenerator, others };
}
