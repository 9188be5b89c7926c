/** The proposal body agents send (`POST /v1/actions`), shared by every door: HTTP, CLI, MCP, SDK. */

import { z } from 'zod';
import type { ActionRequest } from './action.ts';
import type { ErrorDetail } from './errors.ts';
import { formatPath } from './field-path.ts';
import type { JsonObject } from './json.ts';

const jsonObject = z.record(z.string(), z.json());

export const targetSchema = z.looseObject({ id: z.string().min(1).max(256) }).catchall(z.json());

export const proposalSchema = z.strictObject({
  type: z.string().min(1).max(200).describe('Action type from the catalog, e.g. service.restart'),
  environment: z.string().min(1).max(100).describe('Environment name from the project config'),
  targets: z
    .array(targetSchema)
    .max(1000)
    .default([])
    .describe('What the action touches: [{"id": …, …attributes}]'),
  params: jsonObject.default({}).describe("Parameters, checked against the action type's schema"),
  confidence: z.number().min(0).max(1).optional().describe("The agent's stated confidence, 0..1"),
  anomalyScore: z.number().min(0).max(1).optional().describe('How unusual the situation is, 0..1'),
  reasoning: z.string().max(20_000).optional().describe('Why the agent proposes this; shown to approvers'),
  context: jsonObject.optional().describe('What the agent saw: alerts, metrics, links'),
  incident: z.string().min(1).max(200).optional().describe('Incident id, to group actions'),
  idempotencyKey: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('The same key from the same agent returns the same action, never a second one'),
});

export type ProposalBody = z.input<typeof proposalSchema>;

export interface ParsedProposal {
  readonly request: ActionRequest;
  readonly idempotencyKey: string | null;
}

export function parseProposal(
  body: unknown,
): { ok: true; value: ParsedProposal } | { ok: false; details: ErrorDetail[] } {
  const result = proposalSchema.safeParse(body);
  if (!result.success) return { ok: false, details: zodDetails(result.error) };
  const p = result.data;
  return { ok: true, value: { request: toActionRequest(p), idempotencyKey: p.idempotencyKey ?? null } };
}

/** A parsed proposal as the request the pipeline works on: absent optional fields become `null`. */
export function toActionRequest(p: Omit<z.output<typeof proposalSchema>, 'idempotencyKey'>): ActionRequest {
  return {
    type: p.type,
    environment: p.environment,
    targets: p.targets as ActionRequest['targets'],
    params: p.params as JsonObject,
    confidence: p.confidence ?? null,
    anomalyScore: p.anomalyScore ?? null,
    reasoning: p.reasoning ?? null,
    context: (p.context as JsonObject | undefined) ?? null,
    incident: p.incident ?? null,
  };
}

/** zod issues as field-path details; unknown fields are named one by one. */
export function zodDetails(error: z.ZodError, root: readonly PropertyKey[] = []): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of error.issues) {
    const path = [...root, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        details.push({ path: formatPath([...path, key]), message: 'unknown field' });
    } else {
      details.push({ path: formatPath(path) || '(body)', message: issue.message });
    }
  }
  return details;
}
