/**
 * The candidate trust file of `airlock replay --trust`: a `trust:` section shaped like
 * airlock.yaml's (so a whole airlock.yaml will do), and `grants` that override recorded levels.
 * Validated whole; every problem names file:line and field path.
 */

import path from 'node:path';
import { z } from 'zod';
import { failed, type Loaded, loaded, type Problem } from '../config/problems.ts';
import type { YamlSource } from '../config/yaml-source.ts';
import type { TrustLevel } from '../domain/levels.ts';
import { readYaml } from '../project/project-files.ts';
import type { Project } from '../project/project-loader.ts';
import { type Grant, parseScope } from '../trust/scope.ts';
import { trustSettingsSchema } from '../trust/trust-settings.ts';
import type { CandidateTrust } from './candidate-trust.ts';

const grantSchema = z.strictObject({
  agent: z.string().min(1, 'the agent id'),
  scope: z.string().transform((text, ctx) => {
    const scope = parseScope(text);
    if (scope === null) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" is not a scope (use <type pattern>@<environment>, e.g. service.restart@staging, service.*@*)`,
      });
      return z.NEVER;
    }
    return scope;
  }),
  level: z
    .number()
    .int('a level 0-3')
    .min(0, 'a level 0-3')
    .max(3, 'a level 0-3')
    .transform((level) => level as TrustLevel),
});

const shape = {
  /** Replaces the project's trust section in full (omitted fields take airlock.yaml's defaults). */
  trust: trustSettingsSchema.optional(),
  /** Levels per agent and scope, instead of those recorded. */
  grants: z.array(grantSchema).optional(),
};
const trustFileSchema = z.strictObject(shape);
/** A whole airlock.yaml: its other sections are not replay's business. */
const projectFileSchema = z.looseObject(shape);

/**
 * Read and check a candidate trust file against the project (its environments, and the window its
 * decisions were made with).
 *
 * @example
 * const trust = await loadCandidateTrust('trust-next.yaml', project);
 * if (!trust.ok) for (const p of trust.problems) console.error(formatProblem(p));
 */
export async function loadCandidateTrust(
  file: string,
  project: TrustContext,
): Promise<Loaded<CandidateTrust>> {
  const problems: Problem[] = [];
  const source = await readYaml(path.resolve(file), problems);
  if (source === null) return failed(problems);
  return decodeCandidateTrust(source, project);
}

/** What a trust file is checked against: the project's environments and its evidence window. */
export type TrustContext = Pick<Project, 'environments'> & {
  readonly config: { readonly trust: Pick<Project['config']['trust'], 'window'> };
};

export function decodeCandidateTrust(source: YamlSource, project: TrustContext): Loaded<CandidateTrust> {
  const value = source.value;
  const isProjectFile = typeof value === 'object' && value !== null && 'version' in value;
  const decoded = source.decode(isProjectFile ? projectFileSchema : trustFileSchema);
  if (!decoded.ok) return decoded;
  const { trust, grants = [] } = decoded.value;
  if (trust === undefined && grants.length === 0)
    return failed([source.problem([], 'sets neither trust nor grants: nothing to replay with')]);

  const problems: Problem[] = [];
  const known = (name: string) => project.environments.has(name);
  for (const level of ['conditional', 'scoped'] as const) {
    const listed = trust?.levels[level].environments;
    if (!Array.isArray(listed)) continue;
    listed.forEach((name, i) => {
      if (!known(name))
        problems.push(
          source.problem(['trust', 'levels', level, 'environments', i], `unknown environment "${name}"`),
        );
    });
  }
  const byAgent = new Map<string, Grant[]>();
  grants.forEach((grant, i) => {
    const { typePattern, environment } = grant.scope;
    if (environment !== '*' && !known(environment))
      problems.push(source.problem(['grants', i, 'scope'], `unknown environment "${environment}"`));
    const list = byAgent.get(grant.agent) ?? [];
    byAgent.set(grant.agent, list);
    list.push({ typePattern, environment, level: grant.level });
  });
  if (problems.length > 0) return failed(problems);
  const window = trust?.window ?? project.config.trust.window;
  return loaded({
    settings: trust ?? null,
    window,
    windowChanged: window !== project.config.trust.window,
    grants: byAgent,
  });
}
