/** GET /v1/agents/:id/trust — the agent's levels per scope and its ceiling. */

import { param, type Route } from '../route.ts';
import { errorSchema, trustSchema } from '../schemas.ts';

export const getAgentTrustRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/agents/:id/trust',
    operationId: 'getAgentTrust',
    summary: "An agent's trust level per scope, who set it and why, and its ceiling",
    tag: 'agents',
    auth: 'person',
    responses: {
      200: { description: 'Levels per scope', schema: trustSchema },
      404: { description: 'No such agent', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request) => {
    const view = await airlock.trust.show(param(request, 'id'));
    return {
      agent: view.agent,
      ceiling: view.ceiling,
      scopes: view.scopes.map((s) => ({
        scope: s.scope,
        typePattern: s.typePattern,
        environment: s.environment,
        level: s.level,
        effective: s.effective,
        grantedBy: s.grantedBy,
        reason: s.reason,
        grantedAt: s.grantedAt,
      })),
    };
  },
};
