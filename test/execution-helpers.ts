/**
 * Shared helpers of the execution tests: a project whose catalog executes against the sandbox
 * fleet (the quickstart's types, with executors, checks and rollbacks added), and waiting for an
 * action to settle.
 */

import assert from 'node:assert/strict';
import { parse, stringify } from 'yaml';
import type { Fleet } from '../sandbox/fleet.ts';
import { type Harness, type HarnessOptions, type Loose, startHarness } from './harness.ts';

/** Statuses after which nothing more happens to an action by itself. */
export const SETTLED = ['advised', 'denied', 'expired', 'succeeded', 'failed', 'rolled_back', 'unknown'];

/** Execution blocks per action type, merged into the quickstart catalog. */
export type TypeOverrides = Readonly<Record<string, Record<string, unknown>>>;

/** The fleet-backed execution of the quickstart types (override or extend with `types`). */
export function fleetTypes(fleetUrl: string): TypeOverrides {
  return {
    'service.restart': {
      execution: {
        mode: 'gateway',
        executor: {
          kind: 'http',
          url: `${fleetUrl}/services/{{target.id}}/restart`,
          perTarget: true,
          timeout: '5s',
        },
      },
      verification: undefined,
    },
    'deployment.scale': {
      execution: {
        mode: 'gateway',
        executor: {
          kind: 'http',
          url: `${fleetUrl}/services/{{targets[0].id}}/scale`,
          body: { replicas: '{{params.replicas}}' },
        },
      },
      verification: undefined,
      rollback: { action: 'deployment.scale', params: { replicas: '{{params.previousReplicas}}' } },
    },
    'cache.flush': { execution: { mode: 'agent', permitTtl: '1m' } },
  };
}

/**
 * `service.restart` run by the gateway on the fleet, verified by the service's health endpoint
 * for 100 ms and rolled back by its recover endpoint: a restart of an unhealthy service is
 * rolled back.
 */
export function verifiedRestart(fleetUrl: string): Record<string, unknown> {
  return {
    execution: {
      mode: 'gateway',
      executor: { kind: 'http', url: `${fleetUrl}/services/{{targets[0].id}}/restart`, timeout: '5s' },
    },
    verification: {
      window: '100ms',
      interval: '100ms',
      checks: [
        {
          kind: 'http',
          name: 'service health is 200',
          url: `${fleetUrl}/services/{{targets[0].id}}/health`,
          expectStatus: 200,
        },
      ],
    },
    rollback: { executor: { kind: 'http', url: `${fleetUrl}/services/{{targets[0].id}}/recover` } },
  };
}

/** The quickstart catalog with `types` merged in (a key set to undefined is removed). */
export function catalogWith(original: string, types: TypeOverrides): string {
  const catalog = parse(original) as { types: Record<string, Record<string, unknown>> };
  for (const [type, fields] of Object.entries(types)) {
    const entry = catalog.types[type] ?? {};
    catalog.types[type] = entry;
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) delete entry[key];
      else entry[key] = value;
    }
  }
  return stringify(catalog);
}

export interface FleetHarnessOptions extends HarnessOptions {
  readonly fleet: Fleet;
  readonly types?: TypeOverrides;
  readonly prometheusUrl?: string;
  /** Extra policy files, by name under policies/. */
  readonly policies?: Readonly<Record<string, string>>;
}

export function startFleetHarness(options: FleetHarnessOptions): Promise<Harness> {
  const types = { ...fleetTypes(options.fleet.url), ...(options.types ?? {}) };
  const files: Record<string, string | ((original: string) => string)> = {
    'catalog.yaml': (original) => catalogWith(original, types),
    ...(options.files ?? {}),
  };
  if (options.prometheusUrl !== undefined) {
    const url = options.prometheusUrl;
    const previous = files['airlock.yaml'];
    files['airlock.yaml'] = (original) => {
      const config = parse(typeof previous === 'function' ? previous(original) : (previous ?? original));
      return stringify({ ...config, prometheus: { url } });
    };
  }
  for (const [name, text] of Object.entries(options.policies ?? {})) files[`policies/${name}`] = text;
  return startHarness({ ...options, files });
}

/** Poll the action until it reaches one of `statuses` (default: settled); fails after `timeoutMs`. */
export async function settle(
  h: Harness,
  token: string,
  id: string,
  statuses: readonly string[] = SETTLED,
  timeoutMs = 20_000,
): Promise<Loose> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const response = await h.request('GET', `/v1/actions/${id}`, { token });
    assert.equal(response.status, 200, response.text);
    if (statuses.includes(response.body.status)) return response.body;
    if (Date.now() > until) assert.fail(`${id} is still ${response.body.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Audit event kinds of an action, in order. */
export function pathKinds(action: Loose): string[] {
  return (action.path ?? []).map((step: { kind: string }) => step.kind);
}
