/**
 * Running a catalog command (an executor or a check): no shell, nothing of Airlock's environment
 * but the variables allowed by name (their values redacted from everything recorded), output
 * captured and bounded, and a process group of its own: on timeout the whole group is killed,
 * grandchildren included, and when the command exits whatever it left running there is stopped.
 *
 * `argv[0]` without a slash is looked up on Airlock's own PATH (the `env` given) before spawning,
 * and the absolute path is run: the child's PATH is only what the allowlist passes through, so it
 * could not be found there. A program the command itself runs by name needs `PATH` in the allowlist.
 */

import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { CommandExecutorSpec } from '../catalog/catalog-schema.ts';
import { redact } from './redact.ts';
import { renderString, type TemplateContext, type TemplateEnv, TemplateError } from './template.ts';

/** The fields an executor's and a check's command have in common. */
export type CommandSpec = Pick<CommandExecutorSpec, 'argv' | 'env' | 'cwd' | 'timeout'>;

export interface ProcessOptions {
  /** Airlock's environment: the source of allowed variables, templates' `env.*` and PATH. */
  readonly env: TemplateEnv;
  /** What a relative `cwd` is resolved against (the catalog file's directory). */
  readonly baseDir: string;
  readonly signal?: AbortSignal | undefined;
}

/** What happened, redacted of every value passed through the environment. */
export type ProcessReport =
  | { readonly kind: 'not-started'; readonly argv: readonly string[]; readonly error: string }
  | {
      readonly kind: 'ran';
      readonly argv: readonly string[];
      /** The file executed: `argv[0]` resolved. */
      readonly program: string;
      readonly exitCode: number | null;
      readonly signal: string | null;
      readonly timedOut: boolean;
      /** Stopped because Airlock was shutting down. */
      readonly interrupted: boolean;
      readonly stdout: string;
      readonly stderr: string;
      readonly stdoutTruncated: boolean;
      readonly durationMs: number;
    };

/** Each of stdout and stderr is kept up to this many bytes. */
export const MAX_OUTPUT_BYTES = 64 * 1024;
/** Between SIGTERM and SIGKILL to the command's process group. */
const KILL_GRACE_MS = 2_000;
const ARGV_SECRET_REFUSAL = 'a command line (any process on the host can read it; pass it through env)';

interface Prepared {
  readonly program: string;
  readonly argv: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
}

class NotRunnable extends Error {
  override readonly name = 'NotRunnable';
}

/** Render, spawn and wait for one command; never rejects for anything the command does. */
export async function runProcess(
  spec: CommandSpec,
  ctx: TemplateContext,
  options: ProcessOptions,
): Promise<ProcessReport> {
  const passed = spec.env.map((name) => options.env[name] ?? '');
  let prepared: Prepared;
  try {
    prepared = prepare(spec, ctx, options);
  } catch (error) {
    if (!(error instanceof TemplateError || error instanceof NotRunnable)) throw error;
    return redact({ kind: 'not-started', argv: spec.argv, error: error.message }, passed);
  }
  return redact(await spawnAndWait(prepared, spec.timeout, options.signal, passed), passed);
}

function prepare(spec: CommandSpec, ctx: TemplateContext, options: ProcessOptions): Prepared {
  const argv = spec.argv.map(
    (arg) => renderString(arg, ctx, options.env, { forbidSecretsIn: ARGV_SECRET_REFUSAL }).value,
  );
  const env: Record<string, string> = {};
  for (const name of spec.env) {
    const value = options.env[name];
    // Fail closed: a command missing e.g. its KUBECONFIG could act on a default it was not meant to.
    if (value === undefined) throw new NotRunnable(`the environment variable ${name} is not set`);
    env[name] = value;
  }
  const cwd = path.resolve(options.baseDir, spec.cwd ?? '.');
  if (!isDirectory(cwd)) throw new NotRunnable(`the working directory ${cwd} does not exist`);
  return { program: findProgram(argv[0] ?? '', options.env.PATH ?? '', cwd), argv, env, cwd };
}

