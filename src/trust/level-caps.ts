/** The caps on autonomous execution at levels 2 and 3: each is checked and reported, passed or not. */

import type { CapCode, Reason } from '../domain/decision.ts';
import { HUMAN_ONLY_TIERS, type Tier } from '../domain/risk.ts';
import { isInWindow, parseChangeWindow } from '../policy/change-window.ts';
import type { AutonomyThresholds } from './trust-settings.ts';

export interface CapInput {
  readonly level: 2 | 3;
  readonly thresholds: AutonomyThresholds;
  readonly tier: Tier;
  readonly reversible: boolean;
  readonly verified: boolean;
  readonly environment: {
    readonly name: string;
    readonly production: boolean;
    readonly changeWindows: readonly string[];
  };
  readonly confidence: number | null;
  /** Whether `confidence` is the stated one or calibrated from evidence, and how it was got. */
  readonly confidenceBasis: { readonly basis: 'stated' | 'calibrated'; readonly note: string | null };
  readonly anomalyScore: number | null;
  readonly now: Date;
}

type CapReason = Extract<Reason, { kind: 'cap' }>;

function cap(code: CapCode, passed: boolean, message: string): CapReason {
  return { kind: 'cap', code, passed, message };
}

/** Every cap for the level, in a fixed order; autonomous execution needs all of them to pass. */
export function checkCaps(input: CapInput): CapReason[] {
  const { thresholds: t, level } = input;
  const at = `level ${level}`;
  const caps: CapReason[] = [];

  // Never configurable: DESIGN.md's hard line.
  const humanOnly = HUMAN_ONLY_TIERS.includes(input.tier);
  caps.push(
    cap(
      'human_only_tier',
      !humanOnly,
      humanOnly ? `${input.tier} tier always needs a human` : `${input.tier} tier`,
    ),
  );
  caps.push(
    cap(
      'irreversible',
      input.reversible,
      input.reversible ? 'reversible' : 'irreversible actions always need a human',
    ),
  );

  const tierOk = (t.tiers as readonly Tier[]).includes(input.tier);
  caps.push(
    cap('tier', tierOk, `${at} may execute ${t.tiers.join(', ')} tier${tierOk ? '' : `, not ${input.tier}`}`),
  );

  const env = input.environment;
  const envOk =
    t.environments === 'all' ||
    (t.environments === 'non-production' ? !env.production : t.environments.includes(env.name));
  const envRule =
    t.environments === 'all'
      ? 'any environment'
      : t.environments === 'non-production'
        ? 'outside production'
        : t.environments.join(', ');
  caps.push(
    cap(
      'environment',
      envOk,
      `${at} may act ${envRule}; ${env.name}${env.production ? ' is production' : ''}`,
    ),
  );

  if (t.requireVerification) {
    caps.push(
      cap(
        'verification',
        input.verified,
        input.verified
          ? 'the action type has verification checks'
          : `${at} needs an action type with verification checks`,
      ),
    );
  }

  const { basis, note } = input.confidenceBasis;
  caps.push({
    ...(input.confidence === null
      ? cap('confidence', false, `no confidence given; ${at} needs at least ${t.minConfidence}`)
      : cap(
          'confidence',
          input.confidence >= t.minConfidence,
          `${note === null ? '' : `${basis} `}confidence ${input.confidence} ${input.confidence >= t.minConfidence ? '≥' : '<'} ${t.minConfidence}${note === null ? '' : ` (${note})`}`,
        )),
    basis,
  });
  caps.push(
    input.anomalyScore === null
      ? cap('anomaly_score', false, `no anomaly score given; ${at} needs at most ${t.maxAnomalyScore}`)
      : cap(
          'anomaly_score',
          input.anomalyScore <= t.maxAnomalyScore,
          `anomaly score ${input.anomalyScore} ${input.anomalyScore <= t.maxAnomalyScore ? '≤' : '>'} ${t.maxAnomalyScore}`,
        ),
  );

  if (t.requireChangeWindow && env.changeWindows.length > 0)
    caps.push(windowCap(env.changeWindows, input.now));
  return caps;
}

function windowCap(windows: readonly string[], now: Date): CapReason {
  for (const text of windows) {
    const parsed = parseChangeWindow(text);
    if (!parsed.ok) return cap('change_window', false, parsed.message);
    if (isInWindow(parsed.window, now)) return cap('change_window', true, `inside change window ${text}`);
  }
  return cap('change_window', false, `outside every change window (${windows.join('; ')})`);
}
