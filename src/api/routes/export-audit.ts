/**
 * GET /v1/audit/export — the audit chain as JSON Lines, the lines `airlock audit export` writes,
 * read and sent page by page; verifiable offline with `airlock audit verify --file`.
 */

import { Readable } from 'node:stream';
import { z } from 'zod';
import type { AuditRecord } from '../../audit/audit-event.ts';
import { eventView } from '../../gateway/audit-service.ts';
import { parseInput, type Route } from '../route.ts';
import { errorSchema } from '../schemas.ts';

/** Lines are sent in chunks of about this many characters. */
const CHUNK = 64 * 1024;

const exportQuery = z.strictObject({
  from: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Start at this sequence number (default 1); a later start verifies as a segment'),
});

export const exportAuditRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/audit/export',
    operationId: 'exportAudit',
    summary: 'The audit chain as JSON Lines (application/x-ndjson), up to the head when the request came',
    tag: 'audit',
    // People, not only admins: every person already reads each event with its data through
    // GET /v1/events and the actions' decision paths. The export is those events in the chain's
    // own form, so that whoever checks the chain can verify it away from this server.
    auth: 'person',
    query: exportQuery,
    responses: {
      200: {
        description:
          'application/x-ndjson, one event a line: seq, at, kind, actor, subject, data, prevHash, hash; ' +
          'an attachment named airlock-audit-<head seq>.ndjson',
      },
      422: { description: 'A bad from', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request, reply) => {
    const { from = 1 } = parseInput(exportQuery, request.query, 'query');
    // Events chained while the export is read are left out: the file ends at the head it is named after.
    const head = (await airlock.audit.head())?.seq ?? 0;
    const body = Readable.from(lines(airlock.audit.events(from - 1), head), { objectMode: false });
    return reply
      .type('application/x-ndjson')
      .header('content-disposition', `attachment; filename=airlock-audit-${head}.ndjson`)
      .header('cache-control', 'no-store')
      .send(body);
  },
};

async function* lines(events: AsyncIterable<AuditRecord>, head: number): AsyncGenerator<string> {
  let chunk = '';
  for await (const record of events) {
    if (record.seq > head) break;
    chunk += `${JSON.stringify(eventView(record))}\n`;
    if (chunk.length >= CHUNK) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}
