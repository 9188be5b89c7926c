/**
 * The decision path of an action as timeline entries: each audit event of its path (with its
 * sequence number and time), told with what the action view knows about it.
 */

import type { Action, PathStep, Reason } from '../api/types.ts';
import { formatTime, levelName, plural, shortHash, words } from '../lib/format.ts';

export type Tone = 'neutral' | 'good' | 'warn' | 'bad' | 'info';

export interface TimelineEntry {
  readonly key: string;
  readonly seq: number;
  readonly at: string;
  readonly kind: string;
  readonly actor: PathStep['actor'];
  readonly title: string;
  readonly lines: readonly string[];
  readonly tone: Tone;
  /** The decision's reasons: each policy rule, limit and trust cap. */
  readonly reasons?: readonly Reason[];
}

const OUTCOME_TONE: Readonly<Record<string, Tone>> = { succeeded: 'good', failed: 'bad', unknown: 'bad' };
const APPROVAL_TONE: Readonly<Record<string, Tone>> = {
  approved: 'good',
  denied: 'bad',
  expired: 'warn',
  revised: 'neutral',
};

const RESOLVED: Readonly<Record<string, string>> = {
  approved: 'Approved',
  denied: 'Denied',
  expired: 'Expired: nobody decided in time',
  revised: 'Replaced by a revision',
};

interface CheckData {
  readonly name?: string;
  readonly passed?: boolean;
  readonly message?: string;
  readonly target?: string;
}

/** Each check of a verification sample, one line each, from the event's recorded data. */
function checkLines(data: PathStep['data']): string[] {
  const results = (data?.results ?? data?.failed ?? []) as readonly CheckData[];
  if (!Array.isArray(results)) return [];
  return results.map(
    (r) =>
      `${r.passed === false ? '✗' : '✓'} ${r.name ?? 'check'}${r.target === undefined ? '' : ` (${r.target})`}: ${r.message ?? ''}`,
  );
}

function verdictWord(verdict: string): string {
  return verdict === 'approve' ? 'approved' : verdict === 'deny' ? 'denied' : 'proposed a revision';
}

