/** Every reason of a decision, one row each: what it is (rule, limit, cap…), its verdict and why. */

import type { Reason } from '../api/types.ts';
import { words } from '../lib/format.ts';
import { EffectBadge, PassBadge } from './badges.tsx';

export function reasonTitle(reason: Reason): { kind: string; name: string; where: string | null } {
  switch (reason.kind) {
    case 'rule':
      return { kind: 'rule', name: reason.rule, where: reason.file };
    case 'rule_error':
      return { kind: 'rule error', name: reason.rule, where: reason.file };
    case 'default':
      return { kind: 'default', name: 'no rule matched', where: null };
    case 'agent_suspended':
      return { kind: 'agent', name: 'suspended', where: null };
    case 'frozen':
      return { kind: 'freeze', name: 'frozen', where: null };
    case 'revision':
      return { kind: 'revision', name: `of ${reason.of} by ${reason.by}`, where: null };
    case 'limit':
      return { kind: 'limit', name: `${reason.limit} (${words(reason.limitKind)})`, where: reason.file };
    case 'cap':
      return { kind: 'trust cap', name: words(reason.code), where: null };
    default: {
      const never: never = reason;
      return { kind: 'reason', name: JSON.stringify(never), where: null };
    }
  }
}

export function ReasonVerdict({ reason }: { reason: Reason }) {
  switch (reason.kind) {
    case 'cap':
      return <PassBadge passed={reason.passed} />;
    case 'limit':
      return reason.passed ? <PassBadge passed /> : <EffectBadge effect={reason.effect} />;
    case 'rule':
    case 'rule_error':
    case 'default':
      return <EffectBadge effect={reason.effect} />;
    case 'agent_suspended':
      return <EffectBadge effect="deny" />;
    case 'frozen':
    case 'revision':
      return <EffectBadge effect="escalate" />;
    default:
      return null;
  }
}

export function ReasonRow({ reason }: { reason: Reason }) {
  const { kind, name, where } = reasonTitle(reason);
  return (
    <div className="reason" data-kind={reason.kind}>
      <div className="reason-head">
        <span className="reason-kind">{kind}</span>
        <strong className="reason-name">{name}</strong>
        <ReasonVerdict reason={reason} />
        {reason.kind === 'rule' && reason.route !== undefined && (
          <span className="muted">route {reason.route}</span>
        )}
      </div>
      <p className="reason-message">{reason.message}</p>
      {where !== null && <p className="reason-where">{where}</p>}
    </div>
  );
}

function passed(reason: Reason): boolean {
  return (reason.kind === 'cap' || reason.kind === 'limit') && reason.passed;
}

/** Every reason; with `foldPassed`, the caps and limits that passed are folded away under one line. */
export function ReasonList({
  reasons,
  foldPassed = false,
}: {
  reasons: readonly Reason[];
  foldPassed?: boolean;
}) {
  if (reasons.length === 0) return <p className="muted">No reasons recorded.</p>;
  const shown = foldPassed ? reasons.filter((r) => !passed(r)) : reasons;
  const folded = foldPassed ? reasons.filter(passed) : [];
  return (
    <>
      <ul className="reason-list">
        {shown.map((reason, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a decision's reasons never reorder
          <li key={i}>
            <ReasonRow reason={reason} />
          </li>
        ))}
      </ul>
      {folded.length > 0 && (
        <details className="folded">
          <summary>
            {folded.length} {folded.length === 1 ? 'check' : 'checks'} passed:{' '}
            {folded.map((r) => reasonTitle(r).name).join(', ')}
          </summary>
          <ul className="reason-list">
            {folded.map((reason, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a decision's reasons never reorder
              <li key={i}>
                <ReasonRow reason={reason} />
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}
