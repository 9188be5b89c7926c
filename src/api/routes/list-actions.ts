/** GET /v1/actions — people list and filter actions, newest first, page by page. */

import { z } from 'zod';
import { ACTION_STATUSES } from '../../domain/action.ts';
import { AirlockError } from '../../domain/errors.ts';
import { parseInput, type Route } from '../route.ts';
import { actionListSchema, errorSchema } from '../schemas.ts';

const isoTime = z.iso.datetime({ offset: true });

const listQuery = z.strictObject({
  agent: z.string().optional(),
  type: z.string().optional(),
  environment: z.string().optional(),
  status: z.enum(ACTION_STATUSES).optional(),
  incident: z.string().optional(),
  since: isoTime.optional().describe('Created at or after (ISO 8601)'),
  until: isoTime.optional().describe('Created before (ISO 8601)'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().optional().describe('nextCursor of the previous page'),
});

export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string') return { createdAt, id };
  } catch {}
  throw new AirlockError('validation_failed', 'bad cursor', [
    { path: 'query.cursor', message: 'not a cursor from this API' },
  ]);
}

export const listActionsRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/actions',
    operationId: 'listActions',
    summary: 'List actions, newest first, filtered by agent, type, environment, status, incident and time',
    tag: 'actions',
    auth: 'person',
    query: listQuery,
    responses: {
      200: { description: 'A page of actions', schema: actionListSchema },
      403: { description: 'Agents cannot list actions', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request) => {
    const q = parseInput(listQuery, request.query, 'query');
    const toIso = (t: string | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
    const actions = await airlock.actions.list({
      agentId: q.agent,
      type: q.type,
      environment: q.environment,
      status: q.status,
      incident: q.incident,
      since: toIso(q.since),
      until: toIso(q.until),
      before: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
      limit: q.limit + 1,
    });
    const page = actions.slice(0, q.limit);
    const last = page.at(-1);
    return {
      actions: await airlock.actions.views(page),
      nextCursor:
        actions.length > q.limit && last !== undefined ? encodeCursor(last.createdAt, last.id) : null,
    };
  },
};
