/**
 * The upstream MCP servers of airlock.yaml, each reached through one SDK client shared by every
 * agent session. Connections are made on first use and made again after an upstream dies; a
 * request to a dead upstream fails with an MCP error at once, never hangs. Tools and prompts are
 * namespaced by server (`fs.read_file`); resources keep their URIs and are routed by who listed
 * them, and so are subscriptions to their updates.
 */

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
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
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { McpConfig } from '../project/mcp-config.ts';
import { ResourceSubscriptions, type UpdateListener } from './resource-subscriptions.ts';
import { pages, Upstream, type UpstreamEvents } from './upstream.ts';

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

export class UpstreamPool {
  readonly #upstreams: ReadonlyMap<string, Upstream>;
  readonly #listeners = new Set<() => void>();
  /** Which upstream listed a resource URI, from the last listing. */
  readonly #resourceOwners = new Map<string, string>();
  readonly #subscriptions: ResourceSubscriptions;

  constructor(options: PoolOptions) {
    this.#subscriptions = new ResourceSubscriptions({
      candidates: (uri) => {
        const owner = this.#resourceOwners.get(uri);
        return owner === undefined ? this.names : [owner];
      },
      subscribe: async (server, uri) => {
        const upstream = this.#get(server);
        if (!(await upstream.supports('subscribe'))) return false;
        await upstream.request((client, timeout) => client.subscribeResource({ uri }, { timeout }));
        return true;
      },
      unsubscribe: async (server, uri) => {
        await this.#get(server).request((client, timeout) =>
          client.unsubscribeResource({ uri }, { timeout }),
        );
      },
    });
    const events: UpstreamEvents = {
      toolsChanged: () => this.#changed(),
      resourceUpdated: (server, uri) => this.#subscriptions.updated(server, uri),
      connected: (server) => void this.#subscriptions.reconnected(server),
    };
    this.#upstreams = new Map(
      Object.entries(options.servers).map(([name, spec]) => [
        name,
        new Upstream(name, spec, options, events),
      ]),
    );
  }

  /** `listener` hears of each update of `uri`, from the upstream that holds it. */
  subscribe(uri: string, listener: UpdateListener): Promise<void> {
    return this.#subscriptions.add(uri, listener);
  }

  unsubscribe(uri: string, listener: UpdateListener): Promise<void> {
    return this.#subscriptions.remove(uri, listener);
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
