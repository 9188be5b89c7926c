/**
 * The sandbox fleet: a small HTTP service standing in for the production systems Airlock changes.
 * Executors restart, scale and reconfigure its services, and a real Prometheus scrapes its
 * `/metrics`, so verification sees what a change did. Tests and the demo break it on purpose
 * (degrade now, or arm a fault the next restart brings) to watch Airlock notice.
 */

import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text as readText } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ConfigValue,
  configSchema,
  describe,
  type Fault,
  faultSchema,
  faultsSchema,
  invalid,
  json,
  parseJson,
  type Reply,
  restartQuery,
  restartSchema,
  type ServiceOptions,
  scaleSchema,
  servicesSchema,
} from './fleet-bodies.ts';
import { countTraffic, type MeteredService, metricsReply } from './fleet-metrics.ts';

export type { ConfigValue, Fault, ServiceOptions } from './fleet-bodies.ts';

export interface FleetOptions {
  /** 127.0.0.1 by default. */
  readonly host?: string;
  /** 0 (any free port) by default. */
  readonly port?: number;
  /** checkout (4 replicas), payments (3) and search (2) by default. */
  readonly services?: Record<string, ServiceOptions>;
  /** Mutating calls then need `Authorization: Bearer <token>`: Airlock holds it, agents don't. */
  readonly requireToken?: string;
  /** Milliseconds since the epoch, for the synthetic request counts; `Date.now` by default. */
  readonly now?: () => number;
}

export interface ServiceState {
  readonly name: string;
  readonly replicas: number;
  readonly instances: readonly string[];
  readonly config: Readonly<Record<string, ConfigValue>>;
  /** Bumped by each restart and config push. */
  readonly version: number;
  readonly restarts: number;
  readonly errorRate: number;
  readonly latencyMs: number;
  readonly minHealthyReplicas: number;
  readonly healthy: boolean;
  /** What the next restart brings instead of a clean start. */
  readonly faults: { readonly onRestart: Fault | null };
}

export interface FleetCall {
  readonly method: string;
  readonly path: string;
  /** The parsed JSON body; the raw text if it was not JSON; null if there was none. */
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
  readonly at: string;
}

export interface Fleet {
  readonly url: string;
  /** Every mutating call that got past the token check, in order, recorded as it arrived. */
  readonly calls: readonly FleetCall[];
  service(name: string): ServiceState | undefined;
  close(): Promise<void>;
}

const DEFAULT_SERVICES: Record<string, ServiceOptions> = {
  checkout: { replicas: 4 },
  payments: { replicas: 3 },
  search: { replicas: 2 },
};
/** Health checks and `healthy` fail at this error rate and above. */
const HEALTHY_BELOW = 0.05;
const UNDERSCALED_ERROR_RATE = 0.3;
const BAD_CONFIG_ERROR_RATE = 0.4;

interface Service extends MeteredService {
  readonly minHealthyReplicas: number;
  readonly baselineLatencyMs: number;
  replicas: number;
  config: Record<string, ConfigValue>;
  version: number;
  restarts: number;
  errorRate: number;
  latencyMs: number;
  onRestart: Fault | null;
}

interface FleetInternals {
  readonly services: ReadonlyMap<string, Service>;
  readonly calls: FleetCall[];
  readonly now: () => number;
  readonly token: string | undefined;
  /** Aborted when the fleet closes, to cut delays short. */
  readonly signal: AbortSignal;
}

interface Context extends FleetInternals {
  /** The service named in the path, if the route has one. */
  readonly name: string;
  /** The JSON body; `{}` when there was none. */
  readonly input: unknown;
  readonly query: URLSearchParams;
}

type Handle = (context: Context) => Reply | Promise<Reply>;

interface Route {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: RegExp;
  readonly handle: Handle;
}

/**
 * Start a fleet listening on `host:port`. Options are checked before the port opens.
 * @example
 * const fleet = await startFleet({ services: { checkout: { replicas: 4 } } });
 * await fetch(`${fleet.url}/services/checkout/restart`, { method: 'POST' });
 * fleet.service('checkout')?.restarts; // 1
 * await fleet.close();
 */
