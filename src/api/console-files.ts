/**
 * The console: the built web app served from one directory — index.html at `/` and for the app's
 * own routes (`/actions/act_…`), its hashed assets under `/assets/`. The pages hold no data and
 * need no token; the API they call does.
 */

import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AirlockError } from '../domain/errors.ts';

/** Where the console is built to, from the package root (not the working directory). */
export const CONSOLE_DIR = path.resolve(import.meta.dirname, '../../web/dist');

/** The console's routes and who may call them: anyone (see above). */
export const CONSOLE_AUTH: ReadonlyMap<string, 'none'> = new Map([
  ['GET /', 'none'],
  ['GET /assets/*', 'none'],
]);

export const CONSOLE_CSP =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

/** Asset names carry a hash of their content: a changed file has a new name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const NOT_BUILT = 'The console is not built: run npm run build:web';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Paths of the API and of operations: a miss there is an API miss, never the console. */
const NOT_CONSOLE = /^\/(?:v1|mcp|metrics|healthz|readyz)(?:\/|$)/;

interface OpenFile {
  readonly handle: FileHandle;
  readonly size: number;
  readonly type: string;
}

/**
 * Register `/` and `/assets/*`; returns what the not-found handler calls for other paths: it
 * answers a GET for a file at the top of the build (favicon.ico) or for a page of the app, and
 * says whether it did. (A boolean, not the reply: a reply is thenable, so awaiting it would wait
 * for the response to finish and give undefined.)
 */
export function registerConsole(
  app: FastifyInstance,
  dir: string,
): (request: FastifyRequest, reply: FastifyReply) => Promise<boolean> {
  const root = path.resolve(dir);
  app.get('/', (_request, reply) => sendIndex(root, reply));
  app.get('/assets/*', async (request, reply) => {
    const file = await openInside(root, pathOf(request));
    if (file === null) throw new AirlockError('not_found', `no console asset ${pathOf(request)}`);
    return sendFile(reply, file, IMMUTABLE);
  });
  return async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const pathname = pathOf(request);
    if (NOT_CONSOLE.test(pathname)) return false;
    const file = await openInside(root, pathname);
    if (file !== null) {
      sendFile(reply, file, 'no-cache');
      return true;
    }
    if (!(request.headers.accept ?? '').includes('text/html')) return false;
    await sendIndex(root, reply);
    return true;
  };
}

function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? '/';
}

async function sendIndex(root: string, reply: FastifyReply): Promise<FastifyReply> {
  const file = await openInside(root, '/index.html');
  if (file === null) {
    return reply
      .code(503)
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(NOT_BUILT);
  }
  return sendFile(reply, file, 'no-cache');
}

function sendFile(reply: FastifyReply, file: OpenFile, cacheControl: string): FastifyReply {
  return reply
    .type(file.type)
    .header('content-length', file.size)
    .header('cache-control', cacheControl)
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .send(file.handle.createReadStream());
}

/**
 * Open the regular file at URL path `urlPath` inside `root`, or null. Paths are decoded once; any
 * `.`, `..` or hidden segment refuses the path, so nothing outside `root` (nor a dotfile) is served.
 */
async function openInside(root: string, urlPath: string): Promise<OpenFile | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const segments = decoded.split(/[/\\]/).filter((s) => s !== '');
  if (segments.length === 0 || segments.some((s) => s.startsWith('.') || s.includes('\0'))) return null;
  const file = path.join(root, ...segments);
  if (!file.startsWith(root + path.sep)) return null;
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch {
    return null;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      return null;
    }
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    return { handle, size: stat.size, type };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
