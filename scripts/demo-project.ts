/**
 * The demo's project: a copy of examples/quickstart in a temporary directory (the example itself
 * is never touched), with `service.restart` wired to the sandbox fleet — Airlock runs the restart,
 * verifies the service's health (and its error ratio in Prometheus, when there is one) and
 * recovers the service when the check fails.
 */

import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { ServiceOptions } from '../sandbox/fleet.ts';

export const QUICKSTART = path.resolve(import.meta.dirname, '../examples/quickstart');

/** One fleet stands in for both environments: each service once per environment, `<environment>-<service>`. */
export const SERVICES: Readonly<Record<string, ServiceOptions>> = {
  'staging-checkout': { replicas: 4 },
  'staging-search': { replicas: 2 },
  'staging-payments': { replicas: 3 },
  'production-checkout': { replicas: 4 },
  'production-search': { replicas: 2 },
  'production-payments': { replicas: 3 },
};

export interface ProjectOptions {
  readonly fleetUrl: string;
  /** Prometheus's URL, or null to verify with the health endpoint alone. */
  readonly prometheusUrl: string | null;
  /** Short verification windows (`--fast`). */
  readonly fast: boolean;
}

export interface DemoProject {
  readonly dir: string;
  readonly configPath: string;
  readonly logFile: string;
  /** How each restart is verified, in words. */
  readonly checks: readonly string[];
  readonly window: string;
}

/** Check names, as the narration and the API show them. */
export const HEALTH_CHECK = 'health endpoint answers 200';
export const ERROR_RATIO_CHECK = 'error ratio below 5% (Prometheus)';

export async function createDemoProject(options: ProjectOptions): Promise<DemoProject> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-demo-'));
  await cp(QUICKSTART, dir, {
    recursive: true,
    filter: (source) => !path.relative(QUICKSTART, source).split(path.sep).includes('data'),
  });
  const configPath = path.join(dir, 'airlock.yaml');
  const restart = restartType(options);
  await edit(path.join(dir, 'catalog.yaml'), (doc) => {
    for (const [key, value] of Object.entries(restart)) doc.setIn(['types', 'service.restart', key], value);
  });
  if (options.prometheusUrl !== null) {
    const url = options.prometheusUrl;
    await edit(configPath, (doc) => doc.setIn(['prometheus', 'url'], url));
  }
  return {
    dir,
    configPath,
    logFile: path.join(dir, 'airlock.log'),
    checks: restart.verification.checks.map((c) => c.name),
    window: restart.verification.window,
  };
}

/** Edit a YAML file in place, keeping its comments. */
async function edit(file: string, change: (doc: ReturnType<typeof parseDocument>) => void): Promise<void> {
  const doc = parseDocument(await readFile(file, 'utf8'));
  change(doc);
  await writeFile(file, doc.toString({ flowCollectionPadding: false }));
}

function restartType({ fleetUrl, prometheusUrl, fast }: ProjectOptions) {
  const service = `${fleetUrl}/services/{{environment}}-{{targets[0].id}}`;
  const checks: { kind: string; name: string; [key: string]: unknown }[] = [
    { kind: 'http', name: HEALTH_CHECK, url: `${service}/health`, expectStatus: 200 },
  ];
  if (prometheusUrl !== null)
    checks.push({
      kind: 'prometheus',
      name: ERROR_RATIO_CHECK,
      query: 'fleet_service_error_ratio{service="{{environment}}-{{targets[0].id}}"}',
      op: '<',
      threshold: 0.05,
    });
  return {
    execution: {
      mode: 'gateway',
      executor: { kind: 'http', method: 'POST', url: `${service}/restart`, timeout: '5s' },
    },
    // Long enough to watch `verifying` in the console; a blink with --fast.
    verification: { window: fast ? '1s' : '10s', interval: fast ? '500ms' : '2s', checks },
    rollback: { executor: { kind: 'http', method: 'POST', url: `${service}/recover`, timeout: '5s' } },
  };
}
