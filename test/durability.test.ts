/** Invariants 5 and 9 on a real process: an answered decision is on disk, even if the server is killed at once. */

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createAirlock } from '../src/gateway/airlock.ts';
import { makeProject, restart } from './harness.ts';
import { projectStorage, withRawDb } from './raw-db.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

async function startServer(configPath: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    path.join(ROOT, 'bin/airlock'),
    ['serve', '--config', configPath, '--port', '0', '--no-watch'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const match = /"event":"server.started","address":"([^"]+)"/.exec(output);
    if (match?.[1] !== undefined) return { child, url: match[1] };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('durability', () => {
  let child: ChildProcess | null = null;
  let dir: string | null = null;
  after(async () => {
    child?.kill('SIGKILL');
    if (dir !== null) await rm(dir, { recursive: true, force: true });
  });

  it('every answered decision survives SIGKILL right after the answers, and the chain verifies', async () => {
    const project = await makeProject();
    dir = project.dir;
    const { configPath } = project;
    const setup = await createAirlock({ configPath, logLevel: 'silent' });
    const { token } = await setup.agents.add(
      { id: 'crash-bot', owner: 'sre' },
      { kind: 'system', id: 'test' },
    );
    await setup.trust.setLevel(
      { agentId: 'crash-bot', scope: 'service.restart@staging', level: 2, reason: 'test', override: true },
      setup.people.get('alice'),
    );
    await setup.close();

    const server = await startServer(configPath);
    child = server.child;
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        fetch(`${server.url}/v1/actions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(restart({ params: { reason: `restart number ${i}` } })),
        }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { id: string; decision: { effect: string } },
        })),
      ),
    );
    server.child.kill('SIGKILL');
    await once(server.child, 'exit');
    child = null;

    assert.ok(answers.every((a) => a.status === 201 && a.body.decision.effect === 'execute'));
    const acknowledged = answers.map((a) => a.body.id);

    // Straight from the database, with a fresh connection: the rows and both events of each decision.
    await withRawDb(await projectStorage(project.dir), async (db) => {
      const stored = new Set((await db.all<{ id: string }>('SELECT id FROM actions')).map((r) => r.id));
      const decided = new Set(
        (
          await db.all<{ subject: string }>("SELECT subject FROM audit_events WHERE kind = 'action.decided'")
        ).map((r) => r.subject),
      );
      for (const id of acknowledged) {
        assert.ok(stored.has(id), `action ${id} was answered but is not stored`);
        assert.ok(decided.has(id), `action ${id} was answered but its decision is not in the audit chain`);
      }
    });

    const reopened = await createAirlock({ configPath, logLevel: 'silent' });
    try {
      const report = await reopened.audit.verify();
      assert.equal(report.ok, true, report.problem ?? '');
      const found = await reopened.store.getAction(acknowledged[0] ?? '');
      assert.equal(found?.decision.effect, 'execute');
    } finally {
      await reopened.close();
    }
  });
});
