/** GET /v1/audit/head — the last event of the audit chain, to anchor outside the database. */

import { auditHeadSchema } from '../console-schemas.ts';
import type { Route } from '../route.ts';

export const auditHeadRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/audit/head',
    operationId: 'getAuditHead',
    summary: 'The sequence number, hash and time of the last audit event (seq 0 for an empty chain)',
    tag: 'audit',
    auth: 'person',
    responses: { 200: { description: 'The head of the chain', schema: auditHeadSchema } },
  },
  handle: (airlock) => async () => {
    return (await airlock.audit.headEvent()) ?? { seq: 0, hash: null, at: null };
  },
};
