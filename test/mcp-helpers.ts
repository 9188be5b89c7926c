/**
 * A project whose agents reach real MCP servers from npm through Airlock: the filesystem server
 * on a temporary directory, the memory server, and the "everything" reference server.
 */

import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Harness, HarnessOptions } from './harness.ts';

const SERVERS = path.resolve(import.meta.dirname, '../node_modules/@modelcontextprotocol');
export const serverScript = (name: string) => path.join(SERVERS, name, 'dist/index.js');

const MCP_TYPES = `
  file.read:
    description: Read files and directories
    tier: low
    domains: [security]
    reversible: true
    params: { type: object }
  file.write:
    description: Write a file
    tier: medium
    domains: [configuration]
    reversible: false
    params:
      type: object
      required: [path, content]
      properties:
        path: { type: string }
        content: { type: string }
  file.move:
    description: Move or rename a file
    tier: medium
    domains: [configuration]
    reversible: true
    params: { type: object }
  memory.read:
    description: Read the knowledge graph
    tier: low
    domains: [security]
    reversible: true
    params: { type: object }
  memory.write:
    description: Change the knowledge graph
    tier: low
    domains: [configuration]
    reversible: false
    params: { type: object }
`;

/** The "everything" reference server's tools: harmless, one low-tier type. */
const DEMO_TYPE = `  demo.call:
    description: The reference server's tools
    tier: low
    domains: [performance]
    reversible: true
    params: { type: object }
`;

const MCP_MAPPING = `
mcp:
  environment: staging
  tools:
    - { tool: "fs.read_*", type: file.read, targets: [{ id: "{{ args.path }}" }] }
    - { tool: "fs.list_*", type: file.read, targets: [{ id: "{{ args.path }}" }] }
    - { tool: fs.write_file, type: file.write, targets: [{ id: "{{ args.path }}" }] }
    - { tool: fs.move_file, type: file.move, targets: [{ id: "{{ args.source }}" }] }
    - { tool: memory.read_graph, type: memory.read }
    - { tool: "memory.*", type: memory.write }
    - { tool: "everything.*", type: demo.call }
`;

const MCP_POLICY = `rules:
  - name: reads-are-fine
    match: { types: [file.read, memory.read, demo.call] }
    effect: allow
    reason: Reading is harmless.
  - name: memory-is-the-agents-own
    match: { types: [memory.write] }
    effect: allow
    reason: The agent's memory is its own.
  - name: writes-need-a-human
    match: { types: [file.write] }
    effect: escalate
    reason: Writing files needs a human.
  - name: no-env-files
    match: { types: [file.write] }
    when: request.params.path.endsWith(".env")
    effect: deny
    reason: Nobody writes .env files through an agent.
  - name: no-moves
    match: { types: [file.move] }
    effect: deny
    reason: Files are never moved by agents.
`;

export interface McpProject {
  readonly files: NonNullable<HarnessOptions['files']>;
  /** The directory the filesystem server may touch. */
  readonly root: string;
}

export async function mcpProject(extraConfig = ''): Promise<McpProject> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'airlock-mcp-fs-'));
  const node = JSON.stringify(process.execPath);
  const config = `
mcp:
  approvalWait: 3s
  progressInterval: 100ms
  requestTimeout: 20s
  servers:
    fs: { command: ${node}, args: [${JSON.stringify(serverScript('server-filesystem'))}, ${JSON.stringify(root)}] }
    memory:
      command: ${node}
      args: [${JSON.stringify(serverScript('server-memory'))}]
      env: { MEMORY_FILE_PATH: ${JSON.stringify(path.join(root, '..', `${path.basename(root)}-memory.jsonl`))} }
    everything: { command: ${node}, args: [${JSON.stringify(serverScript('server-everything'))}, stdio] }
${extraConfig}`;
  return {
    root,
    files: {
      'airlock.yaml': (original) => original + config,
      'catalog.yaml': (original) =>
        original.replace(/^types:\n/m, `types:\n${MCP_TYPES.slice(1)}${DEMO_TYPE}`) + MCP_MAPPING,
      'policies/mcp.yaml': MCP_POLICY,
    },
  };
}

/** An MCP client of the official SDK, connected to the harness's `/mcp` with an agent's token. */
export async function mcpClient(h: Harness, token: string): Promise<Client> {
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL('/mcp', h.url), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

/** The text of a tool result. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}

/**
 * A project whose one upstream is the "everything" reference server (stdio), its tools one
 * low-tier type that policy allows; `mcpConfig` is added to airlock.yaml's `mcp` section.
 */
export function everythingProject(mcpConfig = ''): NonNullable<HarnessOptions['files']> {
  const args = JSON.stringify([serverScript('server-everything'), 'stdio']);
  return {
    'airlock.yaml': (original) =>
      `${original}
mcp:
  servers:
    everything: { command: ${JSON.stringify(process.execPath)}, args: ${args} }
${mcpConfig}`,
    'catalog.yaml': (original) =>
      `${original.replace(/^types:\n/m, `types:\n${DEMO_TYPE}`)}
mcp:
  environment: staging
  tools:
    - { tool: "everything.*", type: demo.call }
`,
    'policies/mcp.yaml': `rules:
  - name: demo-calls-are-fine
    match: { types: [demo.call] }
    effect: allow
    reason: The reference server's tools are harmless.
`,
  };
}
