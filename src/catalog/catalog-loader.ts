/** Compiles catalog files into a Catalog: every params schema compiled, every example checked. */

import path from 'node:path';
import { failed, type Loaded, loaded, type Problem } from '../config/problems.ts';
import type { YamlSource } from '../config/yaml-source.ts';
import type { JsonObject } from '../domain/json.ts';
import { ajvDetails, Catalog, type CatalogEntry, createAjv } from './catalog.ts';
import { type ActionTypeSpec, catalogFileSchema } from './catalog-schema.ts';
import { exampleFromSchema } from './example-params.ts';
import { executionProblems, rollbackTargetProblem } from './execution-problems.ts';

export function compileCatalog(
  sources: readonly YamlSource[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Loaded<Catalog> {
  const ajv = createAjv();
  const problems: Problem[] = [];
  const entries: CatalogEntry[] = [];
  const seen = new Map<string, string>();
  const specs = new Map<string, ActionTypeSpec>();
  const declared: [YamlSource, string, ActionTypeSpec][] = [];

  for (const source of sources) {
    const decoded = source.decode(catalogFileSchema);
    if (!decoded.ok) {
      problems.push(...decoded.problems);
      continue;
    }
    for (const [type, spec] of Object.entries(decoded.value.types)) {
      const at = ['types', type];
      const earlier = seen.get(type);
      if (earlier !== undefined) {
        problems.push(source.problem(at, `action type "${type}" is already defined in ${earlier}`));
        continue;
      }
      seen.set(type, source.file);
      specs.set(type, spec);
      declared.push([source, type, spec]);

      const before = problems.length;
      problems.push(...executionProblems(source, type, spec, env));
      const validateParams = compileSchema(ajv, source, [...at, 'params'], spec.params, problems);
      const attributes = spec.targets.attributes;
      const validateTarget =
        attributes === undefined
          ? null
          : compileSchema(ajv, source, [...at, 'targets', 'attributes'], attributes, problems);
      if (validateParams === null || problems.length > before) continue;
      if (spec.params.type !== 'object') {
        problems.push(source.problem([...at, 'params', 'type'], 'a params schema must have type: object'));
        continue;
      }

      const example = (spec.example ?? exampleFromSchema(spec.params)) as JsonObject;
      if (!validateParams(example)) {
        const why = ajvDetails('example', validateParams.errors).map((d) => `${d.path} ${d.message}`);
        problems.push(
          spec.example === undefined
            ? source.problem(
                [...at, 'params'],
                `give an example: none could be derived from the params schema (${why.join('; ')})`,
              )
            : source.problem(
                [...at, 'example'],
                `the example does not satisfy the params schema: ${why.join('; ')}`,
              ),
        );
        continue;
      }
      entries.push({
        type,
        description: spec.description,
        tier: spec.tier,
        domains: spec.domains,
        reversible: spec.reversible,
        targets: spec.targets,
        paramsSchema: spec.params as JsonObject,
        example,
        execution: spec.execution ?? null,
        verification: spec.verification ?? null,
        rollback: spec.rollback ?? null,
        baseDir: path.resolve(path.dirname(source.file)),
        validateParams,
        validateTarget,
      });
    }
  }
  for (const [source, type, spec] of declared) {
    const problem = rollbackTargetProblem(source, type, spec, specs);
    if (problem !== null) problems.push(problem);
  }
  return problems.length > 0 ? failed(problems) : loaded(new Catalog(entries));
}

function compileSchema(
  ajv: ReturnType<typeof createAjv>,
  source: YamlSource,
  path: readonly PropertyKey[],
  schema: Record<string, unknown>,
  problems: Problem[],
) {
  try {
    return ajv.compile(schema);
  } catch (error) {
    problems.push(source.problem(path, `invalid JSON Schema: ${(error as Error).message}`));
    return null;
  }
}
