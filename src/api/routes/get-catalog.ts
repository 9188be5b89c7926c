/** GET /v1/catalog — the action types agents may propose, each with an example params object. */

import type { Route } from '../route.ts';
import { catalogSchema } from '../schemas.ts';

export const getCatalogRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/catalog',
    operationId: 'getCatalog',
    summary: 'Action types: params schema, risk tier, domains, reversible, and an example',
    tag: 'catalog',
    auth: 'agent or person',
    responses: { 200: { description: 'The catalog in force', schema: catalogSchema } },
  },
  handle: (airlock) => async () => {
    return {
      types: airlock
        .project()
        .catalog.list()
        .map((entry) => ({
          type: entry.type,
          description: entry.description,
          tier: entry.tier,
          domains: entry.domains,
          reversible: entry.reversible,
          targets: entry.targets,
          paramsSchema: entry.paramsSchema,
          example: entry.example,
          verified: entry.verification !== null,
        })),
    };
  },
};
