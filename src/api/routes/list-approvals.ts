/** GET /v1/approvals — what waits for the caller (or, with `all`, every approval), with full context. */

import { z } from 'zod';
import { APPROVAL_STATUSES } from '../../approvals/approval.ts';
import { attentionView } from '../../gateway/action-view.ts';
import { approvalView } from '../../gateway/approval-view.ts';
import { parseInput, personOf, type Route } from '../route.ts';
import { approvalListSchema, errorSchema } from '../schemas.ts';

const listQuery = z.strictObject({
  all: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .describe('Every approval in `status`, not only those you may vote on'),
  status: z.enum(APPROVAL_STATUSES).default('pending'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const listApprovalsRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/approvals',
    operationId: 'listApprovals',
    summary:
      'Pending approvals you may vote on (oldest first) with everything needed to judge them, and actions that need a human',
    tag: 'approvals',
    auth: 'person',
    query: listQuery,
    responses: {
      200: { description: 'Approvals with their context', schema: approvalListSchema },
      422: { description: 'Bad query', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request) => {
    const person = personOf(request);
    const q = parseInput(listQuery, request.query, 'query');
    const approvals =
      q.all || q.status !== 'pending'
        ? await airlock.approvals.list({ status: q.status, limit: q.limit })
        : await airlock.approvals.pendingFor(person, q.limit);
    const actions = await Promise.all(approvals.map((a) => airlock.store.getAction(a.actionId)));
    return {
      approvals: approvals.flatMap((approval, i) => {
        const action = actions[i];
        return action == null ? [] : [approvalView(approval, action, person)];
      }),
      attention: (await airlock.actions.needingAttention(q.limit)).map(attentionView),
    };
  },
};
