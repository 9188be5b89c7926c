/** Reading the files a project points to: YAML sources with display paths, and directories expanded. */

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Problem } from '../config/problems.ts';
import { YamlSource } from '../config/yaml-source.ts';

/** How a file is named in messages: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

export async function readYaml(file: string, problems: Problem[]): Promise<YamlSource | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    problems.push({ file: displayPath(file), line: null, column: null, path: '', message: readError(error) });
    return null;
  }
  const parsed = YamlSource.parse(displayPath(file), text);
  if (!parsed.ok) {
    problems.push(...parsed.problems);
    return null;
  }
  return parsed.value;
}

const YAML_FILE = /\.ya?ml$/;
const TEST_FILE = /\.tests?\.ya?ml$/;

/**
 * Expand files and directories (one level: `*.yaml`/`*.yml`, policy test suites excluded) in a
 * stable order. `from` names the config entry, for the message when a path does not exist; without
 * it (a path given on the command line) the message names the path itself.
 */
export async function expandPaths(
  dir: string,
  entries: readonly string[],
  from: { source: YamlSource; path: readonly PropertyKey[] } | null,
  problems: Problem[],
): Promise<string[]> {
  const files: string[] = [];
  for (const [index, entry] of entries.entries()) {
    const absolute = path.resolve(dir, entry);
    try {
      if ((await stat(absolute)).isDirectory()) {
        const names = (await readdir(absolute)).filter((n) => YAML_FILE.test(n) && !TEST_FILE.test(n)).sort();
        files.push(...names.map((name) => path.join(absolute, name)));
      } else {
        files.push(absolute);
      }
    } catch (error) {
      if (from === null) {
        problems.push({
          file: displayPath(absolute),
          line: null,
          column: null,
          path: '',
          message: readError(error),
        });
        continue;
      }
      // The entry's own line when the config lists several (`policy.shadow` is nested: walk there).
      let raw: unknown = from.source.value;
      for (const key of from.path) raw = (raw as Record<string, unknown> | undefined)?.[String(key)];
      const at = Array.isArray(raw) ? [...from.path, index] : from.path;
      problems.push(from.source.problem(at, `${entry}: ${readError(error)}`));
    }
  }
  return files;
}

/**
 * The policy test suites (`*.test.yaml`, `*.tests.yaml`) of policy files and directories, in a
 * stable order: every suite in a directory; for a file `x.yaml`, `x.test.yaml` or `x.tests.yaml`
 * beside it. Paths that do not exist are skipped: loading the policies reports them.
 */
export async function findTestSuites(dir: string, entries: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const entry of entries) {
    const absolute = path.resolve(dir, entry);
    try {
      if ((await stat(absolute)).isDirectory()) {
        const names = (await readdir(absolute)).filter((n) => TEST_FILE.test(n)).sort();
        for (const name of names) found.add(path.join(absolute, name));
      } else {
        const parent = path.dirname(absolute);
        const base = path.basename(absolute).replace(YAML_FILE, '');
        const names = (await readdir(parent))
          .filter((n) => TEST_FILE.test(n) && n.replace(TEST_FILE, '') === base)
          .sort();
        for (const name of names) found.add(path.join(parent, name));
      }
    } catch {}
  }
  return [...found];
}

function readError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return (error as Error).message;
}
