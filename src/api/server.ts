/** The HTTP server: routes, the error envelope, request ids, body limits and request metrics. */

import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { AirlockError } from '../domain/errors.ts';
import type { Airlock } from '../gateway/airlock.ts';
import { sendError } from './error-envelope.ts';
import { openApiDocument } from './openapi.ts';
import type { Route } from './route.ts';
import { getActionRoute } from './routes/get-action.ts';
import { getAgentTrustRoute } from './routes/get-agent-trust.ts';
import { getCatalogRoute } from './routes/get-catalog.ts';
import { healthRoute, readyRoute } from './routes/health.ts';
import { listActionsRoute } from './routes/list-actions.ts';
import { listAgentsRoute } from './routes/list-agents.ts';
import { metricsRoute } from './routes/metrics.ts';
import { proposeActionRoute } from './routes/propose-action.ts';
import { setAgentTrustRoute } from './routes/set-agent-trust.ts';
import { verifyAuditRoute } from './routes/verify-audit.ts';
import { waitActionRoute } from './routes/wait-action.ts';

export const ROUTES: readonly Route[] = [
  proposeActionRoute,
  listActionsRoute,
  getActionRoute,
  waitActionRoute,
  getCatalogRoute,
  listAgentsRoute,
  getAgentTrustRoute,
  setAgentTrustRoute,
  verifyAuditRoute,
  healthRoute,
  readyRoute,
  metricsRoute,
];

export const API_VERSION = '1.0.0';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function buildServer(airlock: Airlock): FastifyInstance {
  const { server } = airlock.project().config;
  const app = Fastify({
    loggerInstance: airlock.logger as FastifyBaseLogger,
    // Requests are logged once, at debug, by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: server.bodyLimit,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
  });
  // Only JSON bodies are accepted; anything else is a 415 in the envelope.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    airlock.metrics.httpRequests.inc({ method: request.method, route, status: reply.statusCode });
    airlock.metrics.httpSeconds.observe({ route }, reply.elapsedTime / 1000);
    request.log.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
      'request',
    );
  });
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      new AirlockError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );

  for (const route of ROUTES) route.register(app, airlock);
  const document = openApiDocument(ROUTES, API_VERSION);
  app.get('/v1/openapi.json', async () => document);
  return app;
}
