/**
 * The demo's Airlock: `airlock serve` as a child process with its JSON log in a file, and the
 * command line for what only the command line does (registering an agent, issuing tokens).
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const AIRLOCK = path.resolve(import.meta.dirname, '../bin/airlock');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** Run `airlock <args> --json --config <config>` and parse what it prints. */
export async function airlockCli<T>(configPath: string, args: readonly string[]): Promise<T> {
  try {
    const { stdout } = await promisify(execFile)(AIRLOCK, [...args, '--json', '--config', configPath]);
    return JSON.parse(stdout) as T;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`airlock ${args.join(' ')} failed: ${stderr || (error as Error).message}`);
  }
}

export interface ServerProcess {
  readonly url: string;
  readonly pid: number | undefined;
  /** SIGTERM (the server drains and closes its store), SIGKILL if it is not gone in 10 s. */
  stop(): Promise<void>;
}

/** Thrown when the port is taken, so a default port can fall back to a free one. */
export class PortBusyError extends Error {
  override readonly name = 'PortBusyError';
}

export async function startServer(configPath: string, logFile: string, port: number): Promise<ServerProcess> {
  const log = await open(logFile, 'a');
  const args = ['serve', '--config', configPath, '--port', String(port), '--log-level', 'info'];
  const child = spawn(AIRLOCK, args, { stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  const exited = once(child, 'exit');
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    const url = startedAddress(text);
    if (url !== null) return { url, pid: child.pid, stop: () => stop(child, exited) };
    if (child.exitCode !== null || child.signalCode !== null) {
      const reason = text.includes('cannot listen') ? PortBusyError : Error;
      throw new reason(`airlock serve exited (${child.exitCode ?? child.signalCode}): ${lastMessages(text)}`);
    }
    if (Date.now() > deadline) {
      await stop(child, exited);
      throw new Error(
        `airlock serve did not start within ${START_TIMEOUT_MS / 1000} s: ${lastMessages(text)}`,
      );
    }
    await sleep(50);
  }
}

async function stop(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** The `address` of the `server.started` log line. */
function startedAddress(text: string): string | null {
  for (const entry of entries(text))
    if (entry.event === 'server.started' && typeof entry.address === 'string') return entry.address;
  return null;
}

/** The last few messages of the log, for an error. */
function lastMessages(text: string): string {
  const messages = entries(text).map((e) => String(e.msg ?? ''));
  const plain = text.split('\n').filter((line) => line !== '' && !line.startsWith('{'));
  return [...messages, ...plain].slice(-3).join(' | ') || '(no output)';
}

function entries(text: string): Record<string, unknown>[] {
  const parsed: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      parsed.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A line still being written.
    }
  }
  return parsed;
}
