/**
 * The console's files: index.html at `/` and for the app's own routes, hashed assets with long
 * caching, nothing outside the build directory, a plain 503 when it is not built; and the
 * console's API routes in the OpenAPI document.
 */

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { CONSOLE_CSP } from '../src/api/console-files.ts';
import { buildServer } from '../src/api/server.ts';
import { expectError } from './approval-helpers.ts';
import { type Harness, startHarness } from './harness.ts';

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/index-4f2a9c.js"></script></head><body><div id="root"></div></body></html>\n';
const SCRIPT = 'console.log("airlock console");\n';
const SECRET = 'not for the web\n';

/** A GET sent exactly as written: fetch would resolve `..` before sending. */
function rawGet(url: string, pathname: string, accept = '*/*'): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.get({ hostname, port, path: pathname, headers: { accept } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

describe('the console', () => {
  let h: Harness;
  let root: string;
  let app: FastifyInstance;
  let url: string;
  let unbuilt: FastifyInstance;
  let unbuiltUrl: string;

  before(async () => {
    h = await startHarness();
    // root/secret.txt beside the build: nothing may reach it through the server.
    root = await mkdtemp(path.join(os.tmpdir(), 'airlock-console-'));
    const dist = path.join(root, 'dist');
    await mkdir(path.join(dist, 'assets'), { recursive: true });
    await writeFile(path.join(dist, 'index.html'), INDEX);
    await writeFile(path.join(dist, 'assets', 'index-4f2a9c.js'), SCRIPT);
    await writeFile(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(path.join(dist, '.env'), SECRET);
    await writeFile(path.join(root, 'secret.txt'), SECRET);
    app = buildServer(h.airlock, { consoleDir: dist });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    await mkdir(path.join(root, 'empty'));
    unbuilt = buildServer(h.airlock, { consoleDir: path.join(root, 'empty') });
    unbuiltUrl = await unbuilt.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await app?.close();
    await unbuilt?.close();
    await h?.close();
    await rm(root, { recursive: true, force: true });
  });

  const get = (pathname: string, headers: Record<string, string> = {}) => fetch(url + pathname, { headers });
  const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

  it('serves index.html at / without a token, not cached, with a content security policy', async () => {
    const response = await get('/');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.equal(response.headers.get('content-security-policy'), CONSOLE_CSP);
    assert.match(CONSOLE_CSP, /default-src 'self'; connect-src 'self';.* frame-ancestors 'none'/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await response.text(), INDEX);

    const head = await fetch(`${url}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(await head.text(), '');
  });

  it('serves assets with their content type, cached for good', async () => {
    const response = await get('/assets/index-4f2a9c.js');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(response.headers.get('content-length'), String(Buffer.byteLength(SCRIPT)));
    assert.equal(await response.text(), SCRIPT);

    const icon = await get('/favicon.svg');
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
    assert.equal(icon.headers.get('cache-control'), 'no-cache');

    const missing = await get('/assets/index-000000.js');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  it("answers the app's own routes with index.html when a page is asked for", async () => {
    for (const route of ['/actions/act_123', '/approvals', '/agents/triage-bot/trust?scope=x']) {
      const response = await get(route, html);
      assert.equal(response.status, 200, route);
      assert.equal(response.headers.get('cache-control'), 'no-cache');
      assert.equal(response.headers.get('content-security-policy'), CONSOLE_CSP);
      assert.equal(await response.text(), INDEX);
    }
    assert.deepEqual(
      h.logs.filter((line) => String(line.msg).includes('already sent')),
      [],
      'each page is answered once',
    );
    // Not a page: the API's not-found answer.
    const data = await get('/actions/act_123', { accept: 'application/json' });
    assert.equal(data.status, 404);
    assert.equal(((await data.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  it('never answers API or operations paths with the console', async () => {
    for (const route of ['/v1/nope', '/v1', '/v1/actions/act_1/nope', '/mcp/x', '/metrics/x', '/healthz/x']) {
      const response = await get(route, html);
      assert.equal(response.status, 404, route);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/, route);
    }
    const api = await get('/v1/agents', html);
    assert.equal(api.status, 401);
  });

  it('serves nothing outside the build directory, nor its hidden files', async () => {
    const attempts = [
      '/assets/../../secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/assets/%2E%2E%2F%2E%2E%2Fsecret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/.env',
      '/assets/%00',
    ];
    for (const attempt of attempts) {
      for (const accept of ['*/*', html.accept]) {
        const response = await rawGet(url, attempt, accept);
        assert.ok(!response.body.includes(SECRET.trim()), `${attempt} (${accept}) served the file`);
        assert.ok(
          response.status === 404 || (response.status === 200 && response.body === INDEX),
          `${attempt} (${accept}): ${response.status} ${response.body}`,
        );
      }
    }
  });

  it('answers 503 in plain text when the console is not built', async () => {
    for (const [route, headers] of [
      ['/', {}],
      ['/actions/act_123', html],
    ] as const) {
      const response = await fetch(unbuiltUrl + route, { headers });
      assert.equal(response.status, 503, route);
      assert.equal(response.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.equal(await response.text(), 'The console is not built: run npm run build:web');
    }
  });

  it('documents the console’s API routes in OpenAPI, and not its files', async () => {
    const document = (await h.request('GET', '/v1/openapi.json')).body;
    const json = [
      ['/v1/me', 'getMe', 'agent or person'],
      ['/v1/policy', 'getPolicy', 'person'],
      ['/v1/replay/latest', 'getLatestReplay', 'person'],
      ['/v1/audit/head', 'getAuditHead', 'person'],
    ];
    for (const [route, operationId, caller] of json) {
      const operation = document.paths[route as string]?.get;
      assert.equal(operation?.operationId, operationId, route);
      assert.equal(operation['x-airlock-caller'], caller, route);
      assert.equal(operation.responses['200'].content['application/json'].schema.type, 'object', route);
    }
    assert.equal(
      document.paths['/v1/replay/latest'].get.responses['404'].content['application/json'].schema.type,
      'object',
    );
    const exportOperation = document.paths['/v1/audit/export'].get;
    assert.equal(exportOperation.operationId, 'exportAudit');
    assert.deepEqual(
      exportOperation.parameters.map((p: { name: string; in: string }) => [p.name, p.in]),
      [['from', 'query']],
    );
    assert.match(exportOperation.responses['200'].description, /application\/x-ndjson/);
    assert.equal(document.paths['/'], undefined);
    assert.equal(document.paths['/assets/*'], undefined);
    expectError(await h.request('GET', '/v1/openapi.json/x'), 404, 'not_found');
  });
});
