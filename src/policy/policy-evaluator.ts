/** Evaluates a bundle against one action: every matching rule, combined deny > escalate > allow. */

import type { Effect, Reason } from '../domain/decision.ts';
import { strictestEffect } from '../domain/decision.ts';
import { celActivation } from './cel-env.ts';
import type { CompiledRule, PolicyBundle, PolicyInput } from './policy-bundle.ts';

export interface PolicyResult {
  readonly effect: Effect;
  /** Every rule that matched (or failed to evaluate), in bundle order; or the default. */
  readonly reasons: readonly Reason[];
}

const candidateCache = new WeakMap<PolicyBundle, Map<string, readonly CompiledRule[]>>();

/** Rules whose `match` covers this type and environment; memoised per bundle. */
export function candidateRules(
  bundle: PolicyBundle,
  type: string,
  environment: string,
): readonly CompiledRule[] {
  let byKey = candidateCache.get(bundle);
  if (byKey === undefined) {
    byKey = new Map();
    candidateCache.set(bundle, byKey);
  }
  const key = `${type}\u0000${environment}`;
  let rules = byKey.get(key);
  if (rules === undefined) {
    rules = bundle.rules.filter(
      (rule) =>
        (rule.environments === null || rule.environments.has(environment)) &&
        (rule.types === null || rule.types.some((glob) => glob.matches(type))),
    );
    if (byKey.size < 10_000) byKey.set(key, rules);
  }
  return rules;
}

/**
 * A condition that throws or yields a non-boolean counts as matched with at least `escalate`
 * (a broken deny rule still denies): a missing fact never loosens a decision.
 */
export function evaluatePolicy(bundle: PolicyBundle, input: PolicyInput): PolicyResult {
  const reasons: Reason[] = [];
  let effect: Effect | null = null;
  const activation = celActivation(input);
  const type = input.request.type as string;
  const environment = input.request.environment as string;

  for (const rule of candidateRules(bundle, type, environment)) {
    let outcome: unknown = true;
    let error: string | null = null;
    if (rule.condition !== null) {
      try {
        outcome = rule.condition.evaluate(activation);
        if (typeof outcome !== 'boolean') error = `condition yielded ${typeof outcome}, not a boolean`;
      } catch (caught) {
        // cel-js errors carry a one-line summary; their message adds a multi-line code frame.
        const e = caught as { summary?: string; message?: string };
        error = e.summary ?? e.message?.split('\n', 1)[0] ?? String(caught);
      }
    }
    if (error !== null) {
      const failedEffect = strictestEffect(rule.effect, 'escalate');
      reasons.push({
        kind: 'rule_error',
        rule: rule.name,
        file: rule.file,
        effect: failedEffect,
        message: `could not evaluate "${rule.when}": ${error}`,
      });
      effect = effect === null ? failedEffect : strictestEffect(effect, failedEffect);
    } else if (outcome === true) {
      reasons.push({
        kind: 'rule',
        rule: rule.name,
        file: rule.file,
        effect: rule.effect,
        message: rule.reason,
        ...(rule.route === null ? {} : { route: rule.route }),
      });
      effect = effect === null ? rule.effect : strictestEffect(effect, rule.effect);
    }
  }

  if (effect === null) {
    reasons.push({
      kind: 'default',
      effect: bundle.defaultEffect,
      message: `no rule matched; the default effect is ${bundle.defaultEffect}`,
    });
    return { effect: bundle.defaultEffect, reasons };
  }
  return { effect, reasons };
}
