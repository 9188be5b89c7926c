/**
 * One upstream MCP server of airlock.yaml: an SDK client connected on demand, forgotten when its
 * transport closes (the next request connects again), its tools listed once per connection.
 */

import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  ErrorCode,
  McpError,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { UpstreamSpec } from '../project/mcp-config.ts';
import type { PoolOptions, UpstreamTool } from './upstream-pool.ts';

/** Pages read from one upstream for one list, at most. */
const MAX_PAGES = 50;

export async function pages<R extends { nextCursor?: string | undefined }, T>(
  fetch: (cursor: string | undefined) => Promise<R>,
  items: (result: R) => T[],
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await fetch(cursor);
    all.push(...items(result));
    cursor = result.nextCursor;
    if (cursor === undefined) break;
  }
  return all;
}

export interface UpstreamEvents {
  toolsChanged(): void;
  resourceUpdated(server: string, uri: string): void;
  connected(server: string): void;
}

/** One upstream server: a client connected on demand, forgotten when its transport closes. */
export class Upstream {
  readonly #name: string;
  readonly #spec: UpstreamSpec;
  readonly #options: PoolOptions;
  readonly #events: UpstreamEvents;
  #client: Promise<Client> | null = null;
  #tools: Promise<UpstreamTool[]> | null = null;
  #closed = false;
  #connected = false;
  #pid: number | null = null;

  constructor(name: string, spec: UpstreamSpec, options: PoolOptions, events: UpstreamEvents) {
    this.#name = name;
    this.#spec = spec;
    this.#options = options;
    this.#events = events;
  }

  status(): { connected: boolean; pid: number | null } {
    return { connected: this.#connected, pid: this.#pid };
  }

  tools(): Promise<UpstreamTool[]> {
    this.#tools ??= this.request(async (client, timeout) => {
      const tools = await pages(
        (cursor) => client.listTools({ cursor }, { timeout }),
        (r) => r.tools,
      );
      return tools.map((tool) => ({
        name: `${this.#name}.${tool.name}`,
        server: this.#name,
        upstreamName: tool.name,
        tool: { ...tool, name: `${this.#name}.${tool.name}` },
      }));
    }).catch((error: unknown) => {
      this.#tools = null;
      throw error;
    });
    return this.#tools;
  }

  async supports(capability: 'resources' | 'prompts' | 'subscribe'): Promise<boolean> {
    const capabilities = (await this.#connect()).getServerCapabilities();
    if (capability === 'subscribe') return capabilities?.resources?.subscribe === true;
    return capabilities?.[capability] !== undefined;
  }

  /** Run one request; a connection that closes under it fails it with ConnectionClosed. */
  async request<T>(work: (client: Client, timeout: number) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    try {
      return await work(client, this.#options.requestTimeout);
    } catch (error) {
      throw relayed(error);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = null;
    if (client !== null) await (await client.catch(() => null))?.close();
  }

  #connect(): Promise<Client> {
    if (this.#closed)
      return Promise.reject(new McpError(ErrorCode.ConnectionClosed, 'Airlock is shutting down'));
    this.#client ??= this.#open().catch((error: unknown) => {
      this.#client = null;
      this.#options.logger.warn(
        { event: 'mcp.upstream_unavailable', server: this.#name, err: error },
        `MCP server ${this.#name} is unavailable: ${(error as Error).message}`,
      );
      throw new McpError(
        ErrorCode.ConnectionClosed,
        `the MCP server "${this.#name}" is unavailable: ${(error as Error).message}`,
      );
    });
    return this.#client;
  }

  async #open(): Promise<Client> {
    const { logger, version } = this.#options;
    const client = new Client({ name: 'airlock', version }, { capabilities: {} });
    const transport = this.#transport();
    let open = true;
    client.onclose = () => {
      if (!open) return;
      open = false;
      // Forget this connection: the next request connects again; pending ones failed already.
      this.#client = null;
      this.#tools = null;
      if (!this.#closed) {
        logger.warn({ event: 'mcp.upstream_closed', server: this.#name }, `MCP server ${this.#name} closed`);
        this.#events.toolsChanged();
      }
    };
    client.onerror = (error) =>
      logger.debug({ event: 'mcp.upstream_error', server: this.#name, err: error }, 'upstream MCP error');
    await client.connect(transport, { timeout: this.#options.requestTimeout });
    this.#connected = true;
    this.#pid = transport instanceof StdioClientTransport ? transport.pid : null;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      this.#tools = null;
      this.#events.toolsChanged();
    });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) =>
      this.#events.resourceUpdated(this.#name, notification.params.uri),
    );
    this.#events.connected(this.#name);
    logger.info(
      { event: 'mcp.upstream_connected', server: this.#name, upstream: client.getServerVersion() },
      `connected to MCP server ${this.#name}`,
    );
    return client;
  }

  #transport(): StdioClientTransport | StreamableHTTPClientTransport {
    const { baseDir, env } = this.#options;
    if ('url' in this.#spec) {
      const headers = Object.fromEntries(
        Object.entries(this.#spec.headers).map(([k, v]) => [k, interpolateEnv(v, env, `headers.${k}`)]),
      );
      return new StreamableHTTPClientTransport(new URL(this.#spec.url), { requestInit: { headers } });
    }
    const spec = this.#spec;
    const command =
      spec.command.includes('/') && !path.isAbsolute(spec.command)
        ? path.resolve(baseDir, spec.command)
        : spec.command;
    const transport = new StdioClientTransport({
      command,
      args: spec.args,
      env: {
        ...getDefaultEnvironment(),
        ...Object.fromEntries(
          Object.entries(spec.env).map(([k, v]) => [k, interpolateEnv(v, env, `env.${k}`)]),
        ),
      },
      cwd: spec.cwd === undefined ? baseDir : path.resolve(baseDir, spec.cwd),
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8').trimEnd();
      if (text !== '')
        this.#options.logger.debug({ event: 'mcp.upstream_stderr', server: this.#name }, text.slice(0, 2000));
    });
    return transport;
  }
}

/** `{{ env.NAME }}` in a header or environment value, from Airlock's environment. */
function interpolateEnv(value: string, env: PoolOptions['env'], where: string): string {
  return value.replace(/\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => {
    const found = env[name];
    if (found === undefined)
      throw new Error(`${where} needs the environment variable ${name}, which is not set`);
    return found;
  });
}

/**
 * An upstream's error as it was on the wire: the SDK's McpError prefixes "MCP error <code>: " to
 * the message it received, and relaying that would add one prefix per hop. The code and data stay.
 */
function relayed(error: unknown): unknown {
  if (!(error instanceof McpError)) return error;
  const prefix = `MCP error ${error.code}: `;
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return Object.assign(new Error(message), { code: error.code, data: error.data });
}
