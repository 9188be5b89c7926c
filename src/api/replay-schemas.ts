/** The latest replay report as the API answers it (OpenAPI is derived from this; see replay-report.ts). */

import { z } from 'zod';
import { DECISION_EFFECTS } from '../domain/decision.ts';

const effect = z.enum(DECISION_EFFECTS);

const counted = z.object({
  decisions: z.number().int(),
  actions: z.array(z.string()).describe('The newest few of them'),
});

const example = z.object({
  action: z.string(),
  agent: z.string(),
  type: z.string(),
  environment: z.string(),
  at: z.string(),
  before: effect,
  after: effect,
  level: z.object({ before: z.number().int(), after: z.number().int() }),
  newlyMatched: z.array(z.string()).describe('Rules (and `limit:` limits) the candidate newly matches'),
  noLongerMatched: z.array(z.string()),
  nowBlocking: z.array(z.string()).describe('Failed caps, freezes and the like the new decision cites'),
  noLongerBlocking: z.array(z.string()),
  recordedBundle: z.string(),
});

export const replayReportSchema = z.object({
  candidate: z.object({
    bundle: z.string(),
    policies: z.string().nullable().describe("Where the candidate policies came from; null: the project's"),
    trust: z
      .string()
      .nullable()
      .describe("Where the candidate trust settings came from; null: the project's"),
  }),
  filter: z.record(z.string(), z.string()).describe('The selection replayed, as given'),
  totals: z.object({
    replayed: z.number().int(),
    unchanged: z.number().int(),
    stricter: z.number().int(),
    looser: z.number().int(),
    sameEffectDifferentRules: z.number().int(),
    skipped: z.number().int(),
  }),
  recordedBundles: z.array(z.object({ bundle: z.string(), decisions: z.number().int() })),
  selfCheck: z
    .object({ decisions: z.number().int(), differing: counted })
    .nullable()
    .describe(
      'Decisions recorded under the candidate bundle must come out as recorded; null with candidate trust',
    ),
  transitions: z.array(
    z.object({
      from: effect,
      to: effect,
      change: z.enum(['unchanged', 'stricter', 'looser']),
      decisions: z.number().int(),
    }),
  ),
  rules: z.array(z.object({ name: z.string(), newlyMatched: counted, noLongerMatched: counted })),
  unrecordedCounters: z.object({
    decisions: z.number().int(),
    stricterBecauseOfThem: z.number().int(),
    limits: z.array(z.object({ limit: z.string(), decisions: z.number().int() })),
    actions: z.array(z.string()),
  }),
  examples: z.object({
    stricter: z.array(example),
    looser: z.array(example),
    sameEffectDifferentRules: z.array(example),
  }),
  skipped: z.array(
    z.object({ reason: z.string(), decisions: z.number().int(), actions: z.array(z.string()) }),
  ),
});

export const latestReplaySchema = z.object({
  at: z.string().describe('When the replay finished'),
  description: z
    .string()
    .describe(
      'The candidate in words, e.g. "policies from policies-next with the project\'s trust settings"',
    ),
  report: replayReportSchema.describe('The report as `airlock replay --json` prints it'),
});