/** `name` as a file to execute: as written if it has a slash, else the first match on `pathVar`. */
function findProgram(name: string, pathVar: string, cwd: string): string {
  if (name.includes('/')) return path.resolve(cwd, name);
  // Empty PATH entries (the current directory) are skipped: a program is never picked up from cwd.
  for (const dir of pathVar.split(path.delimiter).filter((d) => path.isAbsolute(d))) {
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new NotRunnable(`${name}: not found on Airlock's PATH (write an absolute path)`);
}

/** Spawn, wait for the end of the command and of its output; stdout and stderr redacted of `secrets`. */
function spawnAndWait(
  prepared: Prepared,
  timeout: number,
  signal: AbortSignal | undefined,
  secrets: readonly string[],
): Promise<ProcessReport> {
  const { program, argv } = prepared;
  const started = performance.now();
  return new Promise((resolve) => {
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawnDetached(prepared);
    } catch (error) {
      // Arguments spawn refuses outright (a NUL byte in an argument).
      resolve({ kind: 'not-started', argv, error: error instanceof Error ? error.message : String(error) });
      return;
    }
    const stdout = capture(child.stdout, secrets);
    const stderr = capture(child.stderr, secrets);
    const stopper = groupStopper(child);
    let timedOut = false;
    let interrupted = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      stopper.stop();
    }, timeout);
    const onAbort = () => {
      interrupted = true;
      stopper.stop();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    const finish = (report: ProcessReport) => {
      clearTimeout(deadline);
      stopper.dispose();
      signal?.removeEventListener('abort', onAbort);
      resolve(report);
    };
    child.on('error', (error) => {
      // Only a failure to start leaves no pid; errors of a running child end in 'close' anyway.
      if (child.pid === undefined) finish({ kind: 'not-started', argv, error: error.message });
    });
    // A command's processes do not outlive it: whatever it left running in its group is stopped.
    child.on('exit', () => {
      clearTimeout(deadline);
      stopper.stop();
    });
    child.on('close', (exitCode, exitSignal) => {
      if (child.pid === undefined) return;
      finish({
        kind: 'ran',
        argv,
        program,
        exitCode,
        signal: exitSignal,
        timedOut,
        interrupted,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdoutTruncated: stdout.truncated(),
        durationMs: Math.round(performance.now() - started),
      });
    });
  });
}

function spawnDetached({ program, argv, env, cwd }: Prepared): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(program, argv.slice(1), {
    argv0: argv[0] ?? program,
    cwd,
    env,
    shell: false,
    // Its own process group, so that the whole of it can be signalled, grandchildren included.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Stopping a command: SIGTERM to its whole process group, SIGKILL after a grace; if something
 * outside the group (it called setsid) still holds the pipes after that, they are closed so that
 * the run ends. `dispose` once it has ended, so no signal is sent to a process group id reused since.
 */
function groupStopper(child: ChildProcessByStdio<null, Readable, Readable>) {
  const timers: NodeJS.Timeout[] = [];
  const signalGroup = (name: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, name);
    } catch {
      // ESRCH: nothing of the group is left.
    }
  };
  return {
    stop(): void {
      if (timers.length > 0) return;
      signalGroup('SIGTERM');
      timers.push(setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS));
      timers.push(
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
        }, KILL_GRACE_MS + 500),
      );
    },
    dispose(): void {
      timers.forEach(clearTimeout);
    },
  };
}

/**
 * Collect a stream's first 64 KiB, redacted; the rest is read and dropped so that the writer never
 * blocks. A little more is kept until redaction, so that a secret across the cut is found whole.
 */
function capture(
  stream: Readable,
  secrets: readonly string[],
): { text: () => string; truncated: () => boolean } {
  const keep = MAX_OUTPUT_BYTES + Math.max(0, ...secrets.map((secret) => Buffer.byteLength(secret)));
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    if (size < keep) chunks.push(chunk.subarray(0, keep - size));
    size += chunk.byteLength;
  });
  const truncated = () => size > MAX_OUTPUT_BYTES;
  const text = () => {
    const redacted = redact(Buffer.concat(chunks).toString('utf8'), secrets);
    if (!truncated()) return redacted;
    const kept = Buffer.from(redacted, 'utf8').subarray(0, MAX_OUTPUT_BYTES).toString('utf8');
    return `${kept}\n… [truncated: ${size} bytes in all]`;
  };
  return { text, truncated };
}

/** The last non-empty line, clipped: the usual place for a tool's error. */
export function lastLine(text: string): string {
  const line = text.trimEnd().split('\n').at(-1)?.trim() ?? '';
  return line.length <= 200 ? line : `${line.slice(0, 199)}…`;
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
