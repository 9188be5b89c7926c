/**
 * Loads a whole project (config, catalog, policies, people) into one immutable snapshot, or
 * rejects it whole with every problem listed. A snapshot in force is only ever replaced by a good one.
 */

import { createHash } from 'node:crypto';
import path from 'node:path';
import { BUILTIN_ROUTING, compileRouting, type Routing } from '../approvals/routing.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { compileCatalog } from '../catalog/catalog-loader.ts';
import { failed, type Loaded, loaded, type Problem } from '../config/problems.ts';
import type { YamlSource } from '../config/yaml-source.ts';
import type { Effect } from '../domain/decision.ts';
import { parseChangeWindow } from '../policy/change-window.ts';
import type { PolicyBundle } from '../policy/policy-bundle.ts';
import { compilePolicies } from '../policy/policy-compiler.ts';
import { expandPaths, readYaml } from './project-files.ts';
import {
  type EnvironmentSpec,
  inventoryFileSchema,
  type Person,
  type ProjectConfig,
  peopleFileSchema,
  projectSchema,
} from './project-schema.ts';
import { resolveStorage, type StorageSettings } from './storage-config.ts';

export interface Project {
  /** Absolute path of airlock.yaml. */
  readonly configPath: string;
  readonly dir: string;
  readonly config: ProjectConfig;
  readonly catalog: Catalog;
  readonly bundle: PolicyBundle;
  /**
   * The candidate bundle of `policy.shadow`, decided beside the live one and never enforced; null
   * without one. Compiled against the same catalog, environments, routes and default effect.
   */
  readonly shadow: PolicyBundle | null;
  readonly people: ReadonlyMap<string, Person>;
  readonly routing: Routing;
  readonly environments: ReadonlyMap<string, EnvironmentSpec>;
  /** Instances per service, from the inventory file (empty without one). */
  readonly inventory: ReadonlyMap<string, number>;
  /** The storage URL with relative paths resolved against the project directory. */
  readonly storageUrl: string;
  /** How to open the storage (pool, TLS, migrations); the URL in it is `storageUrl`. */
  readonly storage: StorageSettings['options'];
  /** Files and directories whose change should trigger a reload. */
  readonly watchPaths: readonly string[];
  /** Hash of every file read; equal fingerprints mean nothing changed. */
  readonly fingerprint: string;
}

