/** Scopes: (agent, action-type pattern, environment). The most specific grant that matches decides the level. */

import type { TrustLevel } from '../domain/levels.ts';
import { glob } from '../policy/glob.ts';

/** A level granted to an agent for a scope. `environment` is a name or `*`. */
export interface Grant {
  readonly typePattern: string;
  readonly environment: string;
  readonly level: TrustLevel;
}

export interface ResolvedLevel {
  readonly level: TrustLevel;
  /** The grant that decided, or null when no grant matched (level 0). */
  readonly grant: Grant | null;
}

/** Render a scope the way the CLI takes it: `service.restart@staging`. */
export function formatScope(typePattern: string, environment: string): string {
  return `${typePattern}@${environment}`;
}

export function parseScope(text: string): { typePattern: string; environment: string } | null {
  const at = text.lastIndexOf('@');
  const typePattern = at < 0 ? text : text.slice(0, at);
  const environment = at < 0 ? '*' : text.slice(at + 1);
  if (!/^[a-z0-9*][a-z0-9_.*-]*$/.test(typePattern) || !/^(\*|[A-Za-z0-9][\w.-]*)$/.test(environment))
    return null;
  return { typePattern, environment };
}

/**
 * The level an agent holds for an action type in an environment. A grant for the exact
 * environment beats one for `*`; then the pattern with more literal characters wins;
 * equally specific grants resolve to the lowest of their levels (fail safe).
 */
export function resolveLevel(grants: readonly Grant[], type: string, environment: string): ResolvedLevel {
  let best: Grant | null = null;
  let bestRank = -1;
  for (const grant of grants) {
    if (grant.environment !== '*' && grant.environment !== environment) continue;
    const pattern = glob(grant.typePattern);
    if (!pattern.matches(type)) continue;
    const rank = (grant.environment === '*' ? 0 : 1_000_000) + pattern.specificity;
    if (rank > bestRank || (rank === bestRank && best !== null && grant.level < best.level)) {
      best = grant;
      bestRank = rank;
    }
  }
  return { level: best?.level ?? 0, grant: best };
}
