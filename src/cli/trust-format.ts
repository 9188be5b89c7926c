/** How `trust show` and `trust recommend` print a scope: level, evidence, calibration and the next step. */

import { levelLabel } from '../domain/levels.ts';
import type { ScopeReport } from '../gateway/trust-reports.ts';
import type { ScopeMetrics } from '../trust/evidence.ts';
import type { PromotionCheck } from '../trust/promotion.ts';
import type { Rate } from '../trust/stats.ts';
import { table } from './output.ts';

function num(value: number | null, digits = 3): string {
  return value === null ? '—' : value.toFixed(digits);
}

function rate(name: string, r: Rate): string {
  return r.trials === 0
    ? `${name} —`
    : `${name} ${r.successes}/${r.trials} = ${num(r.rate)} (lower bound ${num(r.lower)})`;
}

const COUNTED = [
  ['succeeded', 'succeeded'],
  ['failed', 'failed'],
  ['rolled_back', 'rolled back'],
  ['unknown', 'unknown'],
  ['verification_failed', 'failed verification'],
  ['approved_unchanged', 'approved unchanged'],
  ['approved_changed', 'approved with changes'],
  ['denied_by_person', 'denied by a person'],
  ['expired', 'expired'],
  ['advice_agreed', 'advice agreed'],
  ['advice_disagreed', 'advice disagreed'],
  ['incident', 'incidents'],
] as const;

export function evidenceLines(m: ScopeMetrics): string[] {
  const counts = COUNTED.filter(([kind]) => m.counts[kind] > 0).map(
    ([kind, label]) => `${m.counts[kind]} ${label}`,
  );
  const lines = [
    `  evidence since ${m.since.slice(0, 10)}: ${counts.length === 0 ? 'none' : counts.join(', ')}`,
    `  ${rate('success', m.success)}; ${rate('agreement', m.agreement)}`,
  ];
  const c = m.calibration;
  lines.push(
    c.n === 0
      ? '  calibration: no labelled outcomes with a stated confidence yet'
      : `  calibration: ${c.n} outcomes, Brier ${num(c.brier)}, ECE ${num(c.ece)}`,
  );
  const bins = c.table.filter((b) => b.count > 0);
  if (bins.length > 0) {
    const rows = bins.map((b) => [
      `${b.from.toFixed(1)}–${b.to.toFixed(1)}`,
      num(b.meanConfidence),
      num(b.observedRate),
      String(b.count),
    ]);
    for (const line of table(rows, ['BIN', 'MEAN CONFIDENCE', 'OBSERVED', 'COUNT']).split('\n'))
      lines.push(`    ${line}`);
  }
  return lines;
}

export function nextLines(next: PromotionCheck | null, capped: boolean): string[] {
  if (next === null) return ['  next: none (level 3 is the top)'];
  const head = capped
    ? `  next: level ${next.to} is above the agent's ceiling`
    : next.qualifies
      ? `  next: level ${next.to} — the criteria are met; an admin may promote`
      : `  next: level ${next.to} — blocked by`;
  return [head, ...next.criteria.map((c) => `    ${c.passed ? '✓' : '✗'} ${c.message}`)];
}

export function scopeLines(s: ScopeReport): string[] {
  const level = levelLabel(s.effective) + (s.effective < s.level ? ` (granted ${s.level}, capped)` : '');
  const grant =
    s.grant === null
      ? 'never granted'
      : `since ${s.grant.grantedAt} by ${s.grant.grantedBy}: ${s.grant.reason}`;
  return [
    `${s.scope} — level ${level}, ${grant}`,
    ...evidenceLines(s.metrics),
    ...nextLines(s.next, s.capped),
  ];
}
