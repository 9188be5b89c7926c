/**
 * Routing: which route an action's approval takes, and the routes themselves, checked against
 * the people file (every step's group must have someone who can vote) and the environment
 * (every webhook's secret must be set).
 */

import { failed, type Loaded, loaded, type Problem } from '../config/problems.ts';
import type { YamlSource } from '../config/yaml-source.ts';
import type { Person } from '../project/project-schema.ts';
import { ANY_APPROVER, type RouteSpec, routesFileSchema, type WebhookSpec } from './route-schema.ts';

export interface Webhook extends WebhookSpec {
  /** Read from the environment variable `secretEnv` when the project loads. */
  readonly secret: string;
}

export interface Routing {
  readonly routes: ReadonlyMap<string, RouteSpec>;
  readonly defaultRoute: string;
  readonly owners: ReadonlyMap<string, string>;
  readonly ownerMayApprove: boolean;
  readonly webhooks: ReadonlyMap<string, Webhook>;
}

/** With no routes file: one step, any approver, an hour, then deny. */
export const BUILTIN_ROUTE: RouteSpec = {
  name: 'default',
  description: 'Any approver within an hour, else denied (no routes file is configured).',
  steps: [{ group: ANY_APPROVER, quorum: 1, timeout: 3_600_000, notify: [] }],
  fallback: 'deny',
  notify: [],
};

export const BUILTIN_ROUTING: Routing = {
  routes: new Map([[BUILTIN_ROUTE.name, BUILTIN_ROUTE]]),
  defaultRoute: BUILTIN_ROUTE.name,
  owners: new Map(),
  ownerMayApprove: false,
  webhooks: new Map(),
};

/** May this person vote at a step of this group (as a member, not as an admin override)? */
export function isMember(person: Pick<Person, 'role' | 'groups'>, group: string): boolean {
  if (person.role === 'viewer') return false;
  return group === ANY_APPROVER || person.groups.includes(group);
}

/** The route an approval takes: the one a policy rule named, else the owner's, else the default. */
export function routeFor(routing: Routing, named: string | null, owner: string): RouteSpec {
  const name = named ?? routing.owners.get(owner) ?? routing.defaultRoute;
  // Names are checked when the project loads; a policy naming a route another reload removed falls back.
  return routing.routes.get(name) ?? routing.routes.get(routing.defaultRoute) ?? BUILTIN_ROUTE;
}

export function compileRouting(
  source: YamlSource,
  people: ReadonlyMap<string, Person>,
  env: Readonly<Record<string, string | undefined>>,
): Loaded<Routing> {
  const decoded = source.decode(routesFileSchema);
  if (!decoded.ok) return failed(decoded.problems);
  const file = decoded.value;
  const problems: Problem[] = [];

  const webhooks = new Map<string, Webhook>();
  file.webhooks.forEach((hook, i) => {
    if (webhooks.has(hook.name))
      problems.push(source.problem(['webhooks', i, 'name'], `webhook "${hook.name}" is listed twice`));
    const secret = env[hook.secretEnv];
    if (secret === undefined || secret === '') {
      problems.push(
        source.problem(['webhooks', i, 'secretEnv'], `environment variable ${hook.secretEnv} is not set`),
      );
    }
    webhooks.set(hook.name, { ...hook, secret: secret ?? '' });
  });
  const checkNotify = (names: readonly string[], at: readonly PropertyKey[]) => {
    names.forEach((name, i) => {
      if (!webhooks.has(name)) {
        const known = [...webhooks.keys()].join(', ') || 'none declared';
        problems.push(source.problem([...at, i], `unknown webhook "${name}" (known: ${known})`));
      }
    });
  };

  const routes = new Map<string, RouteSpec>();
  file.routes.forEach((route, r) => {
    if (routes.has(route.name))
      problems.push(source.problem(['routes', r, 'name'], `route "${route.name}" is listed twice`));
    routes.set(route.name, route);
    checkNotify(route.notify, ['routes', r, 'notify']);
    route.steps.forEach((step, s) => {
      const at = ['routes', r, 'steps', s] as const;
      checkNotify(step.notify, [...at, 'notify']);
      const voters = [...people.values()].filter((p) => isMember(p, step.group)).length;
      if (voters < step.quorum) {
        const who = step.group === ANY_APPROVER ? 'approvers' : `approvers in group "${step.group}"`;
        problems.push(
          source.problem(
            [...at, step.group === ANY_APPROVER || voters > 0 ? 'quorum' : 'group'],
            `route "${route.name}" step ${s + 1} needs ${step.quorum} ${who}; the people file has ${voters}`,
          ),
        );
      }
    });
  });

  const knownRoutes = () => [...routes.keys()].join(', ');
  const defaultRoute = file.defaultRoute ?? file.routes[0]?.name ?? BUILTIN_ROUTE.name;
  if (!routes.has(defaultRoute)) {
    problems.push(
      source.problem(['defaultRoute'], `unknown route "${defaultRoute}" (known: ${knownRoutes()})`),
    );
  }
  for (const [owner, route] of Object.entries(file.owners)) {
    if (!routes.has(route))
      problems.push(source.problem(['owners', owner], `unknown route "${route}" (known: ${knownRoutes()})`));
  }

  if (problems.length > 0) return failed(problems);
  return loaded({
    routes,
    defaultRoute,
    owners: new Map(Object.entries(file.owners)),
    ownerMayApprove: file.ownerMayApprove,
    webhooks,
  });
}
