/** People's evidence over HTTP: a verdict on level-0 advice, and an incident an action caused. */

import { param, parseInput, personOf, type Route } from '../route.ts';
import { errorSchema } from '../schemas.ts';
import { evidenceAddedSchema, incidentBodySchema, reviewBodySchema } from '../trust-schemas.ts';

export const reviewAdviceRoute: Route = {
  spec: {
    method: 'POST',
    url: '/v1/actions/:id/review',
    operationId: 'reviewAdvice',
    summary: 'Agree or disagree with advice an agent gave at level 0 (evidence for its promotion)',
    tag: 'actions',
    auth: 'person',
    body: reviewBodySchema,
    responses: {
      200: { description: 'The evidence recorded', schema: evidenceAddedSchema },
      403: { description: 'A viewer', schema: errorSchema },
      404: { description: 'No such action', schema: errorSchema },
      409: { description: 'Not advice, or reviewed already', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request) => {
    const body = parseInput(reviewBodySchema, request.body, 'body');
    return airlock.evidence.review(
      param(request, 'id'),
      body.verdict,
      body.comment ?? null,
      personOf(request),
    );
  },
};

export const reportIncidentRoute: Route = {
  spec: {
    method: 'POST',
    url: '/v1/actions/:id/incidents',
    operationId: 'reportIncident',
    summary: 'Report an incident an action caused: evidence against its scope, and a demotion event',
    tag: 'actions',
    auth: 'person',
    body: incidentBodySchema,
    responses: {
      200: { description: 'The evidence recorded and any demotion it caused', schema: evidenceAddedSchema },
      403: { description: 'A viewer', schema: errorSchema },
      404: { description: 'No such action', schema: errorSchema },
      409: { description: 'The action never ran, or an incident was reported already', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request) => {
    const { reason } = parseInput(incidentBodySchema, request.body, 'body');
    return airlock.evidence.reportIncident(param(request, 'id'), reason, personOf(request));
  },
};
