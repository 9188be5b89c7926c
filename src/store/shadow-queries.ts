/** Shadow disagreements: recording them with their action, listing them, and counting them for reports. */

import type { Kysely, Selectable } from 'kysely';
import type { DecisionEffect, Reason } from '../domain/decision.ts';
import type {
  RuleDifference,
  RuleDifferences,
  ShadowDecisionRecord,
  ShadowFilter,
  ShadowSummary,
} from './records.ts';
import type { Database, ShadowDecisionsTable } from './schema.ts';

type Db = Kysely<Database>;

function toShadowDecision(row: Selectable<ShadowDecisionsTable>): ShadowDecisionRecord {
  return {
    actionId: row.action_id,
    agentId: row.agent_id,
    type: row.type,
    environment: row.environment,
    liveBundle: row.live_bundle,
    shadowBundle: row.shadow_bundle,
    liveEffect: row.live_effect as DecisionEffect,
    shadowEffect: row.shadow_effect as DecisionEffect,
    change: row.change as ShadowDecisionRecord['change'],
    reasons: JSON.parse(row.reasons) as Reason[],
    rules: JSON.parse(row.rules) as RuleDifferences,
    createdAt: row.created_at,
  };
}

/** One row per rule that made a difference, for counting by rule. */
function ruleRows(r: ShadowDecisionRecord) {
  const at = { action_id: r.actionId, shadow_bundle: r.shadowBundle, created_at: r.createdAt };
  const rows = (names: readonly string[], difference: RuleDifference) =>
    [...new Set(names)].map((rule) => ({ ...at, rule, difference }));
  return [
    ...rows(r.rules.newlyMatched, 'newly_matched'),
    ...rows(r.rules.noLongerMatched, 'no_longer_matched'),
    ...rows(
      r.rules.effectChanged.map((c) => c.rule),
      'effect_changed',
    ),
  ];
}

export async function insertShadowDecisions(db: Db, records: readonly ShadowDecisionRecord[]): Promise<void> {
  if (records.length === 0) return;
  await db
    .insertInto('shadow_decisions')
    .values(
      records.map((r) => ({
        action_id: r.actionId,
        agent_id: r.agentId,
        type: r.type,
        environment: r.environment,
        live_bundle: r.liveBundle,
        shadow_bundle: r.shadowBundle,
        live_effect: r.liveEffect,
        shadow_effect: r.shadowEffect,
        change: r.change,
        reasons: JSON.stringify(r.reasons),
        rules: JSON.stringify(r.rules),
        created_at: r.createdAt,
      })),
    )
    .onConflict((oc) => oc.column('action_id').doNothing())
    .execute();
  const rules = records.flatMap(ruleRows);
  if (rules.length === 0) return;
  await db
    .insertInto('shadow_decision_rules')
    .values(rules)
    .onConflict((oc) => oc.columns(['action_id', 'rule', 'difference']).doNothing())
    .execute();
}

/** Newest first. */
export async function listShadowDecisions(
  db: Db,
  filter: ShadowFilter & { readonly limit: number },
): Promise<ShadowDecisionRecord[]> {
  let query = db.selectFrom('shadow_decisions').selectAll();
  if (filter.shadowBundle !== undefined) query = query.where('shadow_bundle', '=', filter.shadowBundle);
  if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('action_id', 'desc')
    .limit(filter.limit)
    .execute();
  return rows.map(toShadowDecision);
}

export async function summarizeShadowDecisions(db: Db, filter: ShadowFilter): Promise<ShadowSummary> {
  let transitions = db
    .selectFrom('shadow_decisions')
    .select(['live_effect', 'shadow_effect', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['live_effect', 'shadow_effect']);
  let rules = db
    .selectFrom('shadow_decision_rules')
    .select(['rule', 'difference', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['rule', 'difference']);
  if (filter.shadowBundle !== undefined) {
    transitions = transitions.where('shadow_bundle', '=', filter.shadowBundle);
    rules = rules.where('shadow_bundle', '=', filter.shadowBundle);
  }
  if (filter.since !== undefined) {
    transitions = transitions.where('created_at', '>=', filter.since);
    rules = rules.where('created_at', '>=', filter.since);
  }
  const byTransition = (await transitions.execute()).map((row) => ({
    liveEffect: row.live_effect as DecisionEffect,
    shadowEffect: row.shadow_effect as DecisionEffect,
    count: Number(row.n),
  }));
  const byRule = (await rules.execute()).map((row) => ({
    rule: row.rule,
    difference: row.difference as RuleDifference,
    count: Number(row.n),
  }));
  // Most frequent first; ties in a stable order.
  byTransition.sort(
    (a, b) =>
      b.count - a.count ||
      `${a.liveEffect}>${a.shadowEffect}`.localeCompare(`${b.liveEffect}>${b.shadowEffect}`),
  );
  byRule.sort(
    (a, b) => b.count - a.count || a.rule.localeCompare(b.rule) || a.difference.localeCompare(b.difference),
  );
  return {
    total: byTransition.reduce((sum, t) => sum + t.count, 0),
    transitions: byTransition,
    rules: byRule,
  };
}
