/**
 * Load-time checks of how action types execute, verify and roll back: template syntax, every
 * environment variable a spec reads is set (a secret missing at 3 a.m. is a problem found at
 * load time instead), and a rollback names an action type that exists and that Airlock can run.
 */

import type { Problem } from '../config/problems.ts';
import type { YamlSource } from '../config/yaml-source.ts';
import { checkTemplates, templateRefs } from '../execution/template.ts';
import type { ActionTypeSpec } from './catalog-schema.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Problems of one action type's execution, verification and rollback (not the rollback target). */
export function executionProblems(
  source: YamlSource,
  type: string,
  spec: ActionTypeSpec,
  env: Env,
): Problem[] {
  const problems: Problem[] = [];
  const at = ['types', type];
  const parts: [string, unknown][] = [
    ['execution', spec.execution],
    ['verification', spec.verification],
    ['rollback', spec.rollback],
  ];
  for (const [field, value] of parts) {
    if (value === undefined) continue;
    for (const problem of checkTemplates(value)) {
      problems.push(
        source.problem(
          [...at, field, ...splitPath(problem.path)],
          `${problem.message} in "${problem.template}"`,
        ),
      );
    }
    const refs = templateRefs(value);
    for (const name of [...refs.env, ...refs.secrets, ...plainVariables(value)]) {
      if (env[name] === undefined || env[name] === '') {
        problems.push(
          source.problem([...at, field], `environment variable ${name} is not set (${type} reads it)`),
        );
      }
    }
  }
  if (spec.verification !== undefined && spec.verification.interval > spec.verification.window) {
    problems.push(
      source.problem([...at, 'verification', 'interval'], 'the sampling interval is longer than the window'),
    );
  }
  return problems;
}

/** A rollback must name a type of the catalog that Airlock executes itself. */
export function rollbackTargetProblem(
  source: YamlSource,
  type: string,
  spec: ActionTypeSpec,
  types: ReadonlyMap<string, ActionTypeSpec>,
): Problem | null {
  const rollback = spec.rollback;
  if (rollback === undefined || !('action' in rollback)) return null;
  const target = types.get(rollback.action);
  const at = ['types', type, 'rollback', 'action'];
  if (target === undefined)
    return source.problem(at, `rollback action type "${rollback.action}" is not in the catalog`);
  if (target.execution?.mode !== 'gateway') {
    return source.problem(
      at,
      `rollback action type "${rollback.action}" has no executor: Airlock could not run it`,
    );
  }
  return null;
}

/** Variable names given as plain names, not templates: `sign.secretEnv` and commands' `env` allowlists. */
function plainVariables(value: unknown): string[] {
  const names: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      if (record.kind === 'command' && Array.isArray(record.env)) names.push(...(record.env as string[]));
      const sign = record.sign as { secretEnv?: string } | undefined;
      if (typeof sign?.secretEnv === 'string') names.push(sign.secretEnv);
      Object.values(record).forEach(visit);
    }
  };
  visit(value);
  return [...new Set(names)];
}

function splitPath(path: string): (string | number)[] {
  return path
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== '')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}
