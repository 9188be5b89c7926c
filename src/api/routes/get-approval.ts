/** GET /v1/approvals/:id — one approval (by its id or its action's) with full context. */

import { AirlockError } from '../../domain/errors.ts';
import { approvalView } from '../../gateway/approval-view.ts';
import { param, personOf, type Route } from '../route.ts';
import { approvalSchema, errorSchema } from '../schemas.ts';

export const getApprovalRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/approvals/:id',
    operationId: 'getApproval',
    summary: 'One approval, by its id or its action id, with what you may do with it',
    tag: 'approvals',
    auth: 'person',
    responses: {
      200: { description: 'The approval', schema: approvalSchema },
      404: { description: 'No such approval', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request) => {
    const approval = await airlock.approvals.get(param(request, 'id'));
    const action = await airlock.store.getAction(approval.actionId);
    if (action === null) throw new AirlockError('internal', `action ${approval.actionId} is missing`);
    return approvalView(approval, action, personOf(request));
  },
};
