/**
 * Measures the overhead of the execute path: an in-process Airlock over real HTTP, an agent at
 * level 2, `service.restart` executed against the sandbox fleet (no delay). Per action, the time
 * from sending the proposal until the action is `succeeded` (decision, claim, executor call,
 * recording), against an `advise` proposal's decision-only latency and a bare call to the fleet.
 */

import { performance } from 'node:perf_hooks';
import { startFleet } from '../sandbox/fleet.ts';
import { buildServer } from '../src/api/server.ts';
import { type Airlock, createAirlock } from '../src/gateway/airlock.ts';
import { catalogWith, fleetTypes } from '../test/execution-helpers.ts';
import { restart } from '../test/harness.ts';
import { type LatencySummary, summarizeNs } from './stats.ts';
import { tempProject } from './temp-project.ts';

export interface ExecuteOptions {
  /** Timed actions per kind, sent one after another. */
  readonly actions: number;
  readonly warmup: number;
}

export const EXECUTE_DEFAULTS: ExecuteOptions = { actions: 300, warmup: 30 };

export interface ExecuteResult {
  readonly actions: number;
  /** Proposal sent → action `succeeded` (in ms). */
  readonly executeMs: LatencySummary;
  /** Of those, proposal sent → the 201 answer (decision and claim; the call runs after). */
  readonly answerMs: LatencySummary;
  /** Proposal sent → 201 for an `advise` proposal: the decision alone. */
  readonly adviseMs: LatencySummary;
  /** A direct POST to the fleet's restart endpoint: the executor's target on its own. */
  readonly targetMs: LatencySummary;
  /** executeMs − adviseMs, at p50 and p99. */
  readonly overheadMs: { readonly p50: number; readonly p99: number };
  /** Actions that did not end `succeeded` / proposals not answered as expected. */
  readonly failures: number;
}

/** A LatencySummary of durations in ms (summarizeNs takes ns and gives µs). */
const summarizeMs = (ms: Float64Array): LatencySummary =>
  summarizeNs(ms.map((d) => d * 1e6).map((d) => d / 1e3));

export async function runExecuteLatency(
  progress: (line: string) => void = () => {},
  options: ExecuteOptions = EXECUTE_DEFAULTS,
): Promise<ExecuteResult> {
  const fleet = await startFleet();
  const project = await tempProject({
    'catalog.yaml': (original) => catalogWith(original, fleetTypes(fleet.url)),
  });
  let airlock: Airlock | null = null;
  let app: ReturnType<typeof buildServer> | null = null;
  try {
    airlock = await createAirlock({ configPath: project.configPath, logLevel: 'warn' });
    app = buildServer(airlock);
    await airlock.recordPolicyInForce('startup');
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const { token } = await airlock.agents.add(
      { id: 'bench-bot', owner: 'sre' },
      { kind: 'system', id: 'bench' },
    );
    await airlock.trust.setLevel(
      {
        agentId: 'bench-bot',
        scope: 'service.restart@staging',
        level: 2,
        reason: 'benchmark',
        override: true,
      },
      airlock.people.get('alice'),
    );

    // When each action reached `succeeded`, from the in-process change feed (no polling delay).
    const succeeded = new Map<string, number>();
    const waiting = new Map<string, () => void>();
    airlock.events.subscribe('*', (change) => {
      if (change.status !== 'succeeded') return;
      succeeded.set(change.actionId, performance.now());
      waiting.get(change.actionId)?.();
    });
    const reachSucceeded = (id: string, timeoutMs = 10_000) =>
      new Promise<boolean>((resolve) => {
        if (succeeded.has(id)) return resolve(true);
        const timer = setTimeout(() => {
          waiting.delete(id);
          resolve(false);
        }, timeoutMs);
        waiting.set(id, () => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(true);
        });
      });

    const propose = async (body: unknown) => {
      const response = await fetch(`${url}/v1/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return {
        status: response.status,
        body: (await response.json()) as { id: string; decision: { effect: string } },
      };
    };
    const executeBody = restart({ targets: [{ id: 'search' }], confidence: 0.95, anomalyScore: 0.1 });
    // Level 0 in production: the agent may only advise.
    const adviseBody = restart({ environment: 'production', targets: [{ id: 'search' }], confidence: 0.95 });

    let failures = 0;
    const executeOnce = async (): Promise<[number, number] | null> => {
      const start = performance.now();
      const answer = await propose(executeBody);
      const answered = performance.now();
      if (
        answer.status !== 201 ||
        answer.body.decision.effect !== 'execute' ||
        !(await reachSucceeded(answer.body.id))
      )
        return null;
      return [answered - start, (succeeded.get(answer.body.id) ?? Number.NaN) - start];
    };
    const adviseOnce = async (): Promise<number | null> => {
      const start = performance.now();
      const answer = await propose(adviseBody);
      const ms = performance.now() - start;
      return answer.status === 201 && answer.body.decision.effect === 'advise' ? ms : null;
    };
    const targetOnce = async (): Promise<number> => {
      const start = performance.now();
      const response = await fetch(`${fleet.url}/services/search/restart`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      await response.arrayBuffer();
      if (response.status !== 200) failures++;
      return performance.now() - start;
    };

    progress(`execute: warming up (${options.warmup} of each)…`);
    for (let i = 0; i < options.warmup; i++) {
      if ((await executeOnce()) === null) failures++;
      if ((await adviseOnce()) === null) failures++;
      await targetOnce();
    }
    const failedWarmup = failures;
    if (failedWarmup > 0)
      throw new Error(`execute: ${failedWarmup} warm-up proposals did not go as expected`);

    progress(
      `execute: ${options.actions} executed actions, ${options.actions} advised, ${options.actions} bare calls…`,
    );
    const execute = new Float64Array(options.actions);
    const answer = new Float64Array(options.actions);
    const advise = new Float64Array(options.actions);
    const target = new Float64Array(options.actions);
    // Interleaved, so drift (WAL growth, other load) touches every series alike.
    for (let i = 0; i < options.actions; i++) {
      const executed = await executeOnce();
      if (executed === null) failures++;
      else [answer[i], execute[i]] = executed;
      const advised = await adviseOnce();
      if (advised === null) failures++;
      else advise[i] = advised;
      target[i] = await targetOnce();
    }

    const executeMs = summarizeMs(execute);
    const adviseMs = summarizeMs(advise);
    return {
      actions: options.actions,
      executeMs,
      answerMs: summarizeMs(answer),
      adviseMs,
      targetMs: summarizeMs(target),
      overheadMs: { p50: executeMs.p50 - adviseMs.p50, p99: executeMs.p99 - adviseMs.p99 },
      failures,
    };
  } finally {
    await app?.close();
    await airlock?.close();
    await fleet.close();
    await project.remove();
  }
}
