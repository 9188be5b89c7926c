/** The incident of the incident replay test, and the small candidate agent it replays against on loopback. */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import type { JsonObject } from '../src/domain/json.ts';
import { type Loose, restart } from './harness.ts';

export const INCIDENT = 'INC-42';
/** In every original proposal's reasoning: the candidate must never see it. */
export const MARK = 'ORIGINAL-REASONING';

/** The contexts the original agents received, in order, and what they proposed with each. */
export const STEPS: {
  agent: 'ops-bot' | 'db-bot';
  context: JsonObject;
  proposal: Record<string, unknown>;
}[] = [
  {
    agent: 'ops-bot',
    context: { alert: 'CheckoutErrorRate', service: 'checkout', value: 0.31 },
    proposal: restart({ targets: [{ id: 'checkout' }], params: { reason: 'checkout 5xx after deploy' } }),
  },
  {
    agent: 'ops-bot',
    context: { alert: 'CheckoutCacheStale', service: 'checkout' },
    proposal: {
      type: 'cache.flush',
      environment: 'staging',
      targets: [{ id: 'checkout-cache' }],
      params: { keyPattern: 'checkout:*' },
    },
  },
  {
    agent: 'db-bot',
    context: { alert: 'OrdersSlowQueries', database: 'orders-db' },
    proposal: {
      type: 'database.migrate',
      environment: 'staging',
      targets: [{ id: 'orders-db' }],
      params: { migration: '0042_add_orders_index' },
    },
  },
  {
    agent: 'ops-bot',
    context: { alert: 'SearchLatency', service: 'search' },
    proposal: restart({ targets: [{ id: 'search' }], params: { reason: 'search p99 over 2s' } }),
  },
  {
    agent: 'ops-bot',
    context: { alert: 'SearchSaturation', service: 'search' },
    proposal: {
      type: 'deployment.scale',
      environment: 'staging',
      targets: [{ id: 'search' }],
      params: { replicas: 4, previousReplicas: 2 },
    },
  },
];

/** The candidate: answers from the alert it is shown; garbage at one step, too slow at another. */
function candidateAnswer(body: Loose): {
  status?: number;
  raw?: string;
  delayMs?: number;
  actions?: unknown[];
} {
  const env = body.environment;
  switch (body.context?.alert) {
    case 'CheckoutErrorRate':
      // Checkout errors come from payments timing out: restart payments, not checkout.
      return {
        actions: [
          {
            type: 'service.restart',
            environment: env,
            targets: [{ id: 'payments' }],
            params: { reason: 'payments timeouts cause the checkout errors' },
            confidence: 0.95,
            anomalyScore: 0.1,
          },
        ],
      };
    case 'CheckoutCacheStale':
      return {
        actions: [
          {
            type: 'cache.flush',
            environment: env,
            targets: [{ id: 'checkout-cache' }],
            params: { keyPattern: 'checkout:*' },
          },
        ],
      };
    case 'OrdersSlowQueries':
      return {
        actions: [
          {
            type: 'database.migrate',
            environment: env,
            targets: [{ id: 'orders-db' }],
            params: { migration: '0042_rebuild_orders', dropsData: true },
          },
          { type: 'database.vacuum', environment: env, targets: [{ id: 'orders-db' }] },
        ],
      };
    case 'SearchLatency':
      return { raw: 'restart it, I guess' };
    case 'SearchSaturation':
      return { delayMs: 5_000, actions: [] };
    default:
      return { status: 400, raw: '{"error":"unknown alert"}' };
  }
}

export interface Candidate {
  readonly url: string;
  readonly received: Loose[];
  close(): Promise<void>;
}

/** The candidate on a free loopback port; it keeps every request it received. */
export async function startCandidate(): Promise<Candidate> {
  const received: Loose[] = [];
  const server: Server = createServer(async (req, res) => {
    const body = JSON.parse(await text(req));
    received.push(body);
    const answer = candidateAnswer(body);
    if (answer.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if (res.destroyed) return;
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
    res.end(answer.raw ?? JSON.stringify({ actions: answer.actions ?? [] }));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/agent`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
