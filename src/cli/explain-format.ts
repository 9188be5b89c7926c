/** The decision path of one action, written for a person reading a terminal. */

import type { AuditRecord } from '../audit/audit-event.ts';
import type { Reason } from '../domain/decision.ts';
import { levelLabel } from '../domain/levels.ts';
import type { ActionRecord } from '../store/records.ts';
import { shortHash } from './output.ts';

function reasonLine(reason: Reason): string {
  switch (reason.kind) {
    case 'rule':
      return `rule     ${reason.effect.padEnd(8)} ${reason.rule} (${reason.file}): ${reason.message}`;
    case 'rule_error':
      return `rule     ${reason.effect.padEnd(8)} ${reason.rule} (${reason.file}) FAILED TO EVALUATE: ${reason.message}`;
    case 'default':
      return `default  ${reason.effect.padEnd(8)} ${reason.message}`;
    case 'agent_suspended':
      return `agent    deny     ${reason.message}`;
    case 'frozen':
      return `freeze   escalate ${reason.message}`;
    case 'cap':
      return `cap      ${(reason.passed ? 'pass' : 'FAIL').padEnd(8)} ${reason.code}: ${reason.message}`;
    default: {
      const never: never = reason;
      return JSON.stringify(never);
    }
  }
}

export function explainText(action: ActionRecord, path: readonly AuditRecord[]): string {
  const r = action.request;
  const targets = r.targets.map((t) => t.id).join(', ') || 'none';
  const lines = [
    `${action.id}: ${action.agentId} proposes ${action.type} in ${action.environment} (targets: ${targets})`,
    `  params ${JSON.stringify(r.params)}`,
    `  confidence ${r.confidence ?? '–'} · anomaly score ${r.anomalyScore ?? '–'}${r.incident === null ? '' : ` · incident ${r.incident}`}`,
  ];
  if (r.reasoning !== null) lines.push(`  reasoning: ${r.reasoning}`);
  const d = action.decision;
  lines.push(
    '',
    `decision: ${d.effect} → status ${action.status}, at level ${levelLabel(d.trustLevel)}, policy effect ${d.policyEffect}, bundle ${shortHash(d.policyVersion)}`,
    ...d.reasons.map((reason) => `  ${reasonLine(reason)}`),
    '',
    'path (audit sequence numbers):',
    ...path.map(
      (e) =>
        `  #${e.seq}  ${e.at}  ${e.kind.padEnd(16)} by ${e.actor.kind} ${e.actor.id}  ${e.hash.slice(0, 12)}`,
    ),
  );
  return lines.join('\n');
}
