/** Throwaway copies of the quickstart project for benchmarks: a temp dir, file overrides, cleanup. */

import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const QUICKSTART = path.resolve(import.meta.dirname, '../examples/quickstart');

export interface TempProject {
  readonly dir: string;
  readonly configPath: string;
  /** The SQLite file the project's default storage URL points to. */
  readonly dbPath: string;
  remove(): Promise<void>;
}

/**
 * Copy the quickstart (without its data) into a new temp directory, then apply overrides:
 * path → contents, or path → function of the quickstart's contents (to edit airlock.yaml).
 */
export async function tempProject(
  overrides: Readonly<Record<string, string | ((original: string) => string)>> = {},
): Promise<TempProject> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-bench-'));
  await cp(QUICKSTART, dir, {
    recursive: true,
    filter: (source) => !source.split(path.sep).includes('data'),
  });
  for (const [name, contents] of Object.entries(overrides)) {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    const text = typeof contents === 'string' ? contents : contents(await readFile(file, 'utf8'));
    await writeFile(file, text);
  }
  return {
    dir,
    configPath: path.join(dir, 'airlock.yaml'),
    dbPath: path.join(dir, 'data', 'airlock.db'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
