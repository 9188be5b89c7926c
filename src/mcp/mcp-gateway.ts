/**
 * The MCP gateway: one MCP server per agent session, in front of every upstream MCP server of
 * airlock.yaml. Tool calls are governed (governed-calls.ts); everything else the proxy does not
 * govern — ping, resources, prompts, cancellation, errors — passes through. Sessions are served
 * over streamable HTTP at `/mcp` (mcp-http.ts); `airlock mcp` bridges stdio to it.
 */

import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { JsonObject } from '../domain/json.ts';
import type { Airlock } from '../gateway/airlock.ts';
import type { AgentRecord } from '../store/records.ts';
import { GovernedCalls } from './governed-calls.ts';
import { UpstreamPool } from './upstream-pool.ts';

export const MCP_SERVER_NAME = 'airlock';

export class McpGateway {
  readonly pool: UpstreamPool;
  readonly calls: GovernedCalls;
  readonly #airlock: Airlock;
  readonly #servers = new Set<Server>();
  readonly #version: string;

  constructor(airlock: Airlock, version: string) {
    const project = airlock.project();
    this.#airlock = airlock;
    this.#version = version;
    this.pool = new UpstreamPool({
      servers: project.config.mcp.servers,
      requestTimeout: project.config.mcp.requestTimeout,
      baseDir: project.dir,
      env: process.env,
      logger: airlock.logger,
      version,
    });
    this.calls = new GovernedCalls(airlock, this.pool, () => airlock.project().config.mcp);
    this.pool.onToolsChanged(() => {
      for (const server of this.#servers) void server.sendToolListChanged().catch(() => undefined);
    });
  }

  /** Serve one agent's session over `transport` until either side closes it. */
  async connect(agent: AgentRecord, transport: Transport): Promise<Server> {
    const subscribed = new Map<string, (uri: string) => void>();
    const server = this.#serverFor(agent, subscribed);
    this.#servers.add(server);
    server.onclose = () => {
      this.#servers.delete(server);
      for (const [uri, listener] of subscribed) void this.pool.unsubscribe(uri, listener);
      subscribed.clear();
    };
    await server.connect(transport);
    return server;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#servers].map((s) => s.close().catch(() => undefined)));
    await this.pool.close();
  }

  /** `subscribed`: this session's resource subscriptions, URI → its listener. */
  #serverFor(agent: AgentRecord, subscribed: Map<string, (uri: string) => void>): Server {
    const server = new Server(
      { name: MCP_SERVER_NAME, title: 'Airlock MCP gateway', version: this.#version },
      {
        capabilities: { tools: { listChanged: true }, resources: { subscribe: true }, prompts: {} },
        instructions:
          'Every tool call goes through Airlock: it may be executed, recorded as a recommendation, denied, or held for human approval. Results say which, with the action id.',
      },
    );
    const log = this.#airlock.logger.child({ agent: agent.id, door: 'mcp' });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await this.calls.list(agent) }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const { name, arguments: args, _meta } = request.params;
      const token = _meta?.progressToken;
      let progress = 0;
      const result = await this.calls.call(agent, name, (args ?? {}) as JsonObject, {
        signal: extra.signal,
        meta: (_meta ?? {}) as Record<string, unknown>,
        progress: async (message) => {
          if (token === undefined) return;
          progress += 1;
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken: token, progress, message },
          });
        },
      });
      if (result._meta?.unknownTool === true)
        throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
      // A tool with an output schema must answer structured content; Airlock's own answers
      // (advised, pending, ran before) have none, so they go out as tool errors, text intact.
      if (result.structuredContent === undefined && result.isError !== true) {
        const tool = await this.pool.findTool(name).catch(() => null);
        if (tool?.tool.outputSchema !== undefined) return { ...result, isError: true };
      }
      log.debug(
        { event: 'mcp.call', tool: name, action: result._meta?.['airlock/actionId'] },
        `tools/call ${name}`,
      );
      return result;
    });
    server.setRequestHandler(ListResourcesRequestSchema, async () => ({
      resources: await this.pool.listResources(),
    }));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
      resourceTemplates: await this.pool.listResourceTemplates(),
    }));
    server.setRequestHandler(ReadResourceRequestSchema, (request, extra) =>
      this.pool.readResource(request.params.uri, { signal: extra.signal }),
    );
    server.setRequestHandler(SubscribeRequestSchema, async ({ params: { uri } }) => {
      if (subscribed.has(uri)) return {};
      const listener = (updated: string) =>
        void server.sendResourceUpdated({ uri: updated }).catch(() => undefined);
      subscribed.set(uri, listener);
      try {
        await this.pool.subscribe(uri, listener);
      } catch (error) {
        subscribed.delete(uri);
        throw error;
      }
      return {};
    });
    server.setRequestHandler(UnsubscribeRequestSchema, async ({ params: { uri } }) => {
      const listener = subscribed.get(uri);
      subscribed.delete(uri);
      if (listener !== undefined) await this.pool.unsubscribe(uri, listener);
      return {};
    });
    server.setRequestHandler(ListPromptsRequestSchema, async () => ({
      prompts: await this.pool.listPrompts(),
    }));
    server.setRequestHandler(GetPromptRequestSchema, (request, extra) =>
      this.pool.getPrompt(request.params.name, request.params.arguments, { signal: extra.signal }),
    );
    return server;
  }
}
