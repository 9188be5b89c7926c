/** GET /healthz (the process is up) and GET /readyz (the database answers and a project is loaded). */

import type { Route } from '../route.ts';
import { healthSchema } from '../schemas.ts';

export const healthRoute: Route = {
  spec: {
    method: 'GET',
    url: '/healthz',
    operationId: 'health',
    summary: 'Liveness',
    tag: 'operations',
    auth: 'none',
    responses: { 200: { description: 'Alive', schema: healthSchema } },
  },
  handle: () => async () => ({ status: 'ok' }),
};

export const readyRoute: Route = {
  spec: {
    method: 'GET',
    url: '/readyz',
    operationId: 'ready',
    summary: 'Readiness: the database answers',
    tag: 'operations',
    auth: 'none',
    responses: {
      200: { description: 'Ready', schema: healthSchema },
      503: { description: 'Not ready', schema: healthSchema },
    },
  },
  handle: (airlock) => async (_request, reply) => {
    try {
      await airlock.store.ping();
      return { status: 'ok', checks: { database: 'ok', bundle: airlock.project().bundle.hash } };
    } catch (error) {
      return reply
        .status(503)
        .send({ status: 'unavailable', checks: { database: (error as Error).message } });
    }
  },
};
