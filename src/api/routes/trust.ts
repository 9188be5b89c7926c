/**
 * Trust over HTTP: an agent's levels with evidence, calibration and what blocks its next
 * promotion; the scopes that qualify; promotion (criteria checked, admins only) and revocation.
 */

import { z } from 'zod';
import { param, parseInput, personOf, type Route } from '../route.ts';
import { errorSchema } from '../schemas.ts';
import {
  recommendationsSchema,
  revokeBodySchema,
  setTrustBodySchema,
  setTrustResultSchema,
  trustSchema,
} from '../trust-schemas.ts';

export const getAgentTrustRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/agents/:id/trust',
    operationId: 'getAgentTrust',
    summary: "An agent's level per scope, its evidence and calibration, and what blocks the next promotion",
    tag: 'agents',
    auth: 'person',
    responses: {
      200: { description: 'Levels and evidence per scope', schema: trustSchema },
      404: { description: 'No such agent', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request) => {
    const report = await airlock.trust.show(param(request, 'id'));
    return {
      agent: report.agent,
      ceiling: report.ceiling,
      scopes: report.scopes.map(({ grant, ...s }) => ({
        ...s,
        grantedBy: grant?.grantedBy ?? null,
        reason: grant?.reason ?? null,
        grantedAt: grant?.grantedAt ?? null,
      })),
    };
  },
};

export const setAgentTrustRoute: Route = {
  spec: {
    method: 'PUT',
    url: '/v1/agents/:id/trust',
    operationId: 'setAgentTrust',
    summary:
      'Set the level of one scope (admins; a raise must meet the promotion criteria or be an override; audited)',
    tag: 'agents',
    auth: 'admin',
    body: setTrustBodySchema,
    responses: {
      200: {
        description: 'The level before and after, and the criteria checked',
        schema: setTrustResultSchema,
      },
      403: { description: 'Not an admin, or above the agent ceiling', schema: errorSchema },
      409: { description: 'criteria_not_met: the evidence does not meet the criteria', schema: errorSchema },
      422: { description: 'Bad scope, level or reason', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request) => {
    const person = personOf(request);
    const body = parseInput(setTrustBodySchema, request.body, 'body');
    return airlock.trust.setLevel({ agentId: param(request, 'id'), ...body }, person);
  },
};

export const revokeTrustRoute: Route = {
  spec: {
    method: 'POST',
    url: '/v1/agents/:id/trust/revoke',
    operationId: 'revokeAgentTrust',
    summary: 'Revoke trust at once: every scope to level 0 and the agent frozen (admins; audited)',
    tag: 'agents',
    auth: 'admin',
    body: revokeBodySchema,
    responses: {
      200: {
        description: 'The scopes lowered',
        schema: z.object({
          agent: z.string(),
          changes: z.array(z.object({ scope: z.string(), from: z.number(), to: z.number() })),
        }),
      },
      403: { description: 'Not an admin', schema: errorSchema },
      404: { description: 'No such agent', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request) => {
    const person = personOf(request);
    const { reason } = parseInput(revokeBodySchema, request.body, 'body');
    const agent = param(request, 'id');
    return { agent, changes: await airlock.trust.revokeAll(agent, reason, person) };
  },
};

export const recommendationsRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/trust/recommendations',
    operationId: 'trustRecommendations',
    summary: 'Scopes whose evidence meets the criteria for their next level (promotion still needs an admin)',
    tag: 'agents',
    auth: 'person',
    responses: {
      200: { description: 'Qualifying scopes with their evidence', schema: recommendationsSchema },
    },
  },
  handle: (airlock) => async () => ({ recommendations: await airlock.trust.recommend() }),
};
