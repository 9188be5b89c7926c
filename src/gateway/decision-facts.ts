/**
 * The facts of a decision, gathered as they are at this moment: the agent and its grants, the
 * scope's calibration, the action type, the environment, the thresholds, any freeze, the time.
 * Stored verbatim with the decision, so explain and replay see exactly what decide() saw.
 */

import type { CatalogEntry } from '../catalog/catalog.ts';
import { actionFacts, type DecisionFacts } from '../decide/facts.ts';
import type { ActionRequest } from '../domain/action.ts';
import type { Project } from '../project/project-loader.ts';
import type { EnvironmentSpec } from '../project/project-schema.ts';
import type { AgentRecord } from '../store/records.ts';
import { formatScope, resolveLevel } from '../trust/scope.ts';
import { ceilingFor } from '../trust/trust-settings.ts';
import type { AccessCache } from './access-cache.ts';
import type { CalibrationCache } from './calibration-cache.ts';
import type { FreezeService } from './freeze-service.ts';

export interface FactSources {
  readonly access: AccessCache;
  readonly freezes: Pick<FreezeService, 'check'>;
  readonly calibration: CalibrationCache;
}

export interface FactInput {
  readonly agent: AgentRecord;
  readonly request: ActionRequest;
  readonly entry: CatalogEntry;
  readonly environment: EnvironmentSpec;
  readonly project: Project;
  readonly now: Date;
}

/** Everything decide() reads, as it is now; stored with the decision for explain and replay. */
export async function gatherFacts(deps: FactSources, input: FactInput): Promise<DecisionFacts> {
  const { agent, request, entry, environment, project, now } = input;
  await deps.access.refresh();
  const freeze = await deps.freezes.check(agent.id, environment.name, now);
  const resolved = resolveLevel(await deps.access.listGrants(agent.id), request.type, request.environment);
  const calibration = await deps.calibration.fact(
    agent.id,
    resolved.grant ?? { typePattern: request.type, environment: request.environment },
    request.confidence,
    now,
  );
  return {
    request,
    action: actionFacts(entry),
    agent: { id: agent.id, owner: agent.owner, suspended: agent.status === 'suspended' },
    environment: {
      name: environment.name,
      production: environment.production,
      changeWindows: environment.changeWindows,
    },
    trust: {
      granted: resolved.level,
      ceiling: ceilingFor(project.config.trust, agent.id),
      scope:
        resolved.grant === null ? null : formatScope(resolved.grant.typePattern, resolved.grant.environment),
    },
    thresholds: project.config.trust.levels,
    calibration,
    frozen: freeze !== null,
    ...(freeze === null ? {} : { freeze }),
    now: now.toISOString(),
  };
}
