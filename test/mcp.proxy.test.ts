/**
 * The MCP gateway end to end: the official SDK client drives Airlock at /mcp, Airlock drives real
 * MCP servers from npm (filesystem on a temporary directory, memory, everything), and every tool
 * call is governed: a read executed, a write escalated then approved and executed, a write denied,
 * a level-0 call advised, a hidden tool denied and audited, a call picked up by approval id after
 * its wait ended (run once), and an upstream that dies mid-call.
 */

import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { type Harness, type Loose, startHarness } from './harness.ts';
import { mcpClient, mcpProject, textOf } from './mcp-helpers.ts';

/** Levels 2 and 3 act alone only on a stated confidence and anomaly score; MCP callers give them in _meta. */
const CONFIDENT = { 'airlock/confidence': 0.95, 'airlock/anomalyScore': 0.1 };

describe('MCP gateway: governed tool calls against real MCP servers', () => {
  let h: Harness;
  let root: string;
  let client: Client;
  let bob: string;

  before(async () => {
    const project = await mcpProject();
    root = project.root;
    h = await startHarness({ files: project.files });
    const token = await h.agent('mcp-bot');
    await h.grant('mcp-bot', 'file.read@staging', 2);
    await h.grant('mcp-bot', 'demo.call@staging', 2);
    await h.grant('mcp-bot', 'file.write@staging', 1);
    bob = await h.person('bob');
    await writeFile(path.join(root, 'notes.txt'), 'hello from the fleet\n');
    client = await mcpClient(h, token);
  });
  after(async () => {
    await client?.close();
    await h?.close();
    await rm(root, { recursive: true, force: true });
  });

  async function action(id: string): Promise<Loose> {
    const alice = await h.person('alice');
    return (await h.request('GET', `/v1/actions/${id}`, { token: alice })).body;
  }

  it('initialize answers as Airlock, and tools/list shows the namespaced upstream tools the agent could use', async () => {
    assert.equal(client.getServerVersion()?.name, 'airlock');
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const name of ['fs.read_text_file', 'fs.write_file', 'memory.create_entities', 'everything.echo'])
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    assert.ok(names.includes('airlock.await_approval'));
    // fs.move_file maps to file.move, which the policy denies outright: never shown.
    assert.ok(!names.includes('fs.move_file'));
    const write = tools.find((t) => t.name === 'fs.write_file');
    assert.equal(write?.inputSchema.type, 'object', 'the upstream schema passes through');
  });

  it('a read at level 2 is executed upstream and its result returned; the action succeeded', async () => {
    const result = await client.callTool({
      name: 'fs.read_text_file',
      arguments: { path: path.join(root, 'notes.txt') },
      _meta: CONFIDENT,
    });
    assert.notEqual(result.isError, true, textOf(result));
    assert.match(textOf(result), /hello from the fleet/);
    const id = result._meta?.['airlock/actionId'] as string;
    const recorded = await action(id);
    assert.equal(recorded.type, 'file.read');
    assert.equal(recorded.decision.effect, 'execute');
    assert.equal(recorded.status, 'succeeded');
    assert.deepEqual(recorded.targets, [{ id: path.join(root, 'notes.txt') }]);
  });

  it('a level-0 call is not forwarded: the result says it was recorded as a recommendation', async () => {
    const before = await readFile(path.join(root, '..', `${path.basename(root)}-memory.jsonl`), 'utf8').catch(
      () => '',
    );
    const result = await client.callTool({
      name: 'memory.create_entities',
      arguments: { entities: [{ name: 'api-1', entityType: 'service', observations: ['leaks memory'] }] },
    });
    // memory.create_entities declares an output schema, which a recommendation cannot fill:
    // the answer is marked as an error so that clients validating the schema accept it.
    assert.equal(result.isError, true);
    assert.match(textOf(result), /recorded this call as a recommendation \(action act_/);
    const recorded = await action(result._meta?.['airlock/actionId'] as string);
    assert.equal(recorded.status, 'advised');
    const after = await readFile(path.join(root, '..', `${path.basename(root)}-memory.jsonl`), 'utf8').catch(
      () => '',
    );
    assert.equal(after, before, 'the memory server was not called');
  });

  it('a write the policy denies is a tool error with the reason, and nothing is written', async () => {
    const result = await client.callTool({
      name: 'fs.write_file',
      arguments: { path: path.join(root, 'prod.env'), content: 'SECRET=1' },
    });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /Denied by Airlock .*Nobody writes \.env files/);
    await assert.rejects(readFile(path.join(root, 'prod.env')));
  });

  it('a hidden tool called anyway is denied, and the attempt is in the audit chain', async () => {
    const result = await client.callTool({
      name: 'fs.move_file',
      arguments: { source: path.join(root, 'notes.txt'), destination: path.join(root, 'moved.txt') },
    });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /Files are never moved by agents/);
    const recorded = await action(result._meta?.['airlock/actionId'] as string);
    assert.equal(recorded.status, 'denied');
    assert.ok(recorded.path.some((step: Loose) => step.kind === 'action.proposed' && step.seq > 0));
    await readFile(path.join(root, 'notes.txt'), 'utf8');
  });

  it('a write at level 1 is held with progress while a person approves it, then executed once', async () => {
    const target = path.join(root, 'runbook.md');
    const progress: string[] = [];
    const call = client.callTool(
      { name: 'fs.write_file', arguments: { path: target, content: '# restart api-1\n' } },
      undefined,
      { onprogress: (p) => progress.push(p.message ?? ''), resetTimeoutOnProgress: true },
    );
    const approval = await pendingApproval(target);
    const vote = await h.request('POST', `/v1/approvals/${approval.id}/decisions`, {
      token: bob,
      body: { verdict: 'approve', comment: 'fine' },
    });
    assert.equal(vote.status, 200, vote.text);
    const result = await call;
    assert.notEqual(result.isError, true, textOf(result));
    assert.equal(await readFile(target, 'utf8'), '# restart api-1\n');
    assert.ok(
      progress.some((m) => m.includes(`waiting for approval ${approval.id}`)),
      progress.join('|'),
    );
    const recorded = await action(result._meta?.['airlock/actionId'] as string);
    assert.equal(recorded.status, 'succeeded');
  });

  it('a call whose wait ends first names the approval; picked up by that id it runs once, and never again', async () => {
    const target = path.join(root, 'later.md');
    const held = await client.callTool({
      name: 'fs.write_file',
      arguments: { path: target, content: 'one\n' },
    });
    assert.equal(held.isError, true);
    const approvalId = held._meta?.['airlock/approvalId'] as string;
    assert.match(textOf(held), new RegExp(`waits for human approval ${approvalId}`));
    await assert.rejects(readFile(target), 'nothing written while pending');

    const vote = await h.request('POST', `/v1/approvals/${approvalId}/decisions`, {
      token: bob,
      body: { verdict: 'approve' },
    });
    assert.equal(vote.status, 200, vote.text);
    const picked = await client.callTool({ name: 'airlock.await_approval', arguments: { approvalId } });
    assert.notEqual(picked.isError, true, textOf(picked));
    assert.equal(await readFile(target, 'utf8'), 'one\n');

    // The file is changed by hand; picking up again must not write it a second time.
    await writeFile(target, 'changed by a person\n');
    const again = await client.callTool({
      name: 'fs.write_file',
      arguments: { path: target, content: 'one\n' },
      _meta: { 'airlock/approvalId': approvalId },
    });
    assert.match(textOf(again), /ran at most once; this call did not run it again/);
    assert.equal(await readFile(target, 'utf8'), 'changed by a person\n');
    const recorded = await action(held._meta?.['airlock/actionId'] as string);
    assert.equal(recorded.path.filter((s: Loose) => s.kind === 'execution.reported').length, 1);
  });

  it('an agent suspended between the approval and the pickup: the call is not forwarded, the action is denied', async () => {
    const token = await h.agent('mcp-late-bot');
    await h.grant('mcp-late-bot', 'file.write@staging', 1);
    const late = await mcpClient(h, token);
    try {
      const target = path.join(root, 'suspended.md');
      const held = await late.callTool({
        name: 'fs.write_file',
        arguments: { path: target, content: 'x\n' },
      });
      const approvalId = held._meta?.['airlock/approvalId'] as string;
      assert.ok(approvalId, textOf(held));
      const vote = await h.request('POST', `/v1/approvals/${approvalId}/decisions`, {
        token: bob,
        body: { verdict: 'approve' },
      });
      assert.equal(vote.status, 200, vote.text);
      await h.airlock.agents.setStatus('mcp-late-bot', 'suspended', { kind: 'system', id: 'test' }, null);

      const picked = await late.callTool({ name: 'airlock.await_approval', arguments: { approvalId } });
      assert.equal(picked.isError, true);
      assert.match(textOf(picked), /is denied: agent mcp-late-bot is suspended/);
      await assert.rejects(readFile(target), 'nothing written');
      const recorded = await action(held._meta?.['airlock/actionId'] as string);
      assert.equal(recorded.status, 'denied');
      assert.ok(recorded.path.some((s: Loose) => s.kind === 'execution.refused'));
      assert.ok(!recorded.path.some((s: Loose) => s.kind === 'execution.reported'));
    } finally {
      await late.close();
    }
  });

  it('an upstream that dies mid-call yields an MCP error at once, the action is unknown, and the server is started again on next use', async () => {
    const slow = client.callTool(
      {
        name: 'everything.trigger-long-running-operation',
        arguments: { duration: 60, steps: 60 },
        _meta: CONFIDENT,
      },
      undefined,
      { timeout: 120_000 },
    );
    const alice = await h.person('alice');
    // Kill the server only once the call has been cleared and forwarded (the permit is taken).
    for (let i = 0; ; i++) {
      const running = await h.request('GET', '/v1/actions?type=demo.call&status=approved', { token: alice });
      if (running.body.actions.length > 0) break;
      assert.ok(i < 500, 'the slow call was never cleared');
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 200));
    const killedPid = await upstreamPid('everything');
    process.kill(killedPid, 'SIGKILL');
    await assert.rejects(
      slow,
      (error: unknown) => error instanceof McpError && /closed/i.test(error.message),
    );
    const actions = await h.request('GET', '/v1/actions?type=demo.call', { token: alice });
    const killed = actions.body.actions.find((a: Loose) =>
      a.context.mcp.tool.startsWith('everything.trigger-long'),
    );
    assert.equal(killed?.status, 'unknown', JSON.stringify(actions.body).slice(0, 1500));

    // An unknown outcome costs the scope a level (the quickstart's demotion rule): now it asks first.
    const echo = await client.callTool({
      name: 'everything.echo',
      arguments: { message: 'back' },
      _meta: CONFIDENT,
    });
    assert.equal(echo._meta?.['airlock/status'], 'pending_approval', JSON.stringify(echo));
    // The server is started again on next use: its tools are back, from a new process.
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'everything.echo'));
    const restarted = h.app.mcp.pool.status().find((s) => s.server === 'everything');
    assert.equal(restarted?.connected, true);
    assert.notEqual(restarted?.pid, killedPid);
  });

  /** The approval of the write to `target`, once the held call has opened it. */
  async function pendingApproval(target: string): Promise<Loose> {
    for (let i = 0; i < 500; i++) {
      const pending = await h.request('GET', '/v1/approvals', { token: bob });
      const found = pending.body.approvals?.find((a: Loose) => a.params?.path === target);
      if (found !== undefined) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no approval opened for ${target}`);
  }

  async function upstreamPid(server: string): Promise<number> {
    for (let i = 0; i < 500; i++) {
      const pid = h.app.mcp.pool.status().find((s) => s.server === server)?.pid;
      if (pid !== undefined && pid !== null) return pid;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`the ${server} server never ran`);
  }
});
