/**
 * Measures the MCP gateway's overhead per allowed tool call. The same upstream tool (`echo` of the
 * reference server `@modelcontextprotocol/server-everything`, over stdio) is called by the official
 * SDK client (a) directly, connected straight to its own copy of the upstream server, and (b)
 * through Airlock's `/mcp` (streamable HTTP; the real server in a child process), by an agent at
 * level 2 whose calls carry a confidence and anomaly score, so that each one acts alone: proposed,
 * decided, durably recorded, permitted, forwarded upstream, and its outcome reported.
 *
 * Sequentially (one call at a time, direct and proxied interleaved so drift touches both alike),
 * then with `concurrency` callers: for the direct path they share one client (one upstream process,
 * as every Airlock session shares Airlock's one upstream connection), through Airlock each caller
 * has its own SDK client and session. At the end the server is stopped, the project reopened, the
 * audit chain verified and the actions counted: every proxied call must be one succeeded action.
 */

import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createAirlock } from '../src/gateway/airlock.ts';
import { everythingProject, serverScript } from '../test/mcp-helpers.ts';
import { processCpuSeconds } from './cpu-usage.ts';
import { histogram } from './prometheus-text.ts';
import { startServer } from './server-process.ts';
import { type LatencySummary, summarizeNs } from './stats.ts';
import { checkStore, type StoreCheck } from './store-check.ts';
import { tempProject } from './temp-project.ts';

export interface McpOptions {
  /** Timed sequential calls per path (direct, proxied). */
  readonly sequentialCalls: number;
  /** Timed concurrent calls per path. */
  readonly concurrentCalls: number;
  /** Callers in flight at once in the concurrent run. */
  readonly concurrency: number;
  /** Untimed calls per path before each run (sequential, then concurrent). */
  readonly warmup: number;
  /** Extra node flags for the server child, e.g. `--cpu-prof`. */
  readonly serverNodeArgs?: readonly string[];
}

export const MCP_DEFAULTS: McpOptions = {
  sequentialCalls: 1_000,
  concurrentCalls: 4_000,
  concurrency: 8,
  warmup: 200,
};

export const MCP_QUICK: McpOptions = {
  sequentialCalls: 150,
  concurrentCalls: 400,
  concurrency: 8,
  warmup: 30,
};

export interface McpSeries {
  readonly calls: number;
  readonly seconds: number;
  readonly callsPerSec: number;
  /** Per call, in ms. */
  readonly latencyMs: LatencySummary;
}

export interface McpRun {
  readonly concurrency: number;
  readonly direct: McpSeries;
  readonly proxied: McpSeries;
  /** proxied − direct, per call in ms. */
  readonly overheadMs: { readonly mean: number; readonly p50: number; readonly p99: number };
  /** CPU time the Airlock process spent per proxied call of this run (ms), or null without /proc. */
  readonly serverCpuMsPerCall: number | null;
}

export interface McpResult {
  readonly tool: string;
  readonly sequential: McpRun;
  readonly concurrent: McpRun;
  /** From the server's /metrics, over every proxied call (warm-up included). */
  readonly server: {
    readonly decideMeanUs: number | null;
    readonly auditEventsPerCall: number | null;
    readonly commitsPerCall: number | null;
    readonly writesPerCommit: number | null;
  };
  readonly checks: StoreCheck & {
    /** Proxied calls made, warm-up included. */
    readonly proxiedCalls: number;
    /** Calls whose answer was not the echo (or, proxied, not marked succeeded). */
    readonly failures: number;
    readonly serverExit: number | string;
  };
}

const TOOL = 'echo';
const AGENT = 'mcp-bench-bot';
/** Levels 2 and 3 act alone only on a stated confidence and anomaly score. */
const CONFIDENT = { 'airlock/confidence': 0.95, 'airlock/anomalyScore': 0.1 };

const upstreamArgs = () => [serverScript('server-everything'), 'stdio'];

