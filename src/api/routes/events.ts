/**
 * GET /v1/events — server-sent events of every state change: each audit event as it is chained
 * (`id` is its sequence number, `event` its kind). Resume with `Last-Event-ID` or `?after=`.
 */

import { z } from 'zod';
import type { AuditRecord } from '../../audit/audit-event.ts';
import { parseInput, type Route } from '../route.ts';
import { errorSchema } from '../schemas.ts';

const HEARTBEAT_MS = 15_000;

const eventsQuery = z.strictObject({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Start after this sequence number (default: now)'),
  kinds: z
    .string()
    .optional()
    .transform((v) =>
      v === undefined
        ? null
        : v
            .split(',')
            .map((k) => k.trim())
            .filter((k) => k !== ''),
    )
    .describe('Comma-separated event kinds or prefixes ending in `.`, e.g. `approval.,action.decided`'),
  subject: z.string().optional().describe('Only events about this action'),
});

export const eventsRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/events',
    operationId: 'streamEvents',
    summary: 'Server-sent events of every state change (audit events as they are chained)',
    tag: 'events',
    auth: 'person',
    query: eventsQuery,
    responses: {
      200: {
        description: 'text/event-stream; each event: id = audit seq, event = kind, data = the audit event',
      },
      422: { description: 'Bad query', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request, reply) => {
    const q = parseInput(eventsQuery, request.query, 'query');
    const lastId = request.headers['last-event-id'];
    const after =
      typeof lastId === 'string' && /^\d{1,15}$/.test(lastId.trim())
        ? Number(lastId.trim())
        : (q.after ?? (await airlock.tail.head()));
    const kinds = q.kinds;
    const accept = (record: AuditRecord) =>
      (q.subject === undefined || record.subject === q.subject) &&
      (kinds === null ||
        kinds.some((k) => (k.endsWith('.') ? record.kind.startsWith(k) : record.kind === k)));

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    });
    raw.write(`retry: 2000\n: following the audit chain after #${after}\n\n`);
    const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS);
    const unsubscribe = airlock.tail.subscribe(after, {
      accept,
      send: (record) => raw.write(formatEvent(record)),
      end: () => raw.end(),
    });
    raw.once('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  },
};

function formatEvent(record: AuditRecord): string {
  const data = JSON.stringify({
    seq: record.seq,
    at: record.at,
    kind: record.kind,
    actor: record.actor,
    subject: record.subject,
    hash: record.hash,
    data: JSON.parse(record.data) as unknown,
  });
  return `id: ${record.seq}\nevent: ${record.kind}\ndata: ${data}\n\n`;
}
