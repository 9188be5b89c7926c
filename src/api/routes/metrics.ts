/** GET /metrics — Prometheus text exposition. */

import type { Route } from '../route.ts';

export const metricsRoute: Route = {
  spec: {
    method: 'GET',
    url: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    tag: 'operations',
    auth: 'none',
    responses: { 200: { description: 'Prometheus text format' } },
  },
  handle: (airlock) => async (_request, reply) => {
    const registry = airlock.metrics.registry;
    return reply.type(registry.contentType).send(await registry.metrics());
  },
};
