/** Runs `airlock serve` as a child process for the HTTP benchmark: start, find its address, stop. */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = path.resolve(import.meta.dirname, '..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Where the server's stdout and stderr go (JSON log lines). */
  readonly logFile: string;
  /** SIGTERM, then wait for the exit; resolves with the exit code (or the signal's name). */
  stop(): Promise<number | string>;
}

/**
 * Start the real server on a free port. The log goes to a file rather than a pipe, so the
 * load generator's process never spends time draining it; the address comes from its
 * `server.started` line (hence log level info: the only level that prints it).
 */
export async function startServer(
  configPath: string,
  options: { logFile: string; nodeArgs?: readonly string[]; timeoutMs?: number },
): Promise<ServerProcess> {
  const log = await open(options.logFile, 'w');
  const args = [
    ...(options.nodeArgs ?? []),
    path.join(ROOT, 'src/cli/main.ts'),
    'serve',
    '--config',
    configPath,
    '--port',
    '0',
    '--log-level',
    'info',
    '--no-watch',
  ];
  const child = spawn(NODE, args, { cwd: ROOT, stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  // Whatever ends the benchmark, the server does not outlive it.
  const orphaned = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', orphaned);
  void exited.then(() => process.off('exit', orphaned));

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let url: string | null = null;
  while (url === null) {
    if (child.exitCode !== null)
      throw new Error(`server exited (${child.exitCode}): ${await tail(options.logFile)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start in time: ${await tail(options.logFile)}`);
    }
    url = startedAddress(await readFile(options.logFile, 'utf8'));
    if (url === null) await sleep(50);
  }

  return {
    child,
    url,
    logFile: options.logFile,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const [code, signal] = await exited;
      return code ?? signal ?? 'unknown';
    },
  };
}

/** The `address` of the first JSON log line whose event is `server.started`. */
function startedAddress(text: string): string | null {
  for (const line of text.split('\n')) {
    if (!line.includes('server.started')) continue;
    try {
      const entry = JSON.parse(line) as { event?: string; address?: string };
      if (entry.event === 'server.started' && typeof entry.address === 'string') return entry.address;
    } catch {
      // A line still being written; read again next round.
    }
  }
  return null;
}

async function tail(file: string): Promise<string> {
  return (await readFile(file, 'utf8').catch(() => '')).slice(-2_000);
}
