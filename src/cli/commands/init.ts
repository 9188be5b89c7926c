/** `airlock init [dir]`: scaffold a working project from the quickstart example. */

import { cp, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { displayPath } from '../../project/project-files.ts';
import { CliError, type Command } from '../command.ts';

export const QUICKSTART = path.resolve(import.meta.dirname, '../../../examples/quickstart');

export const initCommand: Command = {
  name: 'init',
  summary: 'Create a working project (airlock.yaml, catalog, policies, people) in a directory',
  usage: '[dir]',
  async run(context) {
    const dir = path.resolve(context.positionals[0] ?? '.');
    const existing = await readdir(dir).catch(() => [] as string[]);
    if (existing.includes('airlock.yaml'))
      throw new CliError(`${path.join(dir, 'airlock.yaml')} already exists; not overwriting`);
    await cp(QUICKSTART, dir, {
      recursive: true,
      errorOnExist: true,
      force: false,
      filter: (source) => !source.split(path.sep).includes('data'),
    });
    const config = path.join(dir, 'airlock.yaml');
    await stat(config);
    const shown = displayPath(dir) || '.';
    context.out(`created a project in ${shown}`);
    context.out('next:');
    context.out(`  airlock policy check --config ${path.join(shown, 'airlock.yaml')}`);
    context.out(`  airlock agents add my-agent --owner sre --config ${path.join(shown, 'airlock.yaml')}`);
    context.out(`  airlock serve --config ${path.join(shown, 'airlock.yaml')}`);
    return 0;
  },
};
