/** GET /v1/audit/verify — walk the hash chain and report the first broken event, if any. */

import { z } from 'zod';
import { parseInput, type Route } from '../route.ts';
import { verifySchema } from '../schemas.ts';

const verifyQuery = z.strictObject({
  anchor: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'a 64-character hex head hash')
    .optional()
    .describe('A head hash recorded earlier outside the database; the chain must still contain it'),
});

export const verifyAuditRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/audit/verify',
    operationId: 'verifyAudit',
    summary: 'Verify the audit chain: ok, event count, head hash and the first bad sequence number',
    tag: 'audit',
    auth: 'person',
    query: verifyQuery,
    responses: { 200: { description: 'The verification report', schema: verifySchema } },
  },
  handle: (airlock) => async (request) => {
    const { anchor } = parseInput(verifyQuery, request.query, 'query');
    return airlock.audit.verify(anchor);
  },
};
