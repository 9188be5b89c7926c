/**
 * GET /v1/policy — the policy bundle in force: its rules and limits as declared, where each is
 * written, and when the bundle came into force. The shadow bundle's report is GET /v1/policy/shadow.
 */

import { activatedAt } from '../../gateway/policy-records.ts';
import type { CompiledLimit, CompiledRule, LimitCheck } from '../../policy/policy-bundle.ts';
import { policySchema } from '../console-schemas.ts';
import type { Route } from '../route.ts';

export const getPolicyRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/policy',
    operationId: 'getPolicy',
    summary: 'The policy bundle in force: default effect, files, rules and limits as declared',
    tag: 'policy',
    auth: 'person',
    responses: { 200: { description: 'The bundle in force', schema: policySchema } },
  },
  handle: (airlock) => async () => {
    const { bundle, shadow } = airlock.project();
    return {
      hash: bundle.hash,
      defaultEffect: bundle.defaultEffect,
      loadedAt: await activatedAt(airlock.store, bundle.hash),
      files: bundle.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
      shadow: shadow?.hash ?? null,
      rules: bundle.rules.map(ruleView),
      limits: bundle.limits.map(limitView),
    };
  },
};

function declared(entry: CompiledRule | CompiledLimit) {
  return {
    name: entry.name,
    file: entry.file,
    line: entry.line,
    description: entry.description,
    match: entry.match,
    reason: entry.reason,
  };
}

function ruleView(rule: CompiledRule) {
  return { ...declared(rule), effect: rule.effect, when: rule.when, route: rule.route };
}

function limitView(limit: CompiledLimit) {
  return { ...declared(limit), effect: limit.effect, check: checkView(limit.check) };
}

function checkView(check: LimitCheck) {
  switch (check.kind) {
    case 'rate':
      return { kind: check.kind, count: check.count, windowMs: check.window, by: check.by };
    case 'in_flight':
      return { kind: check.kind, max: check.max, by: check.by };
    case 'targets':
    case 'fraction':
      return { kind: check.kind, max: check.max };
    default: {
      const never: never = check;
      throw new Error(`unknown limit check ${JSON.stringify(never)}`);
    }
  }
}
