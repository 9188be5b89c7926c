/** `airlock policy check`: validate the whole project (config, catalog, policies, people, routes) without a server. */

import { formatProblem } from '../../config/problems.ts';
import { loadProject } from '../../project/project-loader.ts';
import { CliError, type Command } from '../command.ts';
import { json, shortHash } from '../output.ts';

export const policyCommands: readonly Command[] = [
  {
    name: 'policy check',
    summary: 'Validate config, catalog, policies, people and routes; list every problem as file:line:column',
    usage: '',
    json: true,
    async run(context) {
      const result = await loadProject(context.configPath);
      if (!result.ok) {
        if (context.json) {
          context.out(json({ ok: false, problems: result.problems }));
          return 1;
        }
        const count = result.problems.length;
        throw new CliError(`${count} problem${count === 1 ? '' : 's'} in the project`, {
          lines: result.problems.map(formatProblem),
        });
      }
      const { bundle, catalog, environments, people, routing } = result.value;
      if (context.json) {
        context.out(
          json({
            ok: true,
            bundle: bundle.hash,
            defaultEffect: bundle.defaultEffect,
            files: bundle.files,
            rules: bundle.rules.map((r) => ({ name: r.name, file: r.file, line: r.line, effect: r.effect })),
            limits: bundle.limits.map((l) => ({
              name: l.name,
              file: l.file,
              line: l.line,
              kind: l.check.kind,
              effect: l.effect,
            })),
            actionTypes: catalog.list().map((e) => e.type),
            environments: [...environments.keys()],
            people: people.size,
            routes: routing.routes.size,
          }),
        );
      } else {
        context.out(
          `ok: bundle ${shortHash(bundle.hash)}: ${bundle.rules.length} rules and ${bundle.limits.length} limits in ${bundle.files.length} files ` +
            `(default ${bundle.defaultEffect}); ${catalog.size} action types; ${environments.size} environments; ${people.size} people; ${routing.routes.size} routes`,
        );
      }
      return 0;
    },
  },
];
