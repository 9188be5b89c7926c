/** POST /v1/actions/:id/outcome — the agent reports what happened when it executed under its permit. */

import { z } from 'zod';
import { agentOf, param, parseInput, type Route } from '../route.ts';
import { actionSchema, errorSchema } from '../schemas.ts';

const MAX_DETAIL_BYTES = 16 * 1024;

export const outcomeBodySchema = z.strictObject({
  permit: z.string().min(1).max(4096).describe('The single-use permit the action was cleared with'),
  outcome: z
    .enum(['succeeded', 'failed', 'unknown'])
    .describe('`unknown`: you cannot tell whether it took effect; the action goes to people'),
  message: z.string().max(2000).optional().describe('One line on what happened'),
  detail: z
    .record(z.string(), z.json())
    .optional()
    .refine((d) => d === undefined || JSON.stringify(d).length <= MAX_DETAIL_BYTES, {
      message: `at most ${MAX_DETAIL_BYTES / 1024} KiB of detail`,
    })
    .describe('Anything worth keeping (kept in the audit chain)'),
});

export const reportOutcomeRoute: Route = {
  spec: {
    method: 'POST',
    url: '/v1/actions/:id/outcome',
    operationId: 'reportOutcome',
    summary: 'Report the outcome of an action executed by the agent under its permit (good once)',
    tag: 'actions',
    auth: 'agent',
    body: outcomeBodySchema,
    responses: {
      200: {
        description: 'The action after the report (verifying, succeeded or failed)',
        schema: actionSchema,
      },
      403: { description: 'The permit is not valid for this action', schema: errorSchema },
      404: { description: 'No such action of this agent', schema: errorSchema },
      409: {
        description: 'Reported already, the permit expired, or the action takes no report',
        schema: errorSchema,
      },
      422: { description: 'Bad body', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request) => {
    const agent = agentOf(request);
    const body = parseInput(outcomeBodySchema, request.body, 'body');
    const id = param(request, 'id');
    await airlock.executions.reportOutcome(agent, id, body);
    const action = await airlock.actions.get(id, { kind: 'agent', agent });
    return airlock.actions.view(action, { kind: 'agent', agent });
  },
};
