/** The HTTP server: routes, the error envelope, request ids, body limits and request metrics. */

import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { AirlockError } from '../domain/errors.ts';
import type { Airlock } from '../gateway/airlock.ts';
import { McpGateway } from '../mcp/mcp-gateway.ts';
import { MCP_AUTH, registerMcp } from '../mcp/mcp-http.ts';
import { CONSOLE_AUTH, CONSOLE_DIR, registerConsole } from './console-files.ts';
import { sendError } from './error-envelope.ts';
import { openApiDocument } from './openapi.ts';
import { admit, type Route } from './route.ts';
import { auditHeadRoute } from './routes/audit-head.ts';
import { decideApprovalRoute } from './routes/decide-approval.ts';
import { eventsRoute } from './routes/events.ts';
import { reportIncidentRoute, reviewAdviceRoute } from './routes/evidence.ts';
import { exportAuditRoute } from './routes/export-audit.ts';
import { freezeRoute, listFreezesRoute, unfreezeRoute } from './routes/freeze.ts';
import { getActionRoute } from './routes/get-action.ts';
import { getApprovalRoute } from './routes/get-approval.ts';
import { getCatalogRoute } from './routes/get-catalog.ts';
import { getPolicyRoute } from './routes/get-policy.ts';
import { healthRoute, readyRoute } from './routes/health.ts';
import { listActionsRoute } from './routes/list-actions.ts';
import { listAgentsRoute } from './routes/list-agents.ts';
import { listApprovalsRoute } from './routes/list-approvals.ts';
import { meRoute } from './routes/me.ts';
import { metricsRoute } from './routes/metrics.ts';
import { promoteShadowRoute, shadowReportRoute } from './routes/policy-shadow.ts';
import { proposeActionRoute } from './routes/propose-action.ts';
import { latestReplayRoute } from './routes/replay-latest.ts';
import { reportOutcomeRoute } from './routes/report-outcome.ts';
import {
  getAgentTrustRoute,
  recommendationsRoute,
  revokeTrustRoute,
  setAgentTrustRoute,
} from './routes/trust.ts';
import { verifyAuditRoute } from './routes/verify-audit.ts';
import { waitActionRoute } from './routes/wait-action.ts';

const openApiRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/openapi.json',
    operationId: 'openApi',
    summary: 'This document',
    tag: 'operations',
    auth: 'none',
    responses: { 200: { description: 'OpenAPI 3.1' } },
  },
  handle: () => {
    const document = openApiDocument(ROUTES, API_VERSION);
    return async () => document;
  },
};

export const ROUTES: readonly Route[] = [
  meRoute,
  proposeActionRoute,
  listActionsRoute,
  getActionRoute,
  waitActionRoute,
  reportOutcomeRoute,
  reviewAdviceRoute,
  reportIncidentRoute,
  listApprovalsRoute,
  getApprovalRoute,
  decideApprovalRoute,
  eventsRoute,
  getCatalogRoute,
  listAgentsRoute,
  getAgentTrustRoute,
  setAgentTrustRoute,
  revokeTrustRoute,
  recommendationsRoute,
  listFreezesRoute,
  freezeRoute,
  unfreezeRoute,
  getPolicyRoute,
  shadowReportRoute,
  promoteShadowRoute,
  latestReplayRoute,
  verifyAuditRoute,
  auditHeadRoute,
  exportAuditRoute,
  healthRoute,
  readyRoute,
  metricsRoute,
  openApiRoute,
];

export const API_VERSION = '1.0.0';

declare module 'fastify' {
  interface FastifyInstance {
    /** The MCP gateway served at /mcp. */
    mcp: McpGateway;
  }
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export interface ServerOptions {
  /** The built console to serve at `/` (default: web/dist in the package). */
  readonly consoleDir?: string | undefined;
}

export function buildServer(airlock: Airlock, options: ServerOptions = {}): FastifyInstance {
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

  const authOf = new Map<string, Route['spec']['auth']>([
    ...ROUTES.map(({ spec }) => [`${spec.method} ${spec.url}`, spec.auth] as const),
    ...MCP_AUTH,
    ...CONSOLE_AUTH,
  ]);
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Authenticate before the body is read: unknown callers get 401 without their bodies being parsed.
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const url = request.routeOptions.url;
    if (url === undefined) return; // no route matched: the not-found handler answers
    const auth = authOf.get(`${method} ${url}`);
    // Fail closed: a route that does not declare who may call it answers nobody.
    if (auth === undefined) throw new AirlockError('internal', `route ${method} ${url} declares no caller`);
    request.principal = await admit(airlock, auth, request.headers.authorization);
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
  // Live streams never end by themselves: end them so that closing the server can finish.
  app.addHook('preClose', async () => airlock.tail.closeAll());
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  const consolePage = registerConsole(app, options.consoleDir ?? CONSOLE_DIR);
  app.setNotFoundHandler(async (request, reply) => {
    if (await consolePage(request, reply)) return reply;
    return sendError(
      request,
      reply,
      new AirlockError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
    );
  });

  for (const route of ROUTES) {
    app.route({ method: route.spec.method, url: route.spec.url, handler: route.handle(airlock) });
  }
  const mcp = new McpGateway(airlock, API_VERSION);
  app.decorate('mcp', mcp);
  registerMcp(app, airlock, mcp);
  return app;
}
