/** GET /v1/actions/:id — an action with its status, decision and decision path. */

import { actionView } from '../../gateway/action-view.ts';
import { param, type Route } from '../route.ts';
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
  register(app, airlock) {
    app.get('/v1/actions/:id', async (request) => {
      const principal = await airlock.authenticate(request.headers.authorization);
      const action = await airlock.actions.get(param(request, 'id'), principal);
      return actionView(action, await airlock.actions.path(action.id));
    });
  },
};
