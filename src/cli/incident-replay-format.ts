/** An incident replay report written for a person reading a terminal: one table, the reasons, a summary. */

import { canonicalJson } from '../audit/canonical-json.ts';
import type { DecisionEffect } from '../domain/decision.ts';
import type {
  CandidateProposal,
  CandidateThere,
  IncidentReport,
  OriginalSide,
  StepReport,
} from '../replay/incident-report.ts';
import { shortHash, table } from './output.ts';

/** Effects a person should look at are shouted. */
function effectText(effect: DecisionEffect): string {
  return effect === 'deny' || effect === 'escalate' ? effect.toUpperCase() : effect;
}

function targetIds(targets: readonly { readonly id: string }[]): string {
  const ids = targets.map((t) => t.id);
  if (ids.length === 0) return '(no targets)';
  return ids.length <= 3 ? ids.join(',') : `${ids.slice(0, 3).join(',')} +${ids.length - 3}`;
}

function actionText(a: { type: string; environment: string; targets: readonly { readonly id: string }[] }) {
  return `${a.type}@${a.environment} ${targetIds(a.targets)}`;
}

function outcomeText(original: OriginalSide): string {
  const status = original.status === 'rolled_back' ? 'ROLLED BACK' : original.status;
  const loud = original.status === 'failed' || original.status === 'unknown' ? status.toUpperCase() : status;
  return `${original.effect} → ${loud}`;
}

function proposalCells(proposal: CandidateProposal): [string, string] {
  if (proposal.kind === 'rejected')
    return [`${proposal.type ?? '?'}@${proposal.environment ?? '?'}`, `REJECTED (${proposal.code})`];
  return [actionText(proposal), effectText(proposal.effect)];
}

function verdictText(step: StepReport, proposal: CandidateProposal | undefined): string {
  if (step.verdict === 'error') return 'error';
  if (proposal === undefined) return 'DIFFERENT';
  if (proposal.kind === 'rejected') return 'DIFFERENT';
  if (step.verdict === 'same') return 'same';
  return proposal.differs.length === 0
    ? "DIFFERENT (the original's action, and more)"
    : `DIFFERENT: ${proposal.differs.join(', ')}`;
}

function rows(step: StepReport): string[][] {
  const first = [
    String(step.step),
    `${actionText(step.original)} (${step.original.agent})`,
    outcomeText(step.original),
  ];
  const blank = ['', '', ''];
  if (step.candidate.kind === 'error') return [[...first, `error: ${step.candidate.error}`, '', 'error']];
  const { proposals } = step.candidate;
  if (proposals.length === 0) return [[...first, '(proposed nothing)', '', verdictText(step, undefined)]];
  return proposals.map((proposal, i) => [
    ...(i === 0 ? first : blank),
    ...proposalCells(proposal),
    verdictText(step, proposal),
  ]);
}

/** The lines under the table: why originals went wrong, why candidates were held or refused, errors. */
function detailLines(step: StepReport): string[] {
  const lines: string[] = [];
  const at = `step ${step.step}`;
  if (step.original.note !== null)
    lines.push(`${at} original ${step.original.action}: ${step.original.note}`);
  if (step.candidate.kind === 'error') return [...lines, `${at} candidate error: ${step.candidate.error}`];
  for (const proposal of step.candidate.proposals) {
    if (proposal.kind === 'rejected') {
      lines.push(`${at} candidate proposal rejected (${proposal.code}): ${proposal.message}`);
      lines.push(...proposal.details.map((d) => `    - ${d}`));
      continue;
    }
    if (proposal.effect === 'deny' || proposal.effect === 'escalate') {
      lines.push(
        `${at} candidate ${actionText(proposal)}: ${effectText(proposal.effect)} (level ${proposal.trustLevel}, as ${proposal.agent})`,
      );
      lines.push(...proposal.reasons.map((r) => `    - ${r}`));
    }
    if (proposal.differs.includes('params')) {
      lines.push(
        `${at} params: original ${canonicalJson(step.original.params)}, candidate ${canonicalJson(proposal.params)}`,
      );
    }
  }
  return lines;
}

const THERE: Readonly<Record<CandidateThere, string>> = {
  same: 'the candidate proposed the same action',
  other: 'the candidate proposed something else',
  nothing: 'the candidate proposed nothing',
  error: 'the candidate gave no usable answer',
};

export function incidentReplayText(report: IncidentReport): string[] {
  const { summary: s } = report;
  const as = report.asAgent === null ? "each step's original agent" : `agent ${report.asAgent}`;
  const lines = [
    `incident ${report.incident}: ${s.steps} step${s.steps === 1 ? '' : 's'} replayed against ${report.agentUrl}`,
    `decided as ${as} under policy ${shortHash(report.policyVersion)} at ${report.decidedAt}; nothing was executed`,
    '',
    ...table(report.steps.flatMap(rows), [
      'STEP',
      'ORIGINAL',
      'OUTCOME',
      'CANDIDATE',
      'DECISION',
      'DIFF',
    ]).split('\n'),
  ];
  const details = report.steps.flatMap(detailLines);
  if (details.length > 0) lines.push('', ...details);
  const p = s.proposals;
  lines.push(
    '',
    `summary: ${s.steps} steps: ${s.same} same, ${s.different} different, ${s.errors} error${s.errors === 1 ? '' : 's'}`,
    `candidate proposals: ${p.total} (${p.execute} execute, ${p.escalate} escalate, ${p.advise} advise, ${p.deny} deny, ${p.rejected} rejected)`,
  );
  if (s.wentWrong.length > 0) {
    lines.push('went wrong in the original run:');
    for (const w of s.wentWrong)
      lines.push(
        `  step ${w.step} ${w.action}: ${w.status === 'rolled_back' ? 'rolled back' : w.status}; ${THERE[w.candidate]}`,
      );
  }
  return lines;
}
