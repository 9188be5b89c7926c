/** Shared by the execution tests: a template context, and real HTTP servers on random ports. */

import http from 'node:http';
import net from 'node:net';
import type { Target } from '../domain/action.ts';
import type { JsonObject } from '../domain/json.ts';
import type { TemplateContext } from './template.ts';

export function context(
  params: JsonObject = {},
  targets: readonly Target[] = [{ id: 'api-1' }],
): TemplateContext {
  return {
    params,
    targets,
    target: null,
    action: { id: 'act_test1', type: 'service.restart' },
    environment: 'production',
    agent: { id: 'agent-1' },
  };
}

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface TestServer {
  readonly url: string;
  /** Every request, in arrival order, once its body has been read. */
  readonly received: Received[];
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1 and a random port; `handle` answers each request (body read). */
export async function startServer(
  handle: (request: Received, response: http.ServerResponse) => void,
): Promise<TestServer> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      handle(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answer with JSON. */
export function json(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** A URL where nothing listens: a port that was just free. */
export async function deadUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
