/**
 * Streamable HTTP at `/mcp`: an agent's bearer token opens a session (initialize), later requests
 * carry its `Mcp-Session-Id`. A session belongs to the agent that opened it; another token cannot
 * use it. The body is parsed here so that malformed JSON gets a JSON-RPC parse error, not a crash.
 */

import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { agentOf } from '../api/route.ts';
import type { Airlock } from '../gateway/airlock.ts';
import type { McpGateway } from './mcp-gateway.ts';

export const MCP_PATH = '/mcp';

/** The MCP routes and who may call them (the server authenticates before the body is read). */
export const MCP_AUTH: ReadonlyMap<string, 'agent'> = new Map([
  [`POST ${MCP_PATH}`, 'agent'],
  [`GET ${MCP_PATH}`, 'agent'],
  [`DELETE ${MCP_PATH}`, 'agent'],
]);

interface Session {
  readonly agentId: string;
  readonly transport: StreamableHTTPServerTransport;
  lastSeen: number;
}

export function registerMcp(app: FastifyInstance, airlock: Airlock, gateway: McpGateway): void {
  const sessions = new Map<string, Session>();
  const idle = setInterval(() => {
    const limit = Date.now() - airlock.project().config.mcp.sessionIdle;
    for (const [id, session] of sessions) {
      if (session.lastSeen < limit) {
        sessions.delete(id);
        void session.transport.close().catch(() => undefined);
      }
    }
  }, 60_000);
  idle.unref();

  app.addHook('preClose', async () => {
    clearInterval(idle);
    const open = [...sessions.values()];
    sessions.clear();
    await Promise.all(open.map((s) => s.transport.close().catch(() => undefined)));
    await gateway.close();
  });

  app.register(async (scope) => {
    // JSON-RPC bodies are parsed by the handler: a parse error is a protocol error, not a 400 envelope.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

    const handle = async (request: FastifyRequest, reply: FastifyReply) => {
      const origin = request.headers.origin;
      if (origin !== undefined && !originAllowed(origin, airlock.project().config.mcp.allowedOrigins))
        return rpcError(
          reply,
          403,
          -32000,
          `Forbidden: origin ${origin} is not allowed (mcp.allowedOrigins)`,
        );
      const agent = agentOf(request);
      const claimed = request.headers['x-airlock-agent'];
      if (typeof claimed === 'string' && claimed !== agent.id)
        return rpcError(reply, 403, -32000, `the token is not agent ${claimed}'s`);
      const sessionId = request.headers['mcp-session-id'];
      let body: unknown;
      if (request.method === 'POST') {
        try {
          body = JSON.parse(typeof request.body === 'string' ? request.body : '');
        } catch {
          return rpcError(reply, 400, -32700, 'Parse error: the body is not JSON');
        }
      }
      if (typeof sessionId === 'string') {
        const session = sessions.get(sessionId);
        // Another agent's session looks like no session at all.
        if (session === undefined || session.agentId !== agent.id)
          return rpcError(reply, 404, -32001, 'Session not found');
        session.lastSeen = Date.now();
        reply.hijack();
        await session.transport.handleRequest(request.raw, reply.raw, body);
        return;
      }
      if (request.method !== 'POST' || !isInitializeRequest(body))
        return rpcError(reply, 400, -32000, 'Bad Request: no Mcp-Session-Id; start with initialize');

      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, { agentId: agent.id, transport, lastSeen: Date.now() });
        },
        onsessionclosed: (id) => {
          sessions.delete(id);
        },
      });
      transport.onclose = () => {
        if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
      };
      await gateway.connect(agent, transport);
      airlock.logger.info(
        { event: 'mcp.session_opened', agent: agent.id },
        `MCP session opened by ${agent.id}`,
      );
      reply.hijack();
      await transport.handleRequest(request.raw, reply.raw, body);
    };
    for (const method of ['POST', 'GET', 'DELETE'] as const)
      scope.route({ method, url: MCP_PATH, handler: handle });
  });
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Browsers send `Origin`; agents mostly do not. A page on this machine (loopback) or a listed
 * origin may call; any other page, such as one whose name was rebound to this address, may not.
 */
function originAllowed(origin: string, allowed: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return LOOPBACK.has(url.hostname) || allowed.some((a) => new URL(a).origin === url.origin);
}

function rpcError(reply: FastifyReply, status: number, code: number, message: string) {
  return reply
    .status(status)
    .type('application/json')
    .send({ jsonrpc: '2.0', error: { code, message }, id: null });
}