export async function runMcpOverhead(
  progress: (line: string) => void = () => {},
  options: McpOptions = MCP_DEFAULTS,
): Promise<McpResult> {
  const project = await tempProject(everythingProject('  requestTimeout: 20s\n'));
  try {
    progress('mcp: setting up agent and trust…');
    const setup = await createAirlock({ configPath: project.configPath, logLevel: 'warn' });
    const { token } = await setup.agents.add({ id: AGENT, owner: 'sre' }, { kind: 'system', id: 'bench' });
    await setup.trust.setLevel(
      { agentId: AGENT, scope: 'demo.call@staging', level: 2, reason: 'benchmark', override: true },
      setup.people.get('alice'),
    );
    await setup.close();

    progress('mcp: starting server and the direct upstream…');
    const server = await startServer(project.configPath, {
      logFile: path.join(project.dir, 'server.log'),
      ...(options.serverNodeArgs === undefined ? {} : { nodeArgs: options.serverNodeArgs }),
    });
    const clients: Client[] = [];
    try {
      const direct = new Client({ name: 'bench-direct', version: '1.0.0' });
      clients.push(direct);
      await direct.connect(
        new StdioClientTransport({ command: process.execPath, args: upstreamArgs(), stderr: 'ignore' }),
      );
      const proxied: Client[] = [];
      for (let i = 0; i < options.concurrency; i++) {
        const client = new Client({ name: `bench-agent-${i}`, version: '1.0.0' });
        clients.push(client);
        await client.connect(
          new StreamableHTTPClientTransport(new URL('/mcp', server.url), {
            requestInit: { headers: { authorization: `Bearer ${token}` } },
          }),
        );
        proxied.push(client);
      }
      const first = proxied[0];
      if (first === undefined) throw new Error('mcp: concurrency must be at least 1');

      let failures = 0;
      let proxiedCalls = 0;
      let serial = 0;
      const callDirect = async (): Promise<number> => {
        const message = `bench ${serial++}`;
        const start = performance.now();
        const result = await direct.callTool({ name: TOOL, arguments: { message } });
        const ms = performance.now() - start;
        if (result.isError === true || textOf(result) !== `Echo: ${message}`) failures++;
        return ms;
      };
      const callProxied = async (client: Client): Promise<number> => {
        const message = `bench ${serial++}`;
        proxiedCalls++;
        const start = performance.now();
        const result = await client.callTool({
          name: `everything.${TOOL}`,
          arguments: { message },
          _meta: CONFIDENT,
        });
        const ms = performance.now() - start;
        if (
          result.isError === true ||
          textOf(result) !== `Echo: ${message}` ||
          result._meta?.['airlock/status'] !== 'succeeded'
        ) {
          if (failures++ === 0) progress(`mcp: unexpected answer: ${JSON.stringify(result).slice(0, 500)}`);
        }
        return ms;
      };
      const serverCpu = () => processCpuSeconds(server.child.pid);

      // Sequential: one call at a time, direct and proxied interleaved.
      progress(`mcp: warm-up, ${options.warmup} sequential calls per path…`);
      for (let i = 0; i < options.warmup; i++) {
        await callDirect();
        await callProxied(first);
      }
      if (failures > 0) throw new Error(`mcp: ${failures} warm-up calls did not go as expected`);
      progress(`mcp: ${options.sequentialCalls} sequential calls per path (interleaved)…`);
      const seqDirect = new Float64Array(options.sequentialCalls);
      const seqProxied = new Float64Array(options.sequentialCalls);
      let cpuBefore = await serverCpu();
      for (let i = 0; i < options.sequentialCalls; i++) {
        seqDirect[i] = await callDirect();
        seqProxied[i] = await callProxied(first);
      }
      let cpuAfter = await serverCpu();
      const sequential = runOf(
        1,
        series(seqDirect),
        series(seqProxied),
        perCall(cpuBefore, cpuAfter, seqProxied),
      );

      // Concurrent: `concurrency` callers, each with one call in flight, until the count is reached.
      const concurrently = async (calls: number, callers: (() => Promise<number>)[]) => {
        const durations = new Float64Array(calls);
        let next = 0;
        const start = performance.now();
        await Promise.all(
          callers.map(async (call) => {
            while (next < calls) {
              const i = next++;
              durations[i] = await call();
            }
          }),
        );
        return { durations, seconds: (performance.now() - start) / 1e3 };
      };
      const directCallers = proxied.map(() => callDirect);
      const proxiedCallers = proxied.map((client) => () => callProxied(client));
      progress(`mcp: warm-up, ${options.warmup} calls per path, ${options.concurrency} at once…`);
      await concurrently(options.warmup, directCallers);
      await concurrently(options.warmup, proxiedCallers);
      progress(`mcp: ${options.concurrentCalls} direct calls, ${options.concurrency} at once…`);
      const conDirect = await concurrently(options.concurrentCalls, directCallers);
      progress(`mcp: ${options.concurrentCalls} proxied calls, ${options.concurrency} at once…`);
      cpuBefore = await serverCpu();
      const conProxied = await concurrently(options.concurrentCalls, proxiedCallers);
      cpuAfter = await serverCpu();
      const concurrent = runOf(
        options.concurrency,
        series(conDirect.durations, conDirect.seconds),
        series(conProxied.durations, conProxied.seconds),
        perCall(cpuBefore, cpuAfter, conProxied.durations),
      );

      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      progress('mcp: stopping server, verifying the audit chain…');
      for (const client of clients.splice(0)) await client.close().catch(() => undefined);
      const serverExit = await server.stop();
      const stored = await checkStore(project.configPath, project.dbPath);

      const decide = histogram(metrics, 'airlock_decide_seconds');
      const batch = histogram(metrics, 'airlock_commit_batch_size');
      const auditEvents = counterSum(metrics, 'airlock_audit_events_total');
      return {
        tool: `everything.${TOOL}`,
        sequential,
        concurrent,
        server: {
          decideMeanUs: decide === null ? null : (decide.sum / decide.count) * 1e6,
          auditEventsPerCall: auditEvents === null ? null : auditEvents / proxiedCalls,
          commitsPerCall: batch === null ? null : batch.count / proxiedCalls,
          writesPerCommit: batch === null ? null : batch.sum / batch.count,
        },
        checks: { proxiedCalls, failures, ...stored, serverExit },
      };
    } finally {
      for (const client of clients) await client.close().catch(() => undefined);
      await server.stop();
    }
  } finally {
    await project.remove();
  }
}

