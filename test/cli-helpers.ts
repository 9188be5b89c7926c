/** Shared helpers of the cli.*.test.ts files: run main() with captured output, and a temp project per suite. */

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before } from 'node:test';
import { main } from '../src/cli/main.ts';
import { type Airlock, createAirlock } from '../src/gateway/airlock.ts';
import { makeProject } from './harness.ts';

export interface CliRun {
  readonly code: number;
  /** Every printed line (a call printing several lines counts as several). */
  readonly out: string[];
  readonly err: string[];
}

export async function cli(...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    out: (text) => out.push(...text.split('\n')),
    err: (text) => err.push(...text.split('\n')),
  });
  return { code, out, err };
}

/** Run a data command with --json: it must succeed and print JSON. */
// biome-ignore lint/suspicious/noExplicitAny: the parsed JSON is checked field by field by the assertions
export async function cliJson<T = any>(...args: string[]): Promise<T> {
  const run = await cli(...args, '--json');
  assert.equal(run.code, 0, run.err.join('\n'));
  assert.deepEqual(run.err, []);
  return JSON.parse(run.out.join('\n')) as T;
}

/** A failure: the exit code and the one-line reason (first err line). */
export function assertFails(run: CliRun, code: number, reason: string | RegExp): void {
  assert.equal(run.code, code, `exit code; err: ${run.err.join('\n')}`);
  assert.deepEqual(run.out, []);
  if (typeof reason === 'string') assert.equal(run.err[0], reason);
  else assert.match(run.err[0] ?? '', reason);
}

export async function withProject<T>(configPath: string, work: (airlock: Airlock) => Promise<T>): Promise<T> {
  const airlock = await createAirlock({ configPath, logLevel: 'silent' });
  try {
    return await work(airlock);
  } finally {
    await airlock.close();
  }
}

/**
 * Call inside a describe: before its tests, unset $AIRLOCK_CONFIG and $AIRLOCK_AS and make a fresh
 * quickstart project, handing its config path to `onReady`; after them, restore the variables and
 * remove every directory in the returned list (the project's, and any a test pushes).
 */
export function useCliProject(onReady: (configPath: string) => void): string[] {
  const dirs: string[] = [];
  const saved = { config: process.env.AIRLOCK_CONFIG, as: process.env.AIRLOCK_AS };

  before(async () => {
    delete process.env.AIRLOCK_CONFIG;
    delete process.env.AIRLOCK_AS;
    const project = await makeProject();
    dirs.push(project.dir);
    onReady(project.configPath);
  });

  after(async () => {
    if (saved.config !== undefined) process.env.AIRLOCK_CONFIG = saved.config;
    if (saved.as !== undefined) process.env.AIRLOCK_AS = saved.as;
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  return dirs;
}
