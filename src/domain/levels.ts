/** The trust maturity model: four levels, held per scope. */

export const LEVELS = [0, 1, 2, 3] as const;
export type TrustLevel = (typeof LEVELS)[number];

export const LEVEL_NAMES: Readonly<Record<TrustLevel, string>> = {
  0: 'advisory',
  1: 'assisted',
  2: 'conditional',
  3: 'scoped',
};

export function isTrustLevel(value: unknown): value is TrustLevel {
  return value === 0 || value === 1 || value === 2 || value === 3;
}

export function levelLabel(level: TrustLevel): string {
  return `${level} (${LEVEL_NAMES[level]})`;
}
