/** `airlock serve` as a real process: SIGHUP reloads the project (audited as policy.activated), SIGTERM stops it cleanly. */

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { main } from '../src/cli/main.ts';
import { createAirlock } from '../src/gateway/airlock.ts';
import { makeProject, restart } from './harness.ts';
import { STAGING_FREEZE, until } from './policy-reload-helpers.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/airlock');

describe('airlock serve: SIGHUP reloads, SIGTERM stops (a real process)', () => {
  let child: ChildProcess | null = null;
  let dir: string;
  let configPath: string;
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];

  before(async () => {
    ({ dir, configPath } = await makeProject());
  });

  after(async () => {
    if (child !== null && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('reloads on SIGHUP, then exits 0 on SIGTERM with server.stopped', async () => {
    const out: string[] = [];
    const io = { out: (line: string) => out.push(line), err: (line: string) => out.push(line) };
    assert.equal(
      await main(['agents', 'add', 'triage-bot', '--owner', 'sre', '--json', '--config', configPath], io),
      0,
    );
    const { token } = JSON.parse(out.join('\n')) as { token: string };
    const grant = ['trust', 'set', 'triage-bot', 'service.restart@staging', '--level', '2', '--override'];
    assert.equal(await main([...grant, '--reason', 'r', '--as', 'alice', '--config', configPath], io), 0);

    const proc = spawn(
      BIN,
      ['serve', '--config', configPath, '--port', '0', '--no-watch', '--log-level', 'info'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child = proc;
    const stderr: string[] = [];
    proc.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      raw.push(line);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {}
    });
    const exited = once(proc, 'exit');
    const event = (name: string) => lines.find((l) => l.event === name);

    const started = await until('server.started', () => {
      if (proc.exitCode !== null) throw new Error(`serve exited ${proc.exitCode}: ${stderr.join('')}`);
      return event('server.started');
    });
    const address = String(started.address);
    assert.match(address, /^http:\/\/127\.0\.0\.1:\d+$/);
    const v0 = String(started.bundle);

    const propose = async () => {
      const response = await fetch(`${address}/v1/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(restart()),
      });
      assert.equal(response.status, 201);
      return ((await response.json()) as { decision: { effect: string; policyVersion: string } }).decision;
    };
    const first = await propose();
    assert.equal(first.effect, 'execute');
    assert.equal(first.policyVersion, v0);

    await writeFile(path.join(dir, 'policies', 'staging-freeze.yaml'), STAGING_FREEZE);
    // --no-watch: nothing changes until the signal.
    assert.equal((await propose()).policyVersion, v0);
    assert.ok(proc.pid !== undefined);
    process.kill(proc.pid, 'SIGHUP');

    const decision = await until('a decision by the new bundle', async () => {
      const d = await propose();
      return d.policyVersion === v0 ? undefined : d;
    });
    assert.equal(decision.effect, 'deny');
    // Logs are written in buffered chunks (at most 100 ms late): wait for the line.
    const reloaded = await until('the project.reloaded log line', () => event('project.reloaded'));
    assert.equal(reloaded?.trigger, 'signal');
    assert.equal(reloaded?.bundle, decision.policyVersion);
    assert.equal(reloaded?.previousBundle, v0);

    process.kill(proc.pid, 'SIGTERM');
    const [code, signal] = await exited;
    assert.equal(signal, null);
    assert.equal(code, 0, stderr.join(''));
    assert.equal(event('server.stopping')?.signal, 'SIGTERM');
    assert.ok(event('server.stopped') !== undefined, raw.join('\n'));

    const verify = await main(['audit', 'verify', '--config', configPath], io);
    assert.equal(verify, 0, out.join('\n'));
    const airlock = await createAirlock({ configPath, logLevel: 'silent' });
    try {
      const activations = (await airlock.store.auditForSubject('policy')).map((e) => {
        const data = JSON.parse(e.data) as { bundle: string; previous: string | null; trigger: string };
        return [e.kind, data.trigger, data.bundle, data.previous];
      });
      assert.deepEqual(activations, [
        ['policy.activated', 'startup', v0, null],
        ['policy.activated', 'signal', decision.policyVersion, v0],
      ]);
    } finally {
      await airlock.close();
    }
  });
});
