/** POST /v1/actions — an agent proposes an action and gets the decision. */

import { proposalSchema } from '../../domain/proposal-schema.ts';
import { actionView } from '../../gateway/action-view.ts';
import { agentOf, type Route } from '../route.ts';
import { actionSchema, errorSchema } from '../schemas.ts';

export const proposeActionRoute: Route = {
  spec: {
    method: 'POST',
    url: '/v1/actions',
    operationId: 'proposeAction',
    summary: 'Propose an action; answers with the decision, durably recorded in the audit chain',
    tag: 'actions',
    auth: 'agent',
    body: proposalSchema,
    responses: {
      201: { description: 'Decided', schema: actionSchema },
      200: { description: 'The action proposed earlier with this idempotency key', schema: actionSchema },
      409: { description: 'Idempotency key reused with a different request', schema: errorSchema },
      422: { description: 'Unknown action type, or params/targets that do not fit it', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request, reply) => {
    const agent = agentOf(request);
    const { action, path, replayed, approval, permit } = await airlock.proposals.propose(agent, request.body);
    if (replayed) reply.header('idempotent-replayed', 'true');
    // A cleared action may have moved on already (claimed, a permit issued): show it as it is now.
    const view =
      permit !== null || action.status === 'approved'
        ? await airlock.actions.view((await airlock.store.getAction(action.id)) ?? action, {
            kind: 'agent',
            agent,
          })
        : actionView(action, path, approval);
    return reply
      .status(replayed ? 200 : 201)
      .header('location', `/v1/actions/${action.id}`)
      .send(view);
  },
};
