/**
 * The facts of a policy test case: what the gateway would gather from its store for this request,
 * stated by the case instead (level, agent, time, counters, calibration, freeze). Pure.
 */

import type { Catalog, CatalogEntry } from '../catalog/catalog.ts';
import { type CalendarFreeze, calendarFreezeAt } from '../decide/calendar-freeze.ts';
import { actionFacts, type CalibrationFact, type DecisionFacts } from '../decide/facts.ts';
import { limitCounters, limitFacts } from '../policy/limits.ts';
import type { PolicyBundle } from '../policy/policy-bundle.ts';
import { formatScope } from '../trust/scope.ts';
import { ceilingFor, type TrustSettings } from '../trust/trust-settings.ts';
import type { CaseSpec } from './suite-schema.ts';

/** What cases are decided against: the bundle under test and the project around it. */
export interface SuiteContext {
  readonly bundle: PolicyBundle;
  readonly catalog: Pick<Catalog, 'check'>;
  readonly environments: ReadonlyMap<string, DecisionFacts['environment']>;
  readonly trust: TrustSettings;
  readonly freezes: readonly CalendarFreeze[];
  /** Instances per service, for `fraction` limits. */
  readonly inventory: ReadonlyMap<string, number>;
}

/**
 * The facts decide() reads for a case, built as the gateway builds them: the ceiling of
 * airlock.yaml caps the stated level, calendar freezes apply at the case's time, and each counter
 * key of a counted limit holds the number the case gives that limit (0 when it gives none).
 *
 * @example
 * const facts = caseFacts(spec, entry, environment, context);
 * decide(facts, context.bundle).effect; // 'execute'
 */
export function caseFacts(
  spec: CaseSpec,
  entry: CatalogEntry,
  environment: DecisionFacts['environment'],
  context: SuiteContext,
): DecisionFacts {
  const { request, agent } = spec;
  const now = new Date(spec.now);
  const scope = formatScope(request.type, request.environment);
  const counts = new Map<string, number>();
  for (const counter of limitCounters(context.bundle, request, agent.id))
    counts.set(
      counter.key,
      Object.hasOwn(spec.counters, counter.limit) ? (spec.counters[counter.limit] ?? 0) : 0,
    );
  const limits = limitFacts(context.bundle, request, agent.id, counts, context.inventory);
  const freeze = spec.frozen
    ? { source: 'agent', by: 'the test case', reason: 'frozen: true' }
    : calendarFreezeAt(context.freezes, request.environment, now);
  const calibration = calibrationFact(spec, scope, context.trust);
  return {
    request,
    action: actionFacts(entry),
    agent: { id: agent.id, owner: agent.owner, suspended: spec.suspended },
    environment: {
      name: environment.name,
      production: environment.production,
      changeWindows: environment.changeWindows,
    },
    trust: {
      granted: spec.level,
      ceiling: ceilingFor(context.trust, agent.id),
      scope: spec.level === 0 ? null : scope,
    },
    thresholds: context.trust.levels,
    ...(limits.length === 0 ? {} : { limits }),
    ...(calibration === null ? {} : { calibration }),
    frozen: freeze !== null,
    ...(freeze === null ? {} : { freeze }),
    now: now.toISOString(),
  };
}

/** A scope calibrated on enough evidence that its curve maps the stated confidence to the case's number. */
function calibrationFact(spec: CaseSpec, scope: string, trust: TrustSettings): CalibrationFact | null {
  const calibrated = spec.calibratedConfidence;
  const stated = spec.request.confidence;
  if (calibrated === undefined || stated === null) return null;
  const { minEvidence } = trust.calibration;
  return { scope, n: minEvidence, minEvidence, knots: [[stated, calibrated]], calibrated };
}
