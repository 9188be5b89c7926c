/**
 * Promoting a shadow policy directory to the live one, on disk: the shadow's YAML files (policies
 * and their test suites) are written to a new directory beside the live one, which then takes its
 * place by rename. Readers see the old directory or the new one, never a half-written mix.
 */

import { chmod, cp, mkdtemp, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { sha256Hex } from '../audit/audit-event.ts';
import type { Problem } from '../config/problems.ts';
import type { PolicyBundle } from '../policy/policy-bundle.ts';
import { expandPaths } from './project-files.ts';
import type { Project } from './project-loader.ts';

const YAML_FILE = /\.ya?ml$/;

export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

export interface PromotionDirs {
  /** The one directory `policies` names (absolute). */
  readonly live: string;
  /** The one directory `policy.shadow` names (absolute). */
  readonly shadow: string;
}

export interface PolicyText {
  /** The file's name in the directory. */
  readonly name: string;
  readonly text: string;
}

/**
 * Promotion replaces one directory with another: `policies` and `policy.shadow` must each name
 * exactly one directory (files and lists of paths have no one place to swap).
 */
export async function promotionDirs(project: Project): Promise<Checked<PromotionDirs>> {
  const { policies, policy } = project.config;
  const shadow = policy.shadow ?? [];
  if (policies.length !== 1 || shadow.length !== 1) {
    return refuse(
      `promotion needs \`policies\` and \`policy.shadow\` to name one directory each (they name ${policies.length} and ${shadow.length} paths); copy the files by hand instead`,
    );
  }
  const dirs = {
    live: path.resolve(project.dir, policies[0] ?? ''),
    shadow: path.resolve(project.dir, shadow[0] ?? ''),
  };
  for (const [key, dir] of [
    ['policies', dirs.live],
    ['policy.shadow', dirs.shadow],
  ] as const) {
    if (!(await isDirectory(dir)))
      return refuse(
        `promotion needs \`${key}\` to name a directory; ${path.relative(project.dir, dir)} is not one`,
      );
  }
  if (dirs.live === dirs.shadow) return refuse('`policies` and `policy.shadow` name the same directory');
  return { ok: true, value: dirs };
}

/**
 * The shadow directory's YAML files, after checking that its policy files are still exactly those
 * of `bundle` (the bundle reviewed, not whatever the directory holds by now).
 */
export async function readShadowFiles(
  project: Project,
  dir: string,
  bundle: PolicyBundle,
): Promise<Checked<PolicyText[]>> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && YAML_FILE.test(e.name))
    .map((e) => e.name)
    .sort();
  const files: PolicyText[] = [];
  for (const name of names) files.push({ name, text: await readFile(path.join(dir, name), 'utf8') });

  const problems: Problem[] = [];
  const policyFiles = await expandPaths(project.dir, [dir], null, problems);
  const now = policyFiles.map((file) => {
    const text = files.find((f) => f.name === path.basename(file))?.text ?? '';
    return { path: path.relative(project.dir, file), sha256: sha256Hex(text) };
  });
  const loaded = bundle.files.map((f) => ({ path: f.path, sha256: f.sha256 }));
  if (problems.length > 0 || JSON.stringify(now) !== JSON.stringify(loaded)) {
    return refuse(
      `the shadow policy files changed since bundle ${bundle.hash} was loaded; reload and review them again`,
    );
  }
  return { ok: true, value: files };
}

/**
 * Write a new directory beside `live` holding `files` and every entry of `live` that is not a
 * YAML file (notes, subdirectories); nothing in `live` changes yet. Returns its path.
 */
export async function stageDirectory(live: string, files: readonly PolicyText[]): Promise<string> {
  const staged = await mkdtemp(path.join(path.dirname(live), `.${path.basename(live)}.promote-`));
  try {
    await chmod(staged, (await stat(live)).mode & 0o7777);
    for (const entry of await readdir(live, { withFileTypes: true })) {
      if (entry.isFile() && YAML_FILE.test(entry.name)) continue;
      await cp(path.join(live, entry.name), path.join(staged, entry.name), {
        recursive: true,
        preserveTimestamps: true,
      });
    }
    for (const file of files) {
      const handle = await open(path.join(staged, file.name), 'wx');
      try {
        await handle.writeFile(file.text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    return staged;
  } catch (error) {
    await discard(staged);
    throw error;
  }
}

/**
 * Put `staged` in the place of `live`: two renames in one directory, the old directory removed
 * after. Should the second rename fail, the old directory is put back.
 */
export async function swapIn(live: string, staged: string): Promise<void> {
  const previous = `${staged}.previous`;
  await rename(live, previous);
  try {
    await rename(staged, live);
  } catch (error) {
    await rename(previous, live);
    throw error;
  }
  // The swap is done: an old directory that cannot be removed stays behind, hidden, and harmless.
  await rm(previous, { recursive: true, force: true }).catch(() => {});
}

export async function discard(staged: string): Promise<void> {
  await rm(staged, { recursive: true, force: true });
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

function refuse<T>(message: string): Checked<T> {
  return { ok: false, message };
}
