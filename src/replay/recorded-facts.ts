/**
 * Reading stored decision facts back for replay: every field decide() reads must be there with the
 * right kind of value; facts stored before a field existed are named, not decided on a guess. Pure.
 */

import type { DecisionFacts } from '../decide/facts.ts';
import type { Decision } from '../domain/decision.ts';
import { DECISION_EFFECTS } from '../domain/decision.ts';

type Check = (value: unknown) => boolean;

const isString: Check = (v) => typeof v === 'string';
const isBoolean: Check = (v) => typeof v === 'boolean';
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isArray: Check = Array.isArray;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const numberOrNull: Check = (v) => v === null || isNumber(v);

/** Every field decide() reads, by part of the facts, with what it must hold. Optional facts (limits, calibration, …) are not listed. */
const REQUIRED: readonly (readonly [string, readonly (readonly [string, Check])[]])[] = [
  [
    'request',
    [
      ['type', isString],
      ['environment', isString],
      ['targets', isArray],
      ['params', isObject],
      ['confidence', numberOrNull],
      ['anomalyScore', numberOrNull],
    ],
  ],
  [
    'action',
    [
      ['tier', isString],
      ['domains', isArray],
      ['reversible', isBoolean],
      ['verified', isBoolean],
    ],
  ],
  [
    'agent',
    [
      ['id', isString],
      ['owner', isString],
      ['suspended', isBoolean],
    ],
  ],
  [
    'environment',
    [
      ['name', isString],
      ['production', isBoolean],
      ['changeWindows', isArray],
    ],
  ],
  [
    'trust',
    [
      ['granted', isNumber],
      ['ceiling', isNumber],
    ],
  ],
  [
    'thresholds',
    [
      ['conditional', isObject],
      ['scoped', isObject],
    ],
  ],
];

/**
 * The stored facts as DecisionFacts, or why they cannot be replayed.
 *
 * @example
 * const read = readFacts(action.facts);
 * if (typeof read === 'string') skip(read); // 'the facts lack action.verified (stored before it existed?)'
 */
export function readFacts(stored: unknown): DecisionFacts | string {
  if (!isObject(stored)) return 'no facts were stored with the decision';
  for (const [part, fields] of REQUIRED) {
    const value = stored[part];
    if (value === undefined) return `the facts lack ${part} (stored before it existed?)`;
    if (!isObject(value)) return `the facts hold an unreadable ${part}`;
    for (const [field, check] of fields) {
      const inner = value[field];
      if (inner === undefined) return `the facts lack ${part}.${field} (stored before it existed?)`;
      if (!check(inner)) return `the facts hold an unreadable ${part}.${field}`;
    }
  }
  const { frozen, now, limits, calibration } = stored;
  if (frozen === undefined) return 'the facts lack frozen (stored before it existed?)';
  if (!isBoolean(frozen)) return 'the facts hold an unreadable frozen';
  if (now === undefined) return 'the facts lack now (stored before it existed?)';
  if (typeof now !== 'string' || Number.isNaN(Date.parse(now))) return 'the facts hold an unreadable now';
  if (limits !== undefined && !isArray(limits)) return 'the facts hold unreadable limits';
  if (calibration !== undefined && !isObject(calibration)) return 'the facts hold an unreadable calibration';
  return stored as unknown as DecisionFacts;
}

/** Whether a stored decision can be compared with a new one; else why not. */
export function readDecision(stored: unknown): Decision | string {
  if (!isObject(stored)) return 'no decision was stored';
  const { effect, reasons, policyVersion } = stored;
  if (!(DECISION_EFFECTS as readonly unknown[]).includes(effect))
    return 'the stored decision has no known effect';
  if (!isArray(reasons)) return 'the stored decision lacks its reasons';
  if (!isString(policyVersion)) return 'the stored decision lacks its policy version';
  return stored as unknown as Decision;
}
