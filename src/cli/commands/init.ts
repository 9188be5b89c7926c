/** `airlock init [dir]`: scaffold a working project from the quickstart example. */

import { constants } from 'node:fs';
import { access, copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { displayPath } from '../../project/project-files.ts';
import { CliError, type Command } from '../command.ts';

export const QUICKSTART = path.resolve(import.meta.dirname, '../../../examples/quickstart');

/** The quickstart's files, relative to it, without its data directory. */
async function templateFiles(): Promise<string[]> {
  const entries = await readdir(QUICKSTART, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(QUICKSTART, path.join(entry.parentPath, entry.name)))
    .filter((file) => !file.split(path.sep).includes('data'))
    .sort();
}

async function exists(file: string): Promise<boolean> {
  return access(file, constants.F_OK).then(
    () => true,
    () => false,
  );
}

export const initCommand: Command = {
  name: 'init',
  summary: 'Create a working project (airlock.yaml, catalog, policies, people, routes) in a directory',
  usage: '[dir]',
  async run(context) {
    const dir = path.resolve(context.positionals[0] ?? '.');
    const files = await templateFiles();
    const clashes: string[] = [];
    for (const file of files) if (await exists(path.join(dir, file))) clashes.push(file);
    if (clashes.length > 0) {
      throw new CliError(`${displayPath(dir)} already has ${clashes.join(', ')}; not overwriting`);
    }
    for (const file of files) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await copyFile(path.join(QUICKSTART, file), path.join(dir, file), constants.COPYFILE_EXCL);
    }
    const shown = displayPath(dir) || '.';
    const config = path.join(shown, 'airlock.yaml');
    context.out(`created a project in ${shown}`);
    context.out('next:');
    context.out(`  airlock policy check --config ${config}`);
    context.out(`  airlock policy test --config ${config}`);
    context.out(`  airlock agents add my-agent --owner sre --config ${config}`);
    context.out(`  airlock serve --config ${config}`);
    return 0;
  },
};
