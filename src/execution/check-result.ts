/** What a verification check reports, and the comparisons checks make. */

import type { VerificationCheckSpec } from '../catalog/catalog-schema.ts';
import type { JsonPrimitive, JsonValue } from '../domain/json.ts';

export interface CheckResult {
  readonly name: string;
  readonly kind: 'http' | 'prometheus' | 'command';
  readonly passed: boolean;
  /** What was seen: a status and field, the series and their values, an exit code. */
  readonly observed: JsonValue;
  /** One line: why it passed or failed. */
  readonly message: string;
  /** The target it was run for, when run per target. */
  readonly target?: string;
}

export type Comparison = Extract<VerificationCheckSpec, { kind: 'prometheus' }>['op'];

/** `observed op expected`; ordering needs two numbers, equality compares any JSON primitives. */
export function compare(observed: JsonValue, op: Comparison, expected: JsonPrimitive): boolean {
  if (op === '==') return observed === expected;
  if (op === '!=') return observed !== expected;
  if (typeof observed !== 'number' || typeof expected !== 'number') return false;
  switch (op) {
    case '<':
      return observed < expected;
    case '<=':
      return observed <= expected;
    case '>':
      return observed > expected;
    case '>=':
      return observed >= expected;
    default:
      return unreachable(op);
  }
}

function unreachable(op: never): never {
  throw new Error(`unknown comparison ${String(op)}`);
}
