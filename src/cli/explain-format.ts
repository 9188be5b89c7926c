/** The decision path of one action, written for a person reading a terminal. */

import type { AuditRecord } from '../audit/audit-event.ts';
import { formatDuration } from '../config/durations.ts';
import type { Reason } from '../domain/decision.ts';
import { levelLabel } from '../domain/levels.ts';
import type { ActionRecord, Approval } from '../store/records.ts';
import { shortHash } from './output.ts';

/** One reason of a decision on one line: its kind, its effect (or pass/FAIL), what and why. */
export function reasonLine(reason: Reason): string {
  switch (reason.kind) {
    case 'rule':
      return `rule     ${reason.effect.padEnd(8)} ${reason.rule} (${reason.file}): ${reason.message}${reason.route === undefined ? '' : ` [route ${reason.route}]`}`;
    case 'rule_error':
      return `rule     ${reason.effect.padEnd(8)} ${reason.rule} (${reason.file}) FAILED TO EVALUATE: ${reason.message}`;
    case 'default':
      return `default  ${reason.effect.padEnd(8)} ${reason.message}`;
    case 'agent_suspended':
      return `agent    deny     ${reason.message}`;
    case 'frozen':
      return `freeze   escalate ${reason.message}`;
    case 'revision':
      return `revision escalate ${reason.message}`;
    case 'limit':
      return `limit    ${(reason.passed ? 'pass' : reason.effect).padEnd(8)} ${reason.limit} (${reason.file}, ${reason.limitKind}): ${reason.message}`;
    case 'cap':
      return `cap      ${(reason.passed ? 'pass' : 'FAIL').padEnd(8)} ${reason.code}: ${reason.message}`;
    default: {
      const never: never = reason;
      return JSON.stringify(never);
    }
  }
}

/** A few words on what an event of the path says, for the kinds that carry more than their name. */
function eventDetail(event: AuditRecord): string {
  const d = JSON.parse(event.data) as Record<string, unknown>;
  switch (event.kind) {
    case 'approval.opened':
      return `route ${d.route}, step 1: ${d.group} (quorum ${d.quorum}) until ${d.deadline}`;
    case 'approval.voted':
      return `${d.verdict} at step ${d.step}${d.override === true ? ' (admin override)' : ''}${d.comment == null ? '' : `: ${d.comment}`}`;
    case 'approval.escalated':
      return `step ${d.fromStep} timed out at ${d.dueAt}; step ${d.toStep}: ${d.group} (quorum ${d.quorum}) until ${d.deadline}`;
    case 'approval.resolved':
      return `${d.outcome} (${d.cause}${d.fallback == null ? '' : `, fallback ${d.fallback}`}) → status ${d.status}`;
    case 'notification.delivered':
    case 'notification.failed':
      return `webhook ${d.webhook} (${d.event}) after ${d.attempts} attempt(s)`;
    case 'action.proposed':
      return d.revisionOf == null ? '' : `revision of ${d.revisionOf}`;
    default:
      return '';
  }
}

function approvalLines(approval: Approval): string[] {
  const steps = approval.route.steps
    .map((s, i) => `${i + 1}. ${s.group} ×${s.quorum} for ${formatDuration(s.timeout)}`)
    .join(', ');
  return [
    '',
    `approval ${approval.id}: ${approval.status} · route ${approval.route.name} (${steps}; then ${approval.route.fallback})`,
    `  step ${approval.step}, deadline ${approval.deadline} · request ${shortHash(`sha256:${approval.requestHash}`)}`,
    ...approval.votes.map(
      (v) =>
        `  ${v.verdict.padEnd(8)} ${v.person} at step ${v.step}${v.override ? ' (admin override)' : ''}${v.comment === null ? '' : `: ${v.comment}`}`,
    ),
  ];
}

export function explainText(
  action: ActionRecord,
  path: readonly AuditRecord[],
  approval: Approval | null = null,
): string {
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
    ...(approval === null ? [] : approvalLines(approval)),
    '',
    'path (audit sequence numbers):',
    ...path.map((e) => {
      const detail = eventDetail(e);
      return `  #${e.seq}  ${e.at}  ${e.kind.padEnd(22)} by ${e.actor.kind} ${e.actor.id}  ${e.hash.slice(0, 12)}${detail === '' ? '' : `  ${detail}`}`;
    }),
  );
  return lines.join('\n');
}
