/**
 * The shape of a policy test suite (`*.test.yaml` beside the policies): cases, each a request with
 * the facts around it (level, agent, time, counters, calibration, freeze) and what must come out.
 */

import { z } from 'zod';
import { CAP_CODES, DECISION_EFFECTS, EFFECTS } from '../domain/decision.ts';
import { LEVELS, type TrustLevel } from '../domain/levels.ts';
import { proposalSchema, toActionRequest } from '../domain/proposal-schema.ts';

/**
 * When a case does not say: a Tuesday, 11:00 in Berlin, inside usual office-hour change windows.
 * Fixed, so that a suite gives the same result on any day it runs.
 */
export const DEFAULT_NOW = '2026-11-24T10:00:00Z';
export const DEFAULT_AGENT = { id: 'test-agent', owner: 'test-team' } as const;

/** The file's outline; each case is decoded on its own, so one bad case does not hide another's problems. */
export const suiteFileSchema = z.strictObject(
  {
    tests: z
      .array(z.unknown(), { error: 'list the cases under tests' })
      .min(1, 'a suite lists at least one case under tests'),
  },
  { error: 'a suite is a map with its cases listed under tests' },
);

const levelSchema = z.union(
  LEVELS.map((level) => z.literal(level)),
  {
    error: 'a trust level: 0, 1, 2 or 3',
  },
) as unknown as z.ZodType<TrustLevel>;

const names = z.array(z.string().min(1));

export const expectSchema = z
  .strictObject({
    /** What Airlock does: advise, execute, escalate or deny. */
    decision: z.enum(DECISION_EFFECTS).optional(),
    /** The policy's effect before the trust level: its rules (or the default) and its limits. */
    policy: z.enum(EFFECTS).optional(),
    /** Exactly the rules that match, in any order. */
    rules: names.optional(),
    /** Exactly the limits exceeded, in any order. */
    limits: names.optional(),
    /** Exactly the level caps and thresholds that did not pass (e.g. confidence, environment), in any order. */
    caps: z.array(z.enum(CAP_CODES)).optional(),
    /** The approval route a rule names; null: none does (the owner's default route). */
    route: z.string().min(1).nullable().optional(),
  })
  .refine((e) => e.decision !== undefined || e.policy !== undefined, {
    message:
      'say what must come out: decision (advise, execute, escalate, deny) or policy (allow, escalate, deny)',
  });

export const caseSchema = z.strictObject({
  name: z.string().trim().min(1, 'name the case: the name is what a failure reports'),
  /** A proposal as an agent sends it (`POST /v1/actions`), without an idempotency key. */
  request: proposalSchema.omit({ idempotencyKey: true }).transform(toActionRequest),
  /** The agent's level for this scope, before its ceiling from airlock.yaml. */
  level: levelSchema.default(0),
  agent: z
    .strictObject({
      id: z.string().min(1).default(DEFAULT_AGENT.id),
      owner: z.string().min(1).default(DEFAULT_AGENT.owner),
    })
    .default(DEFAULT_AGENT),
  /** The decision time, ISO 8601 with an offset. */
  now: z.iso
    .datetime({ offset: true, error: 'an ISO 8601 time with an offset, e.g. 2026-11-24T10:00:00Z' })
    .default(DEFAULT_NOW),
  /** Per counted limit (rate, inFlight): what was counted for each of its keys. Unlisted: 0. */
  counters: z.record(z.string(), z.number().int('a whole number').min(0, 'at least 0')).default({}),
  /** The scope's calibrated confidence, as if its evidence mapped the stated one to this. */
  calibratedConfidence: z.number().min(0).max(1).optional(),
  /** Autonomous execution frozen for this agent (calendar freezes of airlock.yaml apply anyway). */
  frozen: z.boolean().default(false),
  suspended: z.boolean().default(false),
  expect: expectSchema,
});

export type CaseSpec = z.output<typeof caseSchema>;
export type ExpectSpec = z.output<typeof expectSchema>;
