/** Throwaway copies of the quickstart project for benchmarks (the test harness's, plus the database path and cleanup). */

import { rm } from 'node:fs/promises';
import path from 'node:path';
import { makeProject } from '../test/harness.ts';

export interface TempProject {
  readonly dir: string;
  readonly configPath: string;
  /** The SQLite file the project's default storage URL points to (unused with another storage). */
  readonly dbPath: string;
  /** Where the project's data is, as `checkStore` takes it: `dbPath`, or the storage URL given. */
  readonly storage: string;
  remove(): Promise<void>;
}

/** `storage`: SQLite in the project (the default, whatever `AIRLOCK_TEST_STORAGE` says), or a storage URL. */
export async function tempProject(
  overrides: Readonly<Record<string, string | ((original: string) => string)>> = {},
  storage: 'sqlite' | `postgres://${string}` = 'sqlite',
): Promise<TempProject> {
  const { dir, configPath } = await makeProject(overrides, storage);
  const dbPath = path.join(dir, 'data', 'airlock.db');
  return {
    dir,
    configPath,
    dbPath,
    storage: storage === 'sqlite' ? dbPath : storage,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