export async function loadProject(
  configFile: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Loaded<Project>> {
  const configPath = path.resolve(configFile);
  const dir = path.dirname(configPath);
  const problems: Problem[] = [];

  const source = await readYaml(configPath, problems);
  if (source === null) return failed(problems);
  const decoded = source.decode(projectSchema);
  if (!decoded.ok) return failed(decoded.problems);
  const config = decoded.value;

  const storage = resolveStorage(config.storage, dir, env, source, problems);
  const environments = checkEnvironments(source, config, problems);
  config.freezes.forEach((freeze, index) => {
    freeze.environments?.forEach((name, i) => {
      if (!environments.has(name))
        problems.push(source.problem(['freezes', index, 'environments', i], `unknown environment "${name}"`));
    });
  });
  const inventorySource =
    config.inventory === undefined ? null : await readYaml(path.resolve(dir, config.inventory), problems);
  const inventory = new Map<string, number>();
  if (inventorySource !== null) {
    const decodedInventory = inventorySource.decode(inventoryFileSchema);
    if (decodedInventory.ok) {
      for (const [name, service] of Object.entries(decodedInventory.value.services))
        inventory.set(name, service.instances);
    } else problems.push(...decodedInventory.problems);
  }

  const catalogFiles = await expandPaths(dir, config.catalog, { source, path: ['catalog'] }, problems);
  const catalogSources = await readAll(catalogFiles, problems);
  const catalog = compileCatalog(catalogSources, env);
  if (!catalog.ok) problems.push(...catalog.problems);

  if (catalog.ok && config.prometheus === undefined) {
    const needs = catalog.value
      .list()
      .filter((e) => e.verification?.checks.some((c) => c.kind === 'prometheus'));
    if (needs.length > 0) {
      problems.push(
        source.problem(
          [],
          `${needs.map((e) => e.type).join(', ')} verif${needs.length === 1 ? 'ies' : 'y'} with Prometheus: set prometheus.url`,
        ),
      );
    }
  }

  const peopleSource =
    config.people === undefined ? null : await readYaml(path.resolve(dir, config.people), problems);
  const people = peopleSource === null ? new Map<string, Person>() : decodePeople(peopleSource, problems);

  const routesSource =
    config.routes === undefined ? null : await readYaml(path.resolve(dir, config.routes), problems);
  let routing: Routing | null = BUILTIN_ROUTING;
  if (config.routes !== undefined) {
    const compiled = routesSource === null ? null : compileRouting(routesSource, people, env);
    routing = compiled?.ok === true ? compiled.value : null;
    if (compiled?.ok === false) problems.push(...compiled.problems);
  }

  const policyContext: PolicyContext = {
    dir,
    catalog: catalog.ok ? catalog.value : null,
    environments,
    routing,
    defaultEffect: config.policy.defaultEffect,
  };
  const bundle = await compilePolicyPaths(
    policyContext,
    config.policies,
    { source, path: ['policies'] },
    problems,
  );
  // A shadow with problems fails the whole load, like the live bundle: it never half-applies.
  const shadowPaths = config.policy.shadow ?? [];
  const shadow =
    config.policy.shadow === undefined
      ? null
      : await compilePolicyPaths(
          policyContext,
          shadowPaths,
          { source, path: ['policy', 'shadow'] },
          problems,
        );
  if (problems.length > 0 || !catalog.ok || bundle === null || routing === null || storage === null)
    return failed(problems);
  return loaded({
    configPath,
    dir,
    config,
    catalog: catalog.value,
    bundle: bundle.bundle,
    shadow: shadow?.bundle ?? null,
    people,
    routing,
    environments,
    inventory,
    storageUrl: storage.url,
    storage: storage.options,
    watchPaths: [
      configPath,
      ...config.catalog.map((p) => path.resolve(dir, p)),
      ...config.policies.map((p) => path.resolve(dir, p)),
      ...shadowPaths.map((p) => path.resolve(dir, p)),
      ...(config.people === undefined ? [] : [path.resolve(dir, config.people)]),
      ...(config.routes === undefined ? [] : [path.resolve(dir, config.routes)]),
      ...(config.inventory === undefined ? [] : [path.resolve(dir, config.inventory)]),
    ],
    fingerprint: fingerprint([
      source,
      ...catalogSources,
      ...bundle.sources,
      ...(shadow?.sources ?? []),
      ...(peopleSource === null ? [] : [peopleSource]),
      ...(routesSource === null ? [] : [routesSource]),
      ...(inventorySource === null ? [] : [inventorySource]),
    ]),
  });
}

/**
 * Only the storage of a project, from airlock.yaml alone (the catalog and policies are not read):
 * what `airlock migrate` needs, also when a policy file is broken.
 */
export async function loadStorage(
  configFile: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Loaded<StorageSettings>> {
  const configPath = path.resolve(configFile);
  const problems: Problem[] = [];
  const source = await readYaml(configPath, problems);
  if (source === null) return failed(problems);
  const decoded = source.decode(projectSchema);
  if (!decoded.ok) return failed(decoded.problems);
  const storage = resolveStorage(decoded.value.storage, path.dirname(configPath), env, source, problems);
  return storage === null ? failed(problems) : loaded(storage);
}

/** What policy files are compiled against: the project's catalog, environments and routes. */
export interface PolicyContext {
  readonly dir: string;
  /** null when the catalog did not load (then type patterns are not checked). */
  readonly catalog: Catalog | null;
  readonly environments: ReadonlyMap<string, EnvironmentSpec>;
  /** null when the routes did not load (then route names are not checked). */
  readonly routing: Routing | null;
  readonly defaultEffect: Effect;
}

/**
 * Compile the policy files at `paths` (files or directories, relative to the project directory)
 * into a bundle, adding every problem to `problems`; null when there were any.
 */
async function compilePolicyPaths(
  context: PolicyContext,
  paths: readonly string[],
  from: { source: YamlSource; path: readonly PropertyKey[] } | null,
  problems: Problem[],
  /** Where each file is said to live (for the bundle's paths and hash); default where it is. */
  place: (file: string) => string = (file) => file,
): Promise<{ bundle: PolicyBundle; sources: YamlSource[] } | null> {
  const before = problems.length;
  const files = await expandPaths(context.dir, paths, from, problems);
  const sources = await readAll(files, problems);
  const compiled = compilePolicies(
    sources.map((s, i) => ({ source: s, relativePath: path.relative(context.dir, place(files[i] ?? '')) })),
    {
      actionTypes: context.catalog === null ? null : context.catalog.list().map((entry) => entry.type),
      environments: new Set(context.environments.keys()),
      defaultEffect: context.defaultEffect,
      routes: context.routing === null ? null : new Set(context.routing.routes.keys()),
    },
  );
  if (!compiled.ok) problems.push(...compiled.problems);
  return compiled.ok && problems.length === before ? { bundle: compiled.value, sources } : null;
}

/**
 * A candidate bundle from policy files outside the project's own (`airlock replay --policies`,
 * `airlock policy test <dir>`), compiled against the project's catalog, environments and routes.
 * Paths are relative to the working directory.
 *
 * @example
 * const candidate = await loadPolicyBundle(project, ['policies-next']);
 * if (!candidate.ok) for (const p of candidate.problems) console.error(formatProblem(p));
 */
export async function loadPolicyBundle(
  project: Project,
  paths: readonly string[],
): Promise<Loaded<PolicyBundle>> {
  const problems: Problem[] = [];
  const absolute = paths.map((p) => path.resolve(p));
  const compiled = await compilePolicyPaths(contextOf(project), absolute, null, problems);
  return compiled === null ? failed(problems) : loaded(compiled.bundle);
}

/**
 * The policy files of directory `dir` compiled as if they lived in directory `as` (absolute
 * paths): the bundle, and its hash, that loading them from `as` will give. Promoting a shadow
 * uses it to know which bundle it puts in force before any file moves.
 */
export async function loadPolicyBundleAs(
  project: Project,
  dir: string,
  as: string,
): Promise<Loaded<PolicyBundle>> {
  const problems: Problem[] = [];
  const place = (file: string) => path.join(as, path.relative(dir, file));
  const compiled = await compilePolicyPaths(contextOf(project), [dir], null, problems, place);
  return compiled === null ? failed(problems) : loaded(compiled.bundle);
}

function contextOf(project: Project): PolicyContext {
  return {
    dir: project.dir,
    catalog: project.catalog,
    environments: project.environments,
    routing: project.routing,
    defaultEffect: project.config.policy.defaultEffect,
  };
}

function fingerprint(sources: readonly YamlSource[]): string {
  const hash = createHash('sha256');
  for (const source of sources) hash.update(`${source.file}\u0000${source.text}\u0000`);
  return hash.digest('hex');
}

async function readAll(files: readonly string[], problems: Problem[]): Promise<YamlSource[]> {
  const sources: YamlSource[] = [];
  for (const file of files) {
    const source = await readYaml(file, problems);
    if (source !== null) sources.push(source);
  }
  return sources;
}

function checkEnvironments(
  source: YamlSource,
  config: ProjectConfig,
  problems: Problem[],
): Map<string, EnvironmentSpec> {
  const environments = new Map<string, EnvironmentSpec>();
  config.environments.forEach((env, index) => {
    if (environments.has(env.name)) {
      problems.push(
        source.problem(['environments', index, 'name'], `environment "${env.name}" is listed twice`),
      );
    }
    environments.set(env.name, env);
    env.changeWindows.forEach((text, w) => {
      const parsed = parseChangeWindow(text);
      if (!parsed.ok)
        problems.push(source.problem(['environments', index, 'changeWindows', w], parsed.message));
    });
  });
  for (const level of ['conditional', 'scoped'] as const) {
    const listed = config.trust.levels[level].environments;
    if (!Array.isArray(listed)) continue;
    listed.forEach((name, i) => {
      if (!environments.has(name)) {
        problems.push(
          source.problem(['trust', 'levels', level, 'environments', i], `unknown environment "${name}"`),
        );
      }
    });
  }
  return environments;
}

function decodePeople(source: YamlSource, problems: Problem[]): Map<string, Person> {
  const people = new Map<string, Person>();
  const decoded = source.decode(peopleFileSchema);
  if (!decoded.ok) {
    problems.push(...decoded.problems);
    return people;
  }
  decoded.value.people.forEach((person, index) => {
    if (people.has(person.id)) {
      problems.push(source.problem(['people', index, 'id'], `person "${person.id}" is listed twice`));
    }
    people.set(person.id, person);
  });
  return people;
}
