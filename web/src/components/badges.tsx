/** Small labels for statuses, effects, tiers and levels; colour is never the only signal. */

import { levelName, words } from '../lib/format.ts';

const STATUS_TONE: Readonly<Record<string, string>> = {
  advised: 'neutral',
  pending_approval: 'warn',
  denied: 'bad',
  expired: 'neutral',
  approved: 'info',
  executing: 'info',
  verifying: 'info',
  succeeded: 'good',
  failed: 'bad',
  rolled_back: 'warn',
  unknown: 'bad',
  pending: 'warn',
  revised: 'neutral',
};

const EFFECT_TONE: Readonly<Record<string, string>> = {
  allow: 'good',
  execute: 'good',
  advise: 'neutral',
  escalate: 'warn',
  deny: 'bad',
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge tone-${STATUS_TONE[status] ?? 'neutral'}`} data-testid="status-badge">
      {words(status)}
    </span>
  );
}

export function EffectBadge({ effect }: { effect: string }) {
  return <span className={`badge tone-${EFFECT_TONE[effect] ?? 'neutral'}`}>{effect}</span>;
}

export function PassBadge({ passed }: { passed: boolean }) {
  return <span className={`badge tone-${passed ? 'good' : 'bad'}`}>{passed ? 'pass' : 'fail'}</span>;
}

const TIER_TONE: Readonly<Record<string, string>> = {
  low: 'good',
  medium: 'info',
  high: 'warn',
  critical: 'bad',
};

export function TierBadge({ tier }: { tier: string | null }) {
  if (tier === null) return <span className="muted">unknown tier</span>;
  return <span className={`badge tone-${TIER_TONE[tier] ?? 'neutral'}`}>{tier}</span>;
}

export function LevelBadge({ level, testId }: { level: number; testId?: string }) {
  return (
    <span className={`level level-${level}`} data-testid={testId} data-level={level}>
      <span className="level-number num">{level}</span> {levelName(level)}
    </span>
  );
}
