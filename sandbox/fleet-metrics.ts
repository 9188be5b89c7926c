/**
 * The sandbox fleet's `/metrics`: Prometheus text exposition of each service's state, and the
 * synthetic request counts behind `http_requests_total`.
 */

import type { Reply } from './fleet-bodies.ts';

const REQUESTS_PER_SECOND_PER_REPLICA = 100;

/** What the metrics read of a service; `countTraffic` moves its request counts on. */
export interface MeteredService {
  readonly name: string;
  readonly replicas: number;
  readonly errorRate: number;
  readonly latencyMs: number;
  readonly restarts: number;
  readonly version: number;
  /** Synthetic requests served up to `countedTo`, by outcome; fractional, shown rounded down. */
  served: { ok: number; failed: number };
  countedTo: number;
}

/** Serve the synthetic requests since the last count, failing the error rate's share of them. */
export function countTraffic(service: MeteredService, now: number): void {
  const seconds = Math.max(0, now - service.countedTo) / 1000;
  const requests = seconds * REQUESTS_PER_SECOND_PER_REPLICA * service.replicas;
  service.served.ok += requests * (1 - service.errorRate);
  service.served.failed += requests * service.errorRate;
  service.countedTo = Math.max(now, service.countedTo);
}

/** Per-service metric families: name, type, help, value. */
const FAMILIES: readonly (readonly [string, 'gauge' | 'counter', string, (s: MeteredService) => number])[] = [
  ['fleet_service_replicas', 'gauge', 'Replicas running.', (s) => s.replicas],
  ['fleet_service_error_ratio', 'gauge', 'Share of requests failing, 0 to 1.', (s) => s.errorRate],
  ['fleet_service_latency_seconds', 'gauge', 'Typical request latency.', (s) => s.latencyMs / 1000],
  ['fleet_service_restarts_total', 'counter', 'Restarts.', (s) => s.restarts],
  [
    'fleet_service_version',
    'gauge',
    'Revision running; restarts and config pushes add one.',
    (s) => s.version,
  ],
];

/** Prometheus text exposition format 0.0.4; service names need no escaping (fleet-bodies' SERVICE_NAME). */
export function metricsReply(services: ReadonlyMap<string, MeteredService>): Reply {
  const lines: string[] = [];
  for (const [name, type, help, value] of FAMILIES) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const s of services.values()) lines.push(`${name}{service="${s.name}"} ${value(s)}`);
  }
  lines.push(
    '# HELP http_requests_total Requests served (synthetic: 100 a second per replica), by status code.',
    '# TYPE http_requests_total counter',
  );
  for (const s of services.values()) {
    lines.push(`http_requests_total{service="${s.name}",code="200"} ${Math.floor(s.served.ok)}`);
    lines.push(`http_requests_total{service="${s.name}",code="500"} ${Math.floor(s.served.failed)}`);
  }
  const headers = { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' };
  return { status: 200, headers, body: `${lines.join('\n')}\n` };
}