function series(durationsMs: Float64Array, seconds?: number): McpSeries {
  let sum = 0;
  for (const d of durationsMs) sum += d;
  // Sequential calls: the run's time is the sum of the calls' (the other path's calls left out).
  const wall = seconds ?? sum / 1e3;
  return {
    calls: durationsMs.length,
    seconds: wall,
    callsPerSec: durationsMs.length / wall,
    latencyMs: summarizeNs(durationsMs.map((d) => d * 1e3)),
  };
}

function runOf(
  concurrency: number,
  direct: McpSeries,
  proxied: McpSeries,
  serverCpuMsPerCall: number | null,
) {
  return {
    concurrency,
    direct,
    proxied,
    overheadMs: {
      mean: proxied.latencyMs.mean - direct.latencyMs.mean,
      p50: proxied.latencyMs.p50 - direct.latencyMs.p50,
      p99: proxied.latencyMs.p99 - direct.latencyMs.p99,
    },
    serverCpuMsPerCall,
  };
}

function perCall(before: number | null, after: number | null, calls: Float64Array): number | null {
  return before === null || after === null ? null : ((after - before) * 1e3) / calls.length;
}

function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}

/** The sum of every series of a counter, or null when it has none. */
function counterSum(text: string, name: string): number | null {
  let total: number | null = null;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] === name) total = (total ?? 0) + Number(match[2]);
  }
  return total;
}
