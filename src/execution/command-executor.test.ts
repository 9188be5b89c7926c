/** The command executor with real processes: exits, timeouts, the environment and redaction. */

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CommandExecutorSpec } from '../catalog/catalog-schema.ts';
import { runCommand } from './command-executor.ts';
import { context } from './execution-test-helpers.ts';
import { MAX_OUTPUT_BYTES } from './process-runner.ts';

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', DB_PASSWORD: 'pw-9f8e7d6c5b', OTHER: 'not-passed' };

function spec(argv: string[], extra: Partial<CommandExecutorSpec> = {}): CommandExecutorSpec {
  return { kind: 'command', argv, env: [], timeout: 5_000, perTarget: false, ...extra };
}

/** Whether a process exists and is not a zombie (a container's init may not reap them). */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat !== null && !/^\d+ \(.*\) Z /.test(stat);
}

describe('runCommand', () => {
  let baseDir: string;
  const run = (s: CommandExecutorSpec, ctx = context()) => runCommand(s, ctx, { env: ENV, baseDir });

  before(async () => {
    baseDir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'airlock-command-')));
    await mkdir(path.join(baseDir, 'sub'));
  });
  after(() => rm(baseDir, { recursive: true, force: true }));

  it('succeeds on exit 0, with stdout parsed as JSON for output', async () => {
    const result = await run(
      spec(['/bin/sh', '-c', 'echo \'{"revision": "{{params.rev}}"}\''], {}),
      context({ rev: 'r7' }),
    );
    assert.equal(result.outcome, 'succeeded');
    assert.equal(result.message, '/bin/sh exited with 0');
    assert.deepEqual(result.output, { revision: 'r7' });
    assert.equal(result.detail.exitCode, 0);
    assert.equal(result.detail.timedOut, false);
  });

  it('fails on a non-zero exit, quoting the last line of stderr', async () => {
    const result = await run(
      spec(['/bin/sh', '-c', 'echo working; echo "deployment not found" >&2; exit 3']),
    );
    assert.equal(result.outcome, 'failed');
    assert.equal(result.message, '/bin/sh exited with 3: deployment not found');
    assert.equal(result.detail.stdout, 'working\n');
    assert.equal(result.output, 'working');
  });

  it('is unknown when killed by a signal it was not sent by Airlock', async () => {
    const result = await run(spec(['/bin/sh', '-c', 'kill -9 $$']));
    assert.equal(result.outcome, 'unknown');
    assert.match(result.message, /killed by SIGKILL/);
  });

  it('kills the whole process group on timeout, grandchildren included, and is unknown', async () => {
    const result = await run(
      spec(['/bin/sh', '-c', '/bin/sleep 30 & echo $!; /bin/sleep 30'], { timeout: 300 }),
    );
    assert.equal(result.outcome, 'unknown');
    assert.equal(result.detail.timedOut, true);
    assert.match(result.message, /past its timeout/);
    const grandchild = Number(String(result.detail.stdout).trim());
    assert.ok(grandchild > 0, `grandchild pid: ${result.detail.stdout}`);
    assert.equal(await alive(grandchild), false, 'the background sleep was killed');
  });

  it('stops what a command left running when it exits', async () => {
    const result = await run(spec(['/bin/sh', '-c', '/bin/sleep 30 & echo $!']));
    assert.equal(result.outcome, 'succeeded');
    // The run ends when the signalled sleep lets go of the pipes, which can be a moment before the
    // kernel has it a zombie: give it that moment (the sleep itself would last 30 s).
    const pid = Number(String(result.detail.stdout).trim());
    for (let tries = 0; tries < 100 && (await alive(pid)); tries++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(await alive(pid), false);
  });

  it('passes only the allowlisted variables (not even PATH), redacting their values', async () => {
    const result = await run(spec(['/usr/bin/env'], { env: ['DB_PASSWORD'] }));
    assert.equal(result.detail.stdout, 'DB_PASSWORD=[redacted]\n');
    const empty = await run(spec(['/usr/bin/env']));
    assert.equal(empty.detail.stdout, '');
  });

  it('redacts passed-through values from everything recorded', async () => {
    const result = await run(
      spec(
        [
          '/bin/sh',
          '-c',
          'echo "connecting with $DB_PASSWORD"; echo "bad password $DB_PASSWORD" >&2; exit 1',
        ],
        {
          env: ['DB_PASSWORD'],
        },
      ),
    );
    const recorded = JSON.stringify(result);
    assert.equal(recorded.includes(ENV.DB_PASSWORD), false, recorded);
    assert.equal(result.detail.stdout, 'connecting with [redacted]\n');
    assert.equal(result.message, '/bin/sh exited with 1: bad password [redacted]');
  });

  it('does not run when an allowlisted variable is not set', async () => {
    const result = await run(spec(['/usr/bin/true'], { env: ['KUBECONFIG'] }));
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /^not run: .*KUBECONFIG is not set/);
  });

  it('truncates long output to 64 KiB', async () => {
    const result = await run(
      spec(['/bin/sh', '-c', '/usr/bin/head -c 200000 /dev/zero | /usr/bin/tr "\\0" a']),
    );
    assert.equal(result.outcome, 'succeeded');
    const stdout = String(result.detail.stdout);
    assert.ok(stdout.startsWith('a'.repeat(MAX_OUTPUT_BYTES)));
    assert.match(stdout.slice(MAX_OUTPUT_BYTES), /^\n… \[truncated: 200000 bytes in all\]$/);
    assert.ok(typeof result.output === 'string' && result.output.length < 5_000);
  });

  it('redacts a secret that straddles the 64 KiB cut', async () => {
    const script = '/usr/bin/head -c 65530 /dev/zero | /usr/bin/tr "\\0" a; echo "$DB_PASSWORD"; echo more';
    const result = await run(spec(['/bin/sh', '-c', script], { env: ['DB_PASSWORD'] }));
    const stdout = String(result.detail.stdout);
    assert.match(stdout, /truncated/);
    assert.equal(stdout.includes(ENV.DB_PASSWORD.slice(0, 5)), false, stdout.slice(65_500));
  });

  it("looks a bare program name up on Airlock's PATH, never in the working directory", async () => {
    const found = await run(spec(['env']));
    assert.equal(found.outcome, 'succeeded');
    assert.match(String(found.detail.program), /^\/.*\/env$/);
    const missing = await run(spec(['no-such-program-airlock']));
    assert.equal(missing.outcome, 'failed');
    assert.match(missing.message, /not found on Airlock's PATH/);
    await writeFile(path.join(baseDir, 'sub', 'local-tool'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
    const env = { ...ENV, PATH: `:.:${ENV.PATH}` };
    const local = await runCommand(spec(['local-tool'], { cwd: 'sub' }), context(), { env, baseDir });
    assert.match(local.message, /^not run: local-tool: not found/);
    const explicit = await runCommand(spec(['./local-tool'], { cwd: 'sub' }), context(), { env, baseDir });
    assert.equal(explicit.detail.stdout, 'ran\n');
  });

  it('fails, not run, when the program cannot be spawned', async () => {
    const result = await run(spec(['/nonexistent/tool']));
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /^not run: .*ENOENT/);
  });

  it('runs in cwd relative to the base directory', async () => {
    const result = await run(spec(['/bin/pwd'], { cwd: 'sub' }));
    assert.equal(result.detail.stdout, `${path.join(baseDir, 'sub')}\n`);
    const absent = await run(spec(['/bin/pwd'], { cwd: 'absent' }));
    assert.match(absent.message, /^not run: the working directory .*absent does not exist/);
  });

  it('refuses secrets in argv and missing values', async () => {
    const secret = await run(spec(['/bin/echo', '{{secret.DB_PASSWORD}}']));
    assert.match(secret.message, /^not run: .*secret may not be used in a command line/);
    const missing = await run(spec(['/bin/echo', '{{params.nope}}']));
    assert.match(missing.message, /^not run: \{\{params\.nope\}\} has no value/);
  });

  it('runs per target and stops at the first failure', async () => {
    const targets = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const result = await run(
      spec(['/bin/sh', '-c', 'echo {{target.id}}; test {{target.id}} != b'], { perTarget: true }),
      context({}, targets),
    );
    assert.equal(result.outcome, 'failed');
    assert.deepEqual(result.detail.skipped, ['c']);
    assert.deepEqual(result.output, [
      { target: 'a', output: 'a' },
      { target: 'b', output: 'b' },
    ]);
  });
});