export function timeline(action: Action): TimelineEntry[] {
  const path = action.path ?? [];
  const approval = action.approval;
  const votes = [...(approval?.votes ?? [])].sort((a, b) => a.at.localeCompare(b.at));
  let voteIndex = 0;
  let escalations = 0;
  let samples = 0;
  const totalSamples = path.filter((p) => p.kind === 'verification.sample').length;

  return path.map((step): TimelineEntry => {
    const base = { key: `${step.seq}`, seq: step.seq, at: step.at, kind: step.kind, actor: step.actor };
    const entry = (title: string, lines: readonly string[] = [], tone: Tone = 'neutral'): TimelineEntry => ({
      ...base,
      title,
      lines,
      tone,
    });
    switch (step.kind) {
      case 'action.proposed':
        return entry('Request', [
          `${action.agent} proposed ${action.type} in ${action.environment} on ${plural(action.targets.length, 'target')}: ${action.targets.map((t) => t.id).join(', ')}`,
          `confidence ${action.confidence ?? '—'} · anomaly score ${action.anomalyScore ?? '—'}`,
        ]);
      case 'action.decided': {
        const d = action.decision;
        const tone: Tone =
          d.effect === 'deny'
            ? 'bad'
            : d.effect === 'escalate'
              ? 'warn'
              : d.effect === 'execute'
                ? 'good'
                : 'neutral';
        return {
          ...entry(
            `Decision: ${d.effect}`,
            [
              `policy effect ${d.policyEffect} · at level ${d.trustLevel} (${levelName(d.trustLevel)})${d.route === null ? '' : ` · route ${d.route}`}`,
              `policy bundle ${shortHash(d.policyVersion)}`,
            ],
            tone,
          ),
          reasons: d.reasons,
        };
      }
      case 'approval.opened': {
        const first = approval?.route.steps[0];
        return entry(
          'Approval opened',
          approval === null
            ? []
            : [
                `route ${approval.route.name}: ${approval.route.steps.map((s) => `${s.group} ×${s.quorum} for ${s.timeout}`).join(', then ')}; then ${approval.route.fallback}`,
                first === undefined ? '' : `asked ${first.group} (quorum ${first.quorum})`,
              ].filter((l) => l !== ''),
          'warn',
        );
      }
      case 'approval.voted': {
        const vote = votes[voteIndex];
        voteIndex += 1;
        if (vote === undefined) return entry('Vote');
        return entry(
          `${vote.person} ${verdictWord(vote.verdict)}`,
          [
            `at step ${vote.step}${vote.override ? ' (admin override)' : ''}`,
            ...(vote.comment === null ? [] : [`“${vote.comment}”`]),
          ],
          vote.verdict === 'approve' ? 'good' : vote.verdict === 'deny' ? 'bad' : 'neutral',
        );
      }
      case 'approval.escalated': {
        escalations += 1;
        const next = approval?.route.steps[escalations];
        return entry(
          `Escalated to step ${escalations + 1}`,
          next === undefined
            ? ['the step timed out']
            : [`the step timed out; asked ${next.group} (quorum ${next.quorum})`],
          'warn',
        );
      }
      case 'approval.resolved':
        return entry(
          RESOLVED[approval?.status ?? ''] ?? 'Approval resolved',
          approval?.resolvedAt == null ? [] : [`resolved ${formatTime(approval.resolvedAt)}`],
          APPROVAL_TONE[approval?.status ?? ''] ?? 'neutral',
        );
      case 'permit.issued':
        return entry(
          'Permit issued to the agent',
          action.execution?.permitExpiresAt == null
            ? []
            : [`valid until ${formatTime(action.execution.permitExpiresAt)}`],
          'info',
        );
      case 'permit.expired':
        return entry('Permit expired without a report', ['the outcome is unknown'], 'bad');
      case 'execution.started':
        return entry(
          'Execution started',
          action.execution === null
            ? []
            : [`${action.execution.mode === 'gateway' ? 'run by Airlock' : 'run by the agent'}`],
          'info',
        );
      case 'execution.finished':
      case 'execution.reported': {
        const o = action.outcome;
        return entry(
          `Execution ${o?.outcome ?? 'finished'}${step.kind === 'execution.reported' ? ' (reported by the agent)' : ''}`,
          o?.message == null ? [] : [o.message],
          OUTCOME_TONE[o?.outcome ?? ''] ?? 'neutral',
        );
      }
      case 'verification.sample': {
        samples += 1;
        const of = typeof step.data?.of === 'number' ? step.data.of : totalSamples;
        const lines = checkLines(step.data);
        const failed = lines.some((l) => l.startsWith('✗'));
        return entry(`Verification sample ${samples} of ${of}`, lines, failed ? 'bad' : 'info');
      }
      case 'verification.passed':
        return entry(
          'Verification passed',
          [`${plural(action.verification?.samples ?? samples, 'sample')}, every check passed`],
          'good',
        );
      case 'verification.failed': {
        const lines = checkLines(step.data);
        return entry(
          'Verification failed',
          lines.length > 0
            ? lines
            : (action.verification?.failed ?? []).map((check) => `check failed: ${check}`),
          'bad',
        );
      }
      case 'rollback.started':
        return entry('Rollback started', [], 'warn');
      case 'rollback.finished':
        return entry(
          `Rolled back${action.rollback === null ? '' : `: ${action.rollback.outcome}`}`,
          action.rollback === null ? [] : [action.rollback.message],
          'warn',
        );
      case 'rollback.failed':
        return entry(
          'Rollback failed',
          [action.rollback?.message ?? '', action.execution?.attention ?? ''].filter((l) => l !== ''),
          'bad',
        );
      default:
        return entry(
          words(step.kind).replace('.', ': '),
          [],
          step.kind.endsWith('failed') ? 'bad' : 'neutral',
        );
    }
  });
}
