/** Shared helpers of the catalog tests: compile YAML catalog texts, expecting success or problems, and build type entries. */

import assert from 'node:assert/strict';
import type { Problem } from '../config/problems.ts';
import { YamlSource } from '../config/yaml-source.ts';
import type { Catalog } from './catalog.ts';
import { compileCatalog } from './catalog-loader.ts';

export function source(file: string, text: string): YamlSource {
  const parsed = YamlSource.parse(file, text);
  if (!parsed.ok) assert.fail(`expected ${file} to parse: ${JSON.stringify(parsed.problems)}`);
  return parsed.value;
}

export function load(...files: [string, string][]): Catalog {
  const result = compileCatalog(files.map(([file, text]) => source(file, text)));
  if (!result.ok) assert.fail(`expected the catalog to load: ${JSON.stringify(result.problems)}`);
  return result.value;
}

export function problemsOf(...files: [string, string][]): Problem[] {
  const result = compileCatalog(files.map(([file, text]) => source(file, text)));
  if (result.ok) assert.fail('expected the catalog to be rejected');
  return [...result.problems];
}

/** One action type with the given extra lines (indented four spaces) under a fixed head. */
export function entry(name: string, extra = '', tier = 'low'): string {
  return `  ${name}:
    description: D.
    tier: ${tier}
    domains: [performance]
    reversible: true
${extra}`;
}
