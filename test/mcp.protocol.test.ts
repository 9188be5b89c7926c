/**
 * What the MCP gateway does not govern passes through intact: ping, resources, prompts, upstream
 * errors, cancellation; malformed messages get protocol errors and the proxy carries on; sessions
 * belong to their agent; and `airlock mcp` relays stdio to the server for an unmodified client.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { type Harness, type Loose, startHarness } from './harness.ts';
import { mcpClient, mcpProject, serverScript, textOf } from './mcp-helpers.ts';

const AIRLOCK = path.resolve(import.meta.dirname, '../bin/airlock');
const CONFIDENT = { 'airlock/confidence': 0.95, 'airlock/anomalyScore': 0.1 };

describe('MCP gateway: a faithful protocol', () => {
  let h: Harness;
  let root: string;
  let token: string;
  let client: Client;

  before(async () => {
    const project = await mcpProject('  allowedOrigins: ["https://agents.example.com"]');
    root = project.root;
    h = await startHarness({ files: project.files });
    token = await h.agent('mcp-bot');
    await h.grant('mcp-bot', 'demo.call@staging', 2);
    await h.grant('mcp-bot', 'file.write@staging', 1);
    client = await mcpClient(h, token);
  });
  after(async () => {
    await client?.close();
    await h?.close();
    await rm(root, { recursive: true, force: true });
  });

  /** A raw JSON-RPC POST to /mcp. */
  function post(body: string, headers: Record<string, string> = {}) {
    return h.request('POST', '/mcp', {
      token,
      rawBody: body,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
    });
  }

  it('ping is answered', async () => {
    assert.deepEqual(await client.ping(), {});
  });

  it('resources and resource templates of the upstreams are listed, and read from their server', async () => {
    const { resources } = await client.listResources();
    assert.ok(resources.length > 0, 'the everything server lists resources');
    const first = resources[0];
    assert.ok(first !== undefined);
    const read = await client.readResource({ uri: first.uri });
    assert.equal(read.contents[0]?.uri, first.uri);
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.ok(resourceTemplates.length > 0);
  });

  it('resource subscriptions: updates reach the sessions that subscribed, and stop after unsubscribing', async () => {
    const watcher = await mcpClient(h, token);
    const bystander = await mcpClient(h, token);
    const heard = { watcher: [] as string[], bystander: [] as string[] };
    watcher.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      heard.watcher.push(n.params.uri);
    });
    bystander.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      heard.bystander.push(n.params.uri);
    });
    const toggle = () =>
      watcher.callTool({ name: 'everything.toggle-subscriber-updates', arguments: {}, _meta: CONFIDENT });
    try {
      assert.equal(watcher.getServerCapabilities()?.resources?.subscribe, true);
      const { resources } = await watcher.listResources();
      const uri = resources.find((r) => r.uri.startsWith('demo://'))?.uri; // the everything server's
      assert.ok(uri !== undefined);
      assert.deepEqual(await watcher.subscribeResource({ uri }), {});
      // The everything server sends an update of each subscribed resource at once, then every 5 s.
      const on = await toggle();
      assert.match(textOf(on), /Started simulated resource updated notifications/);
      assert.equal(on._meta?.['airlock/status'], 'succeeded', 'the toggle is a governed call like any other');
      await until(() => heard.watcher.length > 0);
      assert.equal(heard.watcher[0], uri);
      assert.deepEqual(await watcher.unsubscribeResource({ uri }), {});
      const count = heard.watcher.length;
      await toggle(); // stops the updates
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(heard.watcher.length, count, 'no update after unsubscribing');
      assert.deepEqual(heard.bystander, [], 'a session that did not subscribe hears nothing');
    } finally {
      await watcher.close();
      await bystander.close();
    }
  });

  it('prompts are namespaced by server and fetched from it with their arguments', async () => {
    const { prompts } = await client.listPrompts();
    const simple = prompts.find((p) => p.name.startsWith('everything.') && (p.arguments ?? []).length === 0);
    assert.ok(simple !== undefined, prompts.map((p) => p.name).join(', '));
    const got = await client.getPrompt({ name: simple.name });
    assert.ok(got.messages.length > 0);
    await assert.rejects(
      client.getPrompt({ name: 'nowhere.prompt' }),
      (e: unknown) => e instanceof McpError && e.code === -32602,
    );
  });

  it('an upstream error reaches the caller as the same MCP error', async () => {
    const direct = new Client({ name: 'direct', version: '1.0.0' });
    await direct.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [serverScript('server-everything'), 'stdio'],
        stderr: 'ignore',
      }),
    );
    const errorOf = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => e as McpError,
      );
    const uri = 'demo://resource/static/document/nothing-here.md';
    const expected = await errorOf(direct.readResource({ uri }));
    await direct.close();
    assert.ok(expected instanceof McpError, 'the upstream refuses the URI');
    const actual = await errorOf(client.readResource({ uri }));
    assert.ok(actual instanceof McpError);
    assert.equal(actual.code, expected.code);
    assert.equal(actual.message, expected.message);
  });

  it('a tool no upstream has is an invalid-params protocol error', async () => {
    await assert.rejects(
      client.callTool({ name: 'fs.no_such_tool', arguments: {} }),
      (e: unknown) => e instanceof McpError && e.code === -32602 && /Unknown tool/.test(e.message),
    );
  });

  it('arguments the action type refuses are a tool error naming the field', async () => {
    const result = await client.callTool({
      name: 'fs.write_file',
      arguments: { path: path.join(root, 'x.md') },
    });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /validation_failed[\s\S]*params/);
  });

  it('a call held for approval that the caller cancels ends at once; its approval stays open', async () => {
    const abort = new AbortController();
    const held = client.callTool(
      { name: 'fs.write_file', arguments: { path: path.join(root, 'cancelled.md'), content: 'x' } },
      undefined,
      { signal: abort.signal },
    );
    const bob = await h.person('bob');
    for (let i = 0; ; i++) {
      const pending = await h.request('GET', '/v1/approvals', { token: bob });
      if (pending.body.approvals.some((a: Loose) => a.params.path.endsWith('cancelled.md'))) break;
      assert.ok(i < 500);
      await new Promise((r) => setTimeout(r, 20));
    }
    abort.abort('changed my mind');
    await assert.rejects(held);
    const pending = await h.request('GET', '/v1/approvals', { token: bob });
    assert.ok(pending.body.approvals.some((a: Loose) => a.params.path.endsWith('cancelled.md')));
    assert.deepEqual(await client.ping(), {}, 'the session carries on');
  });

  it('malformed JSON gets a JSON-RPC parse error, and the proxy goes on serving', async () => {
    const bad = await post('{"jsonrpc": "2.0", "method": ');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, -32700);
    const notRpc = await post(JSON.stringify({ hello: 'world' }), { 'mcp-session-id': sessionOf(client) });
    assert.equal(notRpc.status, 400);
    assert.equal(typeof notRpc.body.error.code, 'number');
    assert.deepEqual(await client.ping(), {});
  });

  it('a request without a session must start with initialize', async () => {
    const response = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
    assert.equal(response.status, 400);
    assert.match(response.body.error.message, /initialize/);
  });

  it("a session belongs to its agent: another agent's token cannot use it", async () => {
    const other = await h.agent('other-bot');
    const response = await h.request('POST', '/mcp', {
      token: other,
      rawBody: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionOf(client),
      },
    });
    assert.equal(response.status, 404);
  });

  it('a page from another origin is refused (DNS rebinding); loopback and listed origins may call', async () => {
    const init = JSON.stringify(initialize(1));
    const rebound = await post(init, { origin: 'http://evil.example.com', host: 'evil.example.com' });
    assert.equal(rebound.status, 403);
    assert.match(rebound.body.error.message, /origin http:\/\/evil\.example\.com is not allowed/);
    const inSession = await post(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), {
      origin: 'https://evil.example.com',
      'mcp-session-id': sessionOf(client),
    });
    assert.equal(inSession.status, 403, 'an open session is no way around it');
    assert.equal((await post(init, { origin: 'null' })).status, 403);

    const local = await post(init, { origin: 'http://127.0.0.1:6274' });
    assert.equal(local.status, 200);
    assert.match(local.text, /"serverInfo":\{"name":"airlock"/);
    const listed = await post(init, { origin: 'https://agents.example.com' });
    assert.equal(listed.status, 200, 'listed in mcp.allowedOrigins');
  });

  it('without a token there is no MCP at all', async () => {
    const response = await h.request('POST', '/mcp', {
      rawBody: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(response.status, 401);
  });

  it('airlock mcp relays stdio to the server: an unmodified stdio client lists and calls tools', async () => {
    const transport = new StdioClientTransport({
      command: AIRLOCK,
      args: ['mcp', '--agent', 'mcp-bot', '--url', h.url],
      env: { ...process.env, AIRLOCK_TOKEN: token } as Record<string, string>,
      stderr: 'pipe',
    });
    const stdio = new Client({ name: 'stdio-agent', version: '1.0.0' });
    await stdio.connect(transport);
    try {
      assert.equal(stdio.getServerVersion()?.name, 'airlock');
      const { tools } = await stdio.listTools();
      assert.ok(tools.some((t) => t.name === 'everything.echo'));
      const echo = await stdio.callTool({
        name: 'everything.echo',
        arguments: { message: 'via stdio' },
        _meta: CONFIDENT,
      });
      assert.match(textOf(echo), /via stdio/);
      assert.equal(echo._meta?.['airlock/status'], 'succeeded');
    } finally {
      await stdio.close();
    }
  });

  it('airlock mcp answers a bad stdin line with a parse error and carries on; a wrong agent is refused', async () => {
    const child = spawn(AIRLOCK, ['mcp', '--agent', 'mcp-bot', '--url', h.url], {
      env: { ...process.env, AIRLOCK_TOKEN: token },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const lines = readLines(child.stdout);
    child.stdin.write('this is not json\n');
    const parseError = JSON.parse(await lines.next());
    assert.equal(parseError.error.code, -32700);
    child.stdin.write(`${JSON.stringify(initialize(1))}\n`);
    const init = JSON.parse(await lines.next());
    assert.equal(init.id, 1);
    assert.equal(init.result.serverInfo.name, 'airlock');
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));

    const wrong = spawn(AIRLOCK, ['mcp', '--agent', 'someone-else', '--url', h.url], {
      env: { ...process.env, AIRLOCK_TOKEN: token },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const wrongLines = readLines(wrong.stdout);
    wrong.stdin.write(`${JSON.stringify(initialize(7))}\n`);
    const refused = JSON.parse(await wrongLines.next());
    assert.equal(refused.id, 7);
    assert.match(refused.error.message, /not agent someone-else/);
    wrong.stdin.end();
    await new Promise((resolve) => wrong.once('exit', resolve));
  });
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function initialize(id: number) {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  };
}

function sessionOf(client: Client): string {
  const id = (client.transport as { sessionId?: string } | undefined)?.sessionId;
  assert.ok(id !== undefined, 'the client has a session');
  return id;
}

/** Lines of a stream, one at a time. */
function readLines(stream: NodeJS.ReadableStream): { next(): Promise<string> } {
  let buffer = '';
  const waiting: ((line: string) => void)[] = [];
  const ready: string[] = [];
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      const taker = waiting.shift();
      if (taker === undefined) ready.push(line);
      else taker(line);
    }
  });
  return {
    next: () => {
      const line = ready.shift();
      return line !== undefined ? Promise.resolve(line) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}
