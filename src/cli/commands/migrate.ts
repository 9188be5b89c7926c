/** `airlock migrate`: bring the database's schema up to date explicitly, and say what it applied. */

import { ProblemsError } from '../../config/problems.ts';
import { loadStorage } from '../../project/project-loader.ts';
import { describeStorage, type MigrationReport, migrateStore } from '../../store/open-store.ts';
import { CliError, type Command } from '../command.ts';
import { asCliError } from '../open-airlock.ts';
import { json } from '../output.ts';

function newest(names: readonly string[]): string {
  return names[names.length - 1] ?? '(none)';
}

function describeReport(report: MigrationReport, where: string, applying: boolean): string[] {
  if (!applying) {
    return [
      `${where}: schema at ${newest(report.applied)}; this version knows up to ${newest(report.known)}`,
      report.pending.length === 0
        ? 'nothing to apply'
        : `pending: ${report.pending.join(', ')} (run airlock migrate to apply)`,
    ];
  }
  if (report.ran.length === 0) return [`${where}: up to date at ${newest(report.applied)}; nothing to apply`];
  return [
    ...report.ran.map((name) => `applied ${name}`),
    `${where}: schema now at ${newest(report.applied)}`,
  ];
}

export const migrateCommand: Command = {
  name: 'migrate',
  summary:
    'Apply pending database migrations (storage.url) and list them; refuses a schema newer than it knows',
  usage: '[--status]',
  json: true,
  options: {
    status: { type: 'boolean', description: 'Only show applied and pending migrations; change nothing' },
  },
  async run(context) {
    const storage = await loadStorage(context.configPath);
    if (!storage.ok) throw asCliError(new ProblemsError(context.configPath, storage.problems));
    const apply = context.values.status !== true;
    let report: MigrationReport;
    try {
      report = await migrateStore(storage.value.url, { ...storage.value.options, apply });
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    const where = describeStorage(storage.value.url);
    if (context.json) {
      context.out(
        json({
          storage: report.storage,
          url: where,
          applied: report.applied,
          pending: report.pending,
          ran: report.ran,
          newestKnown: newest(report.known),
        }),
      );
    } else {
      for (const line of describeReport(report, where, apply)) context.out(line);
    }
    return 0;
  },
};
