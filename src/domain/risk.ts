/** Risk vocabulary of the action catalog: tiers and domains. */

export const TIERS = ['low', 'medium', 'high', 'critical'] as const;
export type Tier = (typeof TIERS)[number];

/** Tiers that are never executed without a human, whatever the level or configuration. */
export const HUMAN_ONLY_TIERS: readonly Tier[] = ['high', 'critical'];

export const RISK_DOMAINS = ['configuration', 'performance', 'security', 'compliance'] as const;
export type RiskDomain = (typeof RISK_DOMAINS)[number];
