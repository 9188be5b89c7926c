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
      const raw = (from.source.value as Record<string, unknown>)[String(from.path[0])];
      const at = Array.isArray(raw) ? [...from.path, index] : from.path;
      problems.push(from.source.problem(at, `${entry}: ${readError(error)}`));
    }
  }
  return files;
}

function readError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return (error as Error).message;
}
