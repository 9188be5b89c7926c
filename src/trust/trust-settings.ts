/** Trust settings: what levels 2 and 3 may do alone (DESIGN.md defaults), and per-agent ceilings. */

import { z } from 'zod';
import { durationSchema } from '../config/durations.ts';
import { LEVELS, type TrustLevel } from '../domain/levels.ts';
import { calibrationSchema, demotionSchema, promotionSchema } from './trust-rules.ts';

const levelSchema = z.union(LEVELS.map((level) => z.literal(level))) as unknown as z.ZodType<TrustLevel>;

const autonomousTier = z.enum(['low', 'medium'], {
  error: 'only low and medium tiers can be autonomous; high and critical always need a human',
});

export const thresholdsSchema = z.strictObject({
  /** Risk tiers this level may execute alone. */
  tiers: z.array(autonomousTier).min(1),
  /** `non-production`, `all`, or a list of environment names. */
  environments: z.union([z.enum(['all', 'non-production']), z.array(z.string().min(1)).min(1)]),
  minConfidence: z.number().min(0).max(1),
  maxAnomalyScore: z.number().min(0).max(1),
  /** The action type must declare verification checks. */
  requireVerification: z.boolean(),
  /** The environment's change windows (where it has any) must be open. */
  requireChangeWindow: z.boolean(),
});

export type AutonomyThresholds = z.output<typeof thresholdsSchema>;

export const DEFAULT_THRESHOLDS = {
  conditional: {
    tiers: ['low'],
    environments: 'non-production',
    minConfidence: 0.8,
    maxAnomalyScore: 0.5,
    requireVerification: false,
    requireChangeWindow: false,
  },
  scoped: {
    tiers: ['low', 'medium'],
    environments: 'all',
    minConfidence: 0.7,
    maxAnomalyScore: 0.5,
    requireVerification: true,
    requireChangeWindow: true,
  },
} as const satisfies Record<string, AutonomyThresholds>;

export const trustSettingsSchema = z.strictObject({
  /** The highest level any agent may hold unless `ceilings` says otherwise. */
  defaultCeiling: levelSchema.default(3),
  /** Per-agent ceilings: agent id → highest level. */
  ceilings: z.record(z.string(), levelSchema).default({}),
  levels: z
    .strictObject({
      conditional: thresholdsSchema.default(DEFAULT_THRESHOLDS.conditional),
      scoped: thresholdsSchema.default(DEFAULT_THRESHOLDS.scoped),
    })
    .default(DEFAULT_THRESHOLDS),
  /** How far back evidence counts for metrics, calibration and promotion. */
  window: durationSchema.default(90 * 86_400_000),
  promotion: promotionSchema,
  demotion: demotionSchema.default(demotionSchema.parse({})),
  calibration: calibrationSchema,
});

export type TrustSettings = z.output<typeof trustSettingsSchema>;
export type LevelThresholds = TrustSettings['levels'];

/** The highest level an agent may hold: its own ceiling, else the default (never an inherited property). */
export function ceilingFor(settings: TrustSettings, agentId: string): TrustLevel {
  return Object.hasOwn(settings.ceilings, agentId)
    ? (settings.ceilings[agentId] ?? settings.defaultCeiling)
    : settings.defaultCeiling;
}
