/**
 * Shadow policies over HTTP: GET /v1/policy/shadow (where the shadow bundle disagrees with the
 * live one) and POST /v1/policy/shadow/promote (its files become the live ones; admins; audited).
 */

import { parseInput, personOf, type Route } from '../route.ts';
import { errorSchema } from '../schemas.ts';
import {
  promoteBodySchema,
  promotionSchema,
  shadowQuerySchema,
  shadowReportSchema,
} from '../shadow-schemas.ts';

export const shadowReportRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/policy/shadow',
    operationId: 'getShadowReport',
    summary:
      'The shadow policy bundle loaded and where it disagrees with the live one: by transition, by rule, the latest',
    tag: 'policy',
    auth: 'person',
    query: shadowQuerySchema,
    responses: {
      200: { description: 'The shadow report', schema: shadowReportSchema },
      422: { description: 'A bad since or limit', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request) => {
    const query = parseInput(shadowQuerySchema, request.query, 'query');
    return airlock.shadow.report(query);
  },
};

export const promoteShadowRoute: Route = {
  spec: {
    method: 'POST',
    url: '/v1/policy/shadow/promote',
    operationId: 'promoteShadow',
    summary: 'Make the shadow policy files the live ones and reload (admins; audited as policy.promoted)',
    tag: 'policy',
    auth: 'admin',
    body: promoteBodySchema,
    responses: {
      200: { description: 'What was promoted, and whether it is in force', schema: promotionSchema },
      403: { description: 'Not an admin', schema: errorSchema },
      409: {
        description:
          'No shadow, another shadow than expectHash, nothing to promote, changed files, or not one directory each side',
        schema: errorSchema,
      },
      422: { description: 'A missing reason', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request) => {
    const person = personOf(request);
    const body = parseInput(promoteBodySchema, request.body, 'body');
    return airlock.shadow.promote(
      person,
      { reason: body.reason, expectHash: body.expectHash },
      { reload: true },
    );
  },
};
