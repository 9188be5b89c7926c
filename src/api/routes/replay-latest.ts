/** GET /v1/replay/latest — the report of the last `airlock replay` run against this store. */

import { AirlockError } from '../../domain/errors.ts';
import { latestReplay } from '../../gateway/replay-records.ts';
import { latestReplaySchema } from '../replay-schemas.ts';
import type { Route } from '../route.ts';
import { errorSchema } from '../schemas.ts';

export const latestReplayRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/replay/latest',
    operationId: 'getLatestReplay',
    summary: 'The report of the last replay: recorded decisions decided again with a candidate',
    tag: 'policy',
    auth: 'person',
    responses: {
      200: {
        description: 'The last replay, when it finished and what its candidate was',
        schema: latestReplaySchema,
      },
      404: { description: 'No replay has been run against this store', schema: errorSchema },
    },
  },
  handle: (airlock) => async () => {
    const latest = await latestReplay(airlock.store);
    if (latest === null)
      throw new AirlockError('not_found', 'no replay has been run yet: see airlock replay');
    return latest;
  },
};
