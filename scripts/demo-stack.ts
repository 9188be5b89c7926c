/**
 * Everything the demo runs, started in order and stopped in reverse: the sandbox fleet, Prometheus
 * scraping it (when installed), the project copy, an agent and alice's token, and the server.
 */

import { rm } from 'node:fs/promises';
import { type Fleet, startFleet } from '../sandbox/fleet.ts';
import { type PrometheusServer, startPrometheus } from '../test/prometheus-server.ts';
import { createDemoProject, type DemoProject, SERVICES } from './demo-project.ts';
import { airlockCli, PortBusyError, type ServerProcess, startServer } from './demo-server.ts';

export const AGENT = 'incident-bot';
export const AGENT_OWNER = 'sre';
export const ADMIN = 'alice';

export interface StackOptions {
  readonly fast: boolean;
  readonly keep: boolean;
  readonly port: number;
  readonly portGiven: boolean;
  readonly prometheus: boolean;
}

export interface Stack {
  readonly fleet: Fleet;
  readonly prometheus: PrometheusServer | null;
  /** Why there is no Prometheus, when there is none. */
  readonly prometheusMissing: string | null;
  readonly project: DemoProject;
  readonly server: ServerProcess;
  readonly agentToken: string;
  readonly adminToken: string;
  /** Stop the server, the fleet and Prometheus; remove the project unless kept. Safe to call twice. */
  stop(): Promise<void>;
}

/** Start everything; `progress` hears each part as it comes up. On failure, what started is stopped. */
export async function startStack(options: StackOptions, progress: (line: string) => void): Promise<Stack> {
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = once(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  });
  try {
    const fleet = await startFleet({ services: { ...SERVICES } });
    stops.push(() => fleet.close());
    progress(`sandbox fleet on ${fleet.url} (${Object.keys(SERVICES).join(', ')})`);

    const { prometheus, missing } = options.prometheus
      ? await startPrometheusFor(fleet)
      : { prometheus: null, missing: 'not started (--no-prometheus)' };
    if (prometheus !== null) {
      stops.push(() => prometheus.stop());
      progress(`Prometheus on ${prometheus.url}, scraping the fleet every second`);
    }

    const project = await createDemoProject({
      fleetUrl: fleet.url,
      prometheusUrl: prometheus?.url ?? null,
      fast: options.fast,
    });
    stops.push(() => (options.keep ? Promise.resolve() : rm(project.dir, { recursive: true, force: true })));
    progress(`project: a copy of examples/quickstart in ${project.dir}`);

    const { token: agentToken } = await airlockCli<{ token: string }>(project.configPath, [
      'agents',
      'add',
      AGENT,
      '--owner',
      AGENT_OWNER,
    ]);
    const { token: adminToken } = await airlockCli<{ token: string }>(project.configPath, [
      'people',
      'token',
      ADMIN,
    ]);
    progress(`registered agent ${AGENT} (owner ${AGENT_OWNER}) and issued a token for ${ADMIN}`);

    const server = await startServerOn(project, options, progress);
    stops.push(() => server.stop());
    progress(`airlock serve (pid ${server.pid}) on ${server.url}; its log: ${project.logFile}`);
    return {
      fleet,
      prometheus,
      prometheusMissing: missing,
      project,
      server,
      agentToken,
      adminToken,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function startPrometheusFor(
  fleet: Fleet,
): Promise<{ prometheus: PrometheusServer | null; missing: string | null }> {
  try {
    const prometheus = await startPrometheus({
      targets: [{ job: 'fleet', hosts: [new URL(fleet.url).host] }],
    });
    try {
      await prometheus.waitForSeries('fleet_service_error_ratio{service="production-checkout"}');
    } catch (error) {
      await prometheus.stop();
      throw error;
    }
    return { prometheus, missing: null };
  } catch (error) {
    const first = (error as Error).message.split('\n')[0] ?? 'unknown error';
    return { prometheus: null, missing: first };
  }
}

async function startServerOn(
  project: DemoProject,
  options: StackOptions,
  progress: (line: string) => void,
): Promise<ServerProcess> {
  try {
    return await startServer(project.configPath, project.logFile, options.port);
  } catch (error) {
    if (!(error instanceof PortBusyError) || options.portGiven || options.port === 0) throw error;
    progress(`port ${options.port} is busy; using a free one (choose with --port)`);
    return startServer(project.configPath, project.logFile, 0);
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  return () => {
    running ??= fn();
    return running;
  };
}
