/**
 * The upstream MCP servers of airlock.yaml, each reached through one SDK client shared by every
 * agent session. Connections are made on first use and made again after an upstream dies; a
 * request to a dead upstream fails with an MCP error at once, never hangs. Tools and prompts are
 * namespaced by server (`fs.read_file`); resources keep their URIs and are routed by who listed them.
 */

import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  type CallToolResult,
  ErrorCode,
  type GetPromptResult,
  McpError,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  type Tool,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { McpConfig, UpstreamSpec } from '../project/mcp-config.ts';

/** A tool of an upstream, under its namespaced name. */
export interface UpstreamTool {
  /** `<server>.<tool>`: what agents see and what the catalog maps. */
  readonly name: string;
  readonly server: string;
  /** The upstream's own name. */
  readonly upstreamName: string;
  /** The upstream's description of the tool, with the namespaced name. */
  readonly tool: Tool;
}

export interface PoolOptions {
  readonly servers: McpConfig['servers'];
  readonly requestTimeout: number;
  /** Where relative commands and working directories resolve (airlock.yaml's directory). */
  readonly baseDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly version: string;
}

/** Pages read from one upstream for one list, at most. */
const MAX_PAGES = 50;

export class UpstreamPool {
  readonly #upstreams: ReadonlyMap<string, Upstream>;
  readonly #listeners = new Set<() => void>();
  /** Which upstream listed a resource URI, from the last listing. */
  readonly #resourceOwners = new Map<string, string>();

  constructor(options: PoolOptions) {
    this.#upstreams = new Map(
      Object.entries(options.servers).map(([name, spec]) => [
        name,
        new Upstream(name, spec, options, () => this.#changed()),
      ]),
    );
  }

