/** Throwaway copies of the quickstart project for benchmarks (the test harness's, plus the database path and cleanup). */

import { rm } from 'node:fs/promises';
import path from 'node:path';
import { makeProject } from '../test/harness.ts';

export interface TempProject {
  readonly dir: string;
  readonly configPath: string;
  /** The SQLite file the project's default storage URL points to. */
  readonly dbPath: string;
  remove(): Promise<void>;
}

export async function tempProject(
  overrides: Readonly<Record<string, string | ((original: string) => string)>> = {},
): Promise<TempProject> {
  const { dir, configPath } = await makeProject(overrides);
  return {
    dir,
    configPath,
    dbPath: path.join(dir, 'data', 'airlock.db'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