export async function startFleet(options: FleetOptions = {}): Promise<Fleet> {
  const now = options.now ?? Date.now;
  const services = createServices(options.services ?? DEFAULT_SERVICES, now());
  const calls: FleetCall[] = [];
  const closing = new AbortController();
  const server = createServer((req, res) => {
    serve(req, res, { services, calls, now, token: options.requireToken, signal: closing.signal }).catch(
      (error: unknown) => {
        if (!closing.signal.aborted) send(res, json(500, { error: String(error) }));
      },
    );
  });
  const host = options.host ?? '127.0.0.1';
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    calls,
    service: (name) => {
      const service = services.get(name);
      return service === undefined ? undefined : view(service);
    },
    close: () => {
      closing.abort();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function createServices(options: Record<string, ServiceOptions>, now: number): Map<string, Service> {
  const parsed = servicesSchema.safeParse(options);
  if (!parsed.success) throw new Error(`invalid fleet services: ${describe(parsed.error).join('; ')}`);
  return new Map(
    Object.entries(parsed.data).map(([name, service]) => {
      const latencyMs = service.latencyMs ?? 40;
      const state: Service = {
        name,
        minHealthyReplicas: service.minHealthyReplicas ?? 2,
        baselineLatencyMs: latencyMs,
        replicas: service.replicas,
        config: { ...service.config },
        version: 1,
        restarts: 0,
        errorRate: 0,
        latencyMs,
        onRestart: null,
        served: { ok: 0, failed: 0 },
        countedTo: now,
      };
      settle(state);
      return [name, state];
    }),
  );
}

async function serve(req: IncomingMessage, res: ServerResponse, fleet: FleetInternals): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fleet.invalid');
  const method = req.method ?? 'GET';
  const text = await readText(req);
  const routes = ROUTES.filter((route) => route.path.test(url.pathname));
  const route = routes.find((candidate) => candidate.method === method);
  if (route === undefined) {
    if (routes.length === 0) return send(res, json(404, { error: `no route ${url.pathname}` }));
    const allow = routes.map((candidate) => candidate.method).join(', ');
    return send(res, json(405, { error: `${method} not allowed; use ${allow}` }, { allow }));
  }
  for (const service of fleet.services.values()) countTraffic(service, fleet.now());
  const body = parseJson(text);
  if (method !== 'GET') {
    if (fleet.token !== undefined && req.headers.authorization !== `Bearer ${fleet.token}`) {
      const error = 'a bearer token is required';
      return send(res, json(401, { error }, { 'www-authenticate': 'Bearer' }));
    }
    const at = new Date(fleet.now()).toISOString();
    fleet.calls.push({ method, path: url.pathname, body: body.value, headers: flatHeaders(req), at });
  }
  if (!body.ok) return send(res, json(400, { error: `body is not JSON: ${body.error}` }));
  const name = route.path.exec(url.pathname)?.[1] ?? '';
  send(res, await route.handle({ ...fleet, name, input: body.value ?? {}, query: url.searchParams }));
}

const SERVICE = '/services/([^/]+)';
const ROUTES: readonly Route[] = [
  { method: 'GET', path: /^\/healthz$/, handle: () => json(200, { ok: true }) },
  { method: 'GET', path: /^\/metrics$/, handle: ({ services }) => metricsReply(services) },
  {
    method: 'GET',
    path: /^\/services$/,
    handle: ({ services }) => json(200, { services: [...services.values()].map(view) }),
  },
  { method: 'GET', path: new RegExp(`^${SERVICE}$`), handle: onService((s) => json(200, view(s))) },
  { method: 'GET', path: new RegExp(`^${SERVICE}/health$`), handle: onService(health) },
  { method: 'POST', path: new RegExp(`^${SERVICE}/restart$`), handle: onService(restart) },
  { method: 'POST', path: new RegExp(`^${SERVICE}/scale$`), handle: onService(scale) },
  { method: 'PUT', path: new RegExp(`^${SERVICE}/config$`), handle: onService(configure) },
  { method: 'POST', path: new RegExp(`^${SERVICE}/recover$`), handle: onService(recover) },
  { method: 'POST', path: new RegExp(`^${SERVICE}/degrade$`), handle: onService(degrade) },
  { method: 'POST', path: new RegExp(`^${SERVICE}/faults$`), handle: onService(armFaults) },
];

function onService(handle: (service: Service, context: Context) => ReturnType<Handle>): Handle {
  return (context) => {
    const service = context.services.get(context.name);
    return service === undefined
      ? json(404, { error: `no service ${context.name}` })
      : handle(service, context);
  };
}

function health(service: Service): Reply {
  const { errorRate, latencyMs } = service;
  const ok = errorRate < HEALTHY_BELOW;
  return json(ok ? 200 : 503, { status: ok ? 'ok' : 'degraded', errorRate, latencyMs });
}

async function restart(service: Service, context: Context): Promise<Reply> {
  const input = restartSchema.safeParse(context.input);
  if (!input.success) return invalid(input.error);
  const query = restartQuery.safeParse(Object.fromEntries(context.query));
  if (!query.success) return invalid(query.error, 'query.');
  const all = instancesOf(service);
  const unknown = (input.data.instances ?? []).filter((id) => !all.includes(id));
  if (unknown.length > 0) return json(400, { error: `instances: no such instances: ${unknown.join(', ')}` });
  const delay = query.data.delayMs ?? input.data.delayMs ?? 0;
  if (delay > 0) {
    await sleep(delay, undefined, { signal: context.signal });
    // Traffic during the delay was served at the old error rate.
    countTraffic(service, context.now());
  }
  const fault = service.onRestart;
  service.onRestart = null;
  service.restarts += 1;
  service.version += 1;
  settle(service);
  service.errorRate = fault?.errorRate ?? service.errorRate;
  service.latencyMs = fault?.latencyMs ?? service.latencyMs;
  const restarted = input.data.instances ?? all;
  return json(200, { restarted, version: service.version, faultApplied: fault !== null });
}

function scale(service: Service, context: Context): Reply {
  const input = scaleSchema.safeParse(context.input);
  if (!input.success) return invalid(input.error);
  const previousReplicas = service.replicas;
  service.replicas = input.data.replicas;
  settle(service);
  return json(200, { previousReplicas, replicas: service.replicas });
}

function configure(service: Service, context: Context): Reply {
  const input = configSchema.safeParse(context.input);
  if (!input.success) return invalid(input.error);
  const previous: Record<string, ConfigValue | null> = {};
  for (const [key, value] of Object.entries(input.data)) {
    previous[key] = Object.hasOwn(service.config, key) ? (service.config[key] ?? null) : null;
    if (value === null) delete service.config[key];
    else service.config[key] = value;
  }
  service.version += 1;
  settle(service);
  return json(200, { previous, config: service.config, version: service.version });
}

/** Back to the last known good: healthy now, whatever pushed it over. */
function recover(service: Service): Reply {
  service.errorRate = 0;
  service.latencyMs = service.baselineLatencyMs;
  return json(200, view(service));
}

function degrade(service: Service, context: Context): Reply {
  const input = faultSchema.safeParse(context.input);
  if (!input.success) return invalid(input.error);
  service.errorRate = input.data.errorRate ?? service.errorRate;
  service.latencyMs = input.data.latencyMs ?? service.latencyMs;
  return json(200, view(service));
}

function armFaults(service: Service, context: Context): Reply {
  const input = faultsSchema.safeParse(context.input);
  if (!input.success) return invalid(input.error);
  service.onRestart = input.data.onRestart;
  return json(200, { faults: { onRestart: service.onRestart } });
}

/**
 * Re-derive health from replicas and config, as after a rollout: a `bad: true` config or too few
 * replicas fail requests whatever was degraded before; otherwise the service is clean.
 */
function settle(service: Service): void {
  if (service.config.bad === true) service.errorRate = BAD_CONFIG_ERROR_RATE;
  else if (service.replicas < service.minHealthyReplicas) service.errorRate = UNDERSCALED_ERROR_RATE;
  else service.errorRate = 0;
  service.latencyMs = service.baselineLatencyMs;
}

function view(service: Service): ServiceState {
  return {
    name: service.name,
    replicas: service.replicas,
    instances: instancesOf(service),
    config: { ...service.config },
    version: service.version,
    restarts: service.restarts,
    errorRate: service.errorRate,
    latencyMs: service.latencyMs,
    minHealthyReplicas: service.minHealthyReplicas,
    healthy: service.errorRate < HEALTHY_BELOW,
    faults: { onRestart: service.onRestart },
  };
}

function instancesOf(service: Service): string[] {
  return Array.from({ length: service.replicas }, (_, index) => `${service.name}-${index}`);
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, reply.headers).end(reply.body);
}

/** Node lower-cases header names already; repeated headers are joined as HTTP allows. */
function flatHeaders(req: IncomingMessage): Record<string, string> {
  const entries = Object.entries(req.headers).map(([key, value]) => [key, [value ?? ''].flat().join(', ')]);
  return Object.fromEntries(entries);
}