  get names(): string[] {
    return [...this.#upstreams.keys()];
  }

  /** Each upstream: connected or not, and the process id of a stdio server that runs. */
  status(): { readonly server: string; readonly connected: boolean; readonly pid: number | null }[] {
    return [...this.#upstreams.entries()].map(([server, u]) => ({ server, ...u.status() }));
  }

  /** Called when an upstream's tool list changes (it said so, or it came back after dying). */
  onToolsChanged(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Every tool of every upstream that answers; an upstream that is down adds none (and is logged). */
  async tools(): Promise<UpstreamTool[]> {
    const lists = await Promise.all([...this.#upstreams.values()].map((u) => u.tools().catch(() => [])));
    return lists.flat();
  }

  /** The tool behind a namespaced name, or null when no upstream has it. */
  async findTool(name: string): Promise<UpstreamTool | null> {
    const dot = name.indexOf('.');
    const upstream = dot < 0 ? undefined : this.#upstreams.get(name.slice(0, dot));
    if (upstream === undefined) return null;
    const tools = await upstream.tools();
    return tools.find((t) => t.name === name) ?? null;
  }

  callTool(
    tool: UpstreamTool,
    args: Record<string, unknown>,
    options: RequestOptions,
  ): Promise<CallToolResult> {
    return this.#get(tool.server).request(async (client, timeout) => {
      const result = await client.callTool({ name: tool.upstreamName, arguments: args }, undefined, {
        timeout,
        resetTimeoutOnProgress: true,
        ...options,
      });
      return result as CallToolResult;
    });
  }

  async listResources(): Promise<Resource[]> {
    const lists = await this.#each('resources', (client, timeout) =>
      pages(
        (cursor) => client.listResources({ cursor }, { timeout }),
        (r) => r.resources,
      ),
    );
    this.#resourceOwners.clear();
    for (const [server, resources] of lists)
      for (const r of resources)
        if (!this.#resourceOwners.has(r.uri)) this.#resourceOwners.set(r.uri, server);
    return lists.flatMap(([, resources]) => resources);
  }

  async listResourceTemplates(): Promise<ResourceTemplate[]> {
    const lists = await this.#each('resources', (client, timeout) =>
      pages(
        (cursor) => client.listResourceTemplates({ cursor }, { timeout }),
        (r) => r.resourceTemplates,
      ),
    );
    return lists.flatMap(([, templates]) => templates);
  }

  /** Read from the upstream that listed the URI; an unlisted URI is tried on each upstream in turn. */
  async readResource(uri: string, options: RequestOptions): Promise<ReadResourceResult> {
    const owner = this.#resourceOwners.get(uri);
    const candidates = owner !== undefined ? [owner] : this.names;
    let last: unknown = new McpError(-32002, `Resource not found: ${uri}`);
    for (const server of candidates) {
      const upstream = this.#get(server);
      if (!(await upstream.supports('resources'))) continue;
      try {
        return await upstream.request((client, timeout) =>
          client.readResource({ uri }, { timeout, ...options }),
        );
      } catch (error) {
        last = error;
      }
    }
    throw last;
  }

  async listPrompts(): Promise<Prompt[]> {
    const lists = await this.#each('prompts', (client, timeout) =>
      pages(
        (cursor) => client.listPrompts({ cursor }, { timeout }),
        (r) => r.prompts,
      ),
    );
    return lists.flatMap(([server, prompts]) => prompts.map((p) => ({ ...p, name: `${server}.${p.name}` })));
  }

  getPrompt(
    name: string,
    args: Record<string, string> | undefined,
    options: RequestOptions,
  ): Promise<GetPromptResult> {
    const dot = name.indexOf('.');
    const upstream = dot < 0 ? undefined : this.#upstreams.get(name.slice(0, dot));
    if (upstream === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`);
    return upstream.request((client, timeout) =>
      client.getPrompt({ name: name.slice(dot + 1), arguments: args }, { timeout, ...options }),
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.#upstreams.values()].map((u) => u.close()));
  }

  /** Ask every upstream that offers `capability`; one that fails is left out (and logged). */
  async #each<T>(
    capability: 'resources' | 'prompts',
    work: (client: Client, timeout: number) => Promise<T>,
  ): Promise<[string, T][]> {
    const answers = await Promise.all(
      [...this.#upstreams.entries()].map(async ([name, upstream]): Promise<[string, T] | null> => {
        try {
          if (!(await upstream.supports(capability))) return null;
          return [name, await upstream.request(work)];
        } catch {
          return null;
        }
      }),
    );
    return answers.filter((a) => a !== null);
  }

  #get(server: string): Upstream {
    const upstream = this.#upstreams.get(server);
    if (upstream === undefined)
      throw new McpError(ErrorCode.InvalidParams, `no upstream MCP server "${server}"`);
    return upstream;
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}

async function pages<R extends { nextCursor?: string | undefined }, T>(
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

/** One upstream server: a client connected on demand, forgotten when its transport closes. */
class Upstream {
  readonly #name: string;
  readonly #spec: UpstreamSpec;
  readonly #options: PoolOptions;
  readonly #onToolsChanged: () => void;
  #client: Promise<Client> | null = null;
  #tools: Promise<UpstreamTool[]> | null = null;
  #closed = false;
  #connected = false;
  #pid: number | null = null;

  constructor(name: string, spec: UpstreamSpec, options: PoolOptions, onToolsChanged: () => void) {
    this.#name = name;
    this.#spec = spec;
    this.#options = options;
    this.#onToolsChanged = onToolsChanged;
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

  async supports(capability: 'resources' | 'prompts'): Promise<boolean> {
    const client = await this.#connect();
    return client.getServerCapabilities()?.[capability] !== undefined;
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
        this.#onToolsChanged();
      }
    };
    client.onerror = (error) =>
      logger.debug({ event: 'mcp.upstream_error', server: this.#name, err: error }, 'upstream MCP error');
    await client.connect(transport, { timeout: this.#options.requestTimeout });
    this.#connected = true;
    this.#pid = transport instanceof StdioClientTransport ? transport.pid : null;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      this.#tools = null;
      this.#onToolsChanged();
    });
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
