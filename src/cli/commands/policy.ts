/**
 * `airlock policy check`: validate the whole project (config, catalog, policies, people, routes)
 * without a server. `airlock policy test [dir…]`: run the policy test suites beside the policies.
 */

import { formatProblem, type Loaded, loaded, type Problem } from '../../config/problems.ts';
import type { YamlSource } from '../../config/yaml-source.ts';
import type { PolicyBundle } from '../../policy/policy-bundle.ts';
import type { SuiteContext } from '../../policy-tests/case-facts.ts';
import { compileSuites } from '../../policy-tests/suite-compiler.ts';
import { runCases } from '../../policy-tests/suite-runner.ts';
import { findTestSuites, readYaml } from '../../project/project-files.ts';
import { loadPolicyBundle, loadProject, type Project } from '../../project/project-loader.ts';
import { CliError, type Command, type CommandContext, option } from '../command.ts';
import { json, shortHash } from '../output.ts';
import { testRunJson, testRunText } from '../policy-test-format.ts';

export const policyCommands: readonly Command[] = [
  {
    name: 'policy check',
    summary: 'Validate config, catalog, policies, people and routes; list every problem as file:line:column',
    usage: '',
    json: true,
    async run(context) {
      const result = await loadProject(context.configPath);
      if (!result.ok) return problems(context, result.problems, 'in the project');
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
  {
    name: 'policy test',
    summary:
      'Run the policy test suites (*.test.yaml) beside the policies: each case, a summary, rule coverage',
    usage: '[dir…]',
    json: true,
    options: {
      filter: { type: 'string', description: 'Run only the cases whose name contains this text' },
      'require-coverage': {
        type: 'boolean',
        description: 'Fail when a rule or limit of the bundle is exercised by no case',
      },
    },
    async run(context) {
      const project = await loadProject(context.configPath);
      if (!project.ok) return problems(context, project.problems, 'in the project');
      const { bundle, suites } = await underTest(context, project.value);
      if (!bundle.ok) return problems(context, bundle.problems, 'in the policies under test');
      if (suites.length === 0) {
        const where = context.positionals.length > 0 ? context.positionals : project.value.config.policies;
        throw new CliError(`no policy test suites (*.test.yaml) beside the policies in ${where.join(', ')}`);
      }
      const read: Problem[] = [];
      const sources: YamlSource[] = [];
      for (const file of suites) {
        const source = await readYaml(file, read);
        if (source !== null) sources.push(source);
      }
      const compiled = compileSuites(sources, suiteContext(project.value, bundle.value));
      if (read.length > 0 || !compiled.ok)
        return problems(context, [...read, ...(compiled.ok ? [] : compiled.problems)], 'in the test suites');

      const filter = option(context, 'filter');
      const cases =
        filter === undefined
          ? compiled.value
          : compiled.value.filter((c) => c.name.toLowerCase().includes(filter.toLowerCase()));
      if (cases.length === 0) throw new CliError(`no case name contains "${filter}"`);
      const run = runCases(cases, bundle.value);
      const missed = run.coverage.rules.missed.length + run.coverage.limits.missed.length;
      const uncovered = context.values['require-coverage'] === true && missed > 0;
      const info = { suites: sources.length, dir: project.value.dir };
      if (context.json) {
        context.out(json(testRunJson(run, info, run.failed === 0 && !uncovered)));
        return run.failed > 0 || uncovered ? 1 : 0;
      }
      for (const line of testRunText(run, info)) context.out(line);
      if (run.failed > 0)
        throw new CliError(
          `${run.failed} of ${run.results.length} case${run.results.length === 1 ? '' : 's'} failed`,
        );
      if (uncovered)
        throw new CliError(
          `${missed} of the bundle's rules and limits exercised by no case (--require-coverage)`,
        );
      return 0;
    },
  },
];

/** The bundle under test and its suites: the project's own, or those of the paths given. */
async function underTest(
  context: CommandContext,
  project: Project,
): Promise<{ bundle: Loaded<PolicyBundle>; suites: string[] }> {
  if (context.positionals.length === 0) {
    return {
      bundle: loaded(project.bundle),
      suites: await findTestSuites(project.dir, project.config.policies),
    };
  }
  return {
    bundle: await loadPolicyBundle(project, context.positionals),
    suites: await findTestSuites(process.cwd(), context.positionals),
  };
}

/** Cases are decided against the bundle under test and the rest of the project as it is. */
function suiteContext(project: Project, bundle: PolicyBundle): SuiteContext {
  return {
    bundle,
    catalog: project.catalog,
    environments: project.environments,
    trust: project.config.trust,
    freezes: project.config.freezes,
    inventory: project.inventory,
  };
}

/** Every problem as file:line:column: JSON `{ ok: false, problems }`, or a one-line reason and the list. */
function problems(context: CommandContext, list: readonly Problem[], where: string): number {
  if (context.json) {
    context.out(json({ ok: false, problems: list }));
    return 1;
  }
  const count = list.length;
  throw new CliError(`${count} problem${count === 1 ? '' : 's'} ${where}`, {
    lines: list.map(formatProblem),
  });
}
