/** GET /v1/actions/:id/wait — long-poll until the action's status changes, or the timeout. */

import { z } from 'zod';
import { parseDuration } from '../../config/durations.ts';
import { ACTION_STATUSES } from '../../domain/action.ts';
import { param, parseInput, principalOf, type Route } from '../route.ts';
import { errorSchema, waitSchema } from '../schemas.ts';

const MAX_WAIT_MS = 120_000;

const waitQuery = z.strictObject({
  timeout: z
    .string()
    .default('30s')
    .transform((text, ctx) => {
      const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : parseDuration(text);
      if (ms === null || ms > MAX_WAIT_MS) {
        ctx.addIssue({
          code: 'custom',
          message: 'a duration up to 120s, e.g. 30s (plain numbers are seconds)',
        });
        return z.NEVER;
      }
      return ms;
    })
    .describe('How long to wait: 30s, 2m, or seconds; at most 120s'),
  status: z
    .enum(ACTION_STATUSES)
    .optional()
    .describe('Wait until the status differs from this (default: the status now)'),
});

export const waitActionRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/actions/:id/wait',
    operationId: 'waitForAction',
    summary: 'Long-poll until the status changes; `changed` says whether it did before the timeout',
    tag: 'actions',
    auth: 'agent or person',
    query: waitQuery,
    responses: {
      200: { description: 'The action, changed or not', schema: waitSchema },
      404: { description: 'No such action visible to the caller', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request, reply) => {
    const query = parseInput(waitQuery, request.query, 'query');
    const abort = new AbortController();
    reply.raw.once('close', () => abort.abort());
    const principal = principalOf(request);
    const { action, changed } = await airlock.actions.wait(param(request, 'id'), principal, {
      timeoutMs: query.timeout,
      from: query.status,
      signal: abort.signal,
    });
    return {
      changed,
      action: await airlock.actions.view(action, principal),
    };
  },
};
