/** Compiles catalog files into a Catalog: every params schema compiled, every example checked. */

import path from 'node:path';
import { failed, type Loaded, loaded, type Problem } from '../config/problems.ts';
import type { YamlSource } from '../config/yaml-source.ts';
import type { JsonObject } from '../domain/json.ts';
import { ajvDetails, Catalog, type CatalogEntry, createAjv } from './catalog.ts';
import { type ActionTypeSpec, catalogFileSchema } from './catalog-schema.ts';
import { exampleFromSchema } from './example-params.ts';
import { executionProblems, rollbackTargetProblem } from './execution-problems.ts';
import {
  type McpCatalogSpec,
  mappingTemplateProblems,
  ToolMapper,
  UNMAPPED_PARAMS_SCHEMA,
} from './tool-mapping.ts';

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
  let mcp: [YamlSource, McpCatalogSpec] | null = null;

  for (const source of sources) {
    const decoded = source.decode(catalogFileSchema);
    if (!decoded.ok) {
      problems.push(...decoded.problems);
      continue;
    }
    const section = decoded.value.mcp;
    if (section !== undefined) {
      if (mcp === null) mcp = [source, section];
      else problems.push(source.problem(['mcp'], `the mcp section is already given in ${mcp[0].file}`));
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
  let tools: ToolMapper | undefined;
  if (mcp !== null) {
    const [source, section] = mcp;
    problems.push(...toolMappingProblems(source, section, specs));
    if (!specs.has(section.unmapped.type)) entries.push(unmappedEntry(ajv, section, source));
    tools = new ToolMapper(section);
  }
  return problems.length > 0 ? failed(problems) : loaded(new Catalog(entries, tools));
}

/** Every mapping names a declared type that the tool call itself carries out, with sound templates. */
function toolMappingProblems(
  source: YamlSource,
  section: McpCatalogSpec,
  specs: ReadonlyMap<string, ActionTypeSpec>,
): Problem[] {
  const problems: Problem[] = [];
  for (const [i, mapping] of section.tools.entries()) {
    const at = ['mcp', 'tools', i];
    for (const p of mappingTemplateProblems(mapping))
      problems.push(source.problem([...at, ...p.path.split('.').map(segment)], p.message));
    const spec = specs.get(mapping.type);
    if (spec === undefined && mapping.type !== section.unmapped.type) {
      problems.push(source.problem([...at, 'type'], `no action type "${mapping.type}" in the catalog`));
    } else if (spec?.execution?.mode === 'gateway') {
      problems.push(
        source.problem(
          [...at, 'type'],
          `"${mapping.type}" is executed by Airlock's own executor; a type MCP tools map to is carried out by the tool call (remove its execution, or set mode: agent)`,
        ),
      );
    }
  }
  const unmapped = specs.get(section.unmapped.type);
  if (unmapped?.execution?.mode === 'gateway')
    problems.push(
      source.problem(
        ['mcp', 'unmapped', 'type'],
        `"${section.unmapped.type}" is executed by Airlock's own executor`,
      ),
    );
  return problems;
}

function segment(part: string): string | number {
  return /^\d+$/.test(part) ? Number(part) : part;
}

/** The type of tool calls no mapping names, when the catalog does not declare it itself. */
function unmappedEntry(
  ajv: ReturnType<typeof createAjv>,
  section: McpCatalogSpec,
  source: YamlSource,
): CatalogEntry {
  return {
    type: section.unmapped.type,
    description: 'A call to an MCP tool that the catalog does not map to an action type',
    tier: section.unmapped.tier,
    domains: section.unmapped.domains,
    reversible: false,
    targets: { min: 1, max: 1 },
    paramsSchema: UNMAPPED_PARAMS_SCHEMA,
    example: { tool: 'server.tool', arguments: {} },
    execution: null,
    verification: null,
    rollback: null,
    baseDir: path.resolve(path.dirname(source.file)),
    validateParams: ajv.compile(UNMAPPED_PARAMS_SCHEMA),
    validateTarget: null,
  };
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
