/**
 * POST /v1/approvals/:id/decisions — a person's verdict: approve (the exact request, by its hash),
 * deny (with a reason), or revise (changed params, decided afresh as a new action).
 */

import type { Target } from '../../domain/action.ts';
import { approvalSummary } from '../../gateway/approval-view.ts';
import { param, parseInput, personOf, principalOf, type Route } from '../route.ts';
import { decisionBodySchema, decisionResultSchema, errorSchema } from '../schemas.ts';

export const decideApprovalRoute: Route = {
  spec: {
    method: 'POST',
    url: '/v1/approvals/:id/decisions',
    operationId: 'decideApproval',
    summary: 'Approve, deny (reason required) or revise an approval (people only; audited)',
    tag: 'approvals',
    auth: 'person',
    body: decisionBodySchema,
    responses: {
      200: {
        description: 'The vote was recorded; the approval as it stands now',
        schema: decisionResultSchema,
      },
      403: {
        description: 'Not allowed to vote here (group, owner, viewer, agent token)',
        schema: errorSchema,
      },
      404: { description: 'No such approval', schema: errorSchema },
      409: {
        description: 'Already resolved, already voted, or the request hash is not the approval’s',
        schema: errorSchema,
      },
      422: {
        description: 'Bad body (deny without reason, revision that does not fit the catalog)',
        schema: errorSchema,
      },
    },
  },
  handle: (airlock) => async (request) => {
    const person = personOf(request);
    const body = parseInput(decisionBodySchema, request.body, 'body');
    const id = param(request, 'id');
    if (body.verdict === 'revise') {
      const { approval, revision } = await airlock.approvals.revise(id, person, {
        params: body.params,
        targets: body.targets as Target[] | undefined,
        comment: body.comment,
      });
      return {
        approval: approvalSummary(approval),
        revision: await airlock.actions.view(revision, principalOf(request)),
      };
    }
    const approval = await airlock.approvals.vote(id, person, {
      verdict: body.verdict,
      comment: body.comment ?? null,
      requestHash: body.requestHash,
    });
    return { approval: approvalSummary(approval) };
  },
};
