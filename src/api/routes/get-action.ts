/** GET /v1/actions/:id — an action with its status, decision and decision path. */

import { param, principalOf, type Route } from '../route.ts';
import { actionSchema, errorSchema } from '../schemas.ts';

export const getActionRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/actions/:id',
    operationId: 'getAction',
    summary: 'An action, its decision and its decision path (agents see only their own)',
    tag: 'actions',
    auth: 'agent or person',
    responses: {
      200: { description: 'The action', schema: actionSchema },
      404: { description: 'No such action visible to the caller', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request) => {
    const principal = principalOf(request);
    return airlock.actions.view(await airlock.actions.get(param(request, 'id'), principal), principal);
  },
};
