/** The kill switch over HTTP: GET /v1/freeze (who and why), POST (halt), DELETE (resume); admins change it. */

import { z } from 'zod';
import { parseInput, personOf, type Route } from '../route.ts';
import { errorSchema } from '../schemas.ts';

const freezeBodySchema = z.strictObject({
  agent: z.string().min(1).optional().describe('Halt one agent; without it, every agent'),
  reason: z.string().trim().min(3, 'say why: the reason is recorded and shown in every decision it changes'),
});

const unfreezeBodySchema = z.strictObject({
  agent: z.string().min(1).optional(),
  reason: z.string().trim().min(1).optional(),
});

const freezeSchema = z.object({
  scope: z.string().describe("'*' for every agent, else an agent id"),
  reason: z.string(),
  frozenBy: z.string(),
  frozenAt: z.string(),
});

const freezeListSchema = z.object({
  freezes: z.array(freezeSchema),
  calendar: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      environments: z.array(z.string()).optional(),
      reason: z.string(),
    }),
  ),
});

export const listFreezesRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/freeze',
    operationId: 'listFreezes',
    summary: 'Freezes in force: set by people (global or per agent) and calendar freezes from config',
    tag: 'freeze',
    auth: 'person',
    responses: { 200: { description: 'Freezes', schema: freezeListSchema } },
  },
  handle: (airlock) => async () => airlock.freezes.list(),
};

export const freezeRoute: Route = {
  spec: {
    method: 'POST',
    url: '/v1/freeze',
    operationId: 'freeze',
    summary: 'Halt autonomous execution at once, globally or for one agent (admins; audited)',
    tag: 'freeze',
    auth: 'admin',
    body: freezeBodySchema,
    responses: {
      200: { description: 'The freeze', schema: freezeSchema },
      403: { description: 'Not an admin', schema: errorSchema },
      404: { description: 'No such agent', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request) => {
    const person = personOf(request);
    const body = parseInput(freezeBodySchema, request.body, 'body');
    return airlock.freezes.freeze(
      { kind: 'person', id: person.id },
      { agentId: body.agent, reason: body.reason },
    );
  },
};

export const unfreezeRoute: Route = {
  spec: {
    method: 'DELETE',
    url: '/v1/freeze',
    operationId: 'unfreeze',
    summary: 'Resume autonomous execution, globally or for one agent (admins; audited)',
    tag: 'freeze',
    auth: 'admin',
    body: unfreezeBodySchema,
    responses: {
      204: { description: 'Lifted' },
      403: { description: 'Not an admin', schema: errorSchema },
      404: { description: 'That scope was not frozen', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request, reply) => {
    const person = personOf(request);
    const body = parseInput(unfreezeBodySchema, request.body ?? {}, 'body');
    await airlock.freezes.unfreeze(
      { kind: 'person', id: person.id },
      { agentId: body.agent, reason: body.reason },
    );
    return reply.status(204).send();
  },
};
