/** HTTP and command checks against real servers and processes (Prometheus has its own file). */

import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import type { VerificationCheckSpec } from '../catalog/catalog-schema.ts';
import { runCheck } from './checks.ts';
import { context, deadUrl, json, startServer, type TestServer } from './execution-test-helpers.ts';

type HttpCheck = Extract<VerificationCheckSpec, { kind: 'http' }>;
type CommandCheck = Extract<VerificationCheckSpec, { kind: 'command' }>;

const TOKEN = 'check-token-5566778899';
const ENV = { HEALTH_TOKEN: TOKEN };
const OPTIONS = { env: ENV, baseDir: os.tmpdir(), prometheus: null };

function httpCheck(url: string, extra: Partial<HttpCheck> = {}): HttpCheck {
  return {
    kind: 'http',
    url,
    method: 'GET',
    headers: {},
    timeout: 1_000,
    expectStatus: 200,
    perTarget: false,
    ...extra,
  };
}

function commandCheck(argv: string[], extra: Partial<CommandCheck> = {}): CommandCheck {
  return { kind: 'command', argv, env: [], timeout: 2_000, perTarget: false, ...extra };
}

describe('http checks', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer((request, response) => {
      if (request.url === '/health')
        json(response, 200, { status: { ready: true, replicas: 3 }, token: TOKEN });
      else if (request.url === '/degraded') json(response, 503, { status: { ready: false } });
      else if (request.url === '/text') response.writeHead(200).end('all systems go');
      else if (request.url.startsWith('/nodes/'))
        response.writeHead(request.url === '/nodes/n2' ? 500 : 200).end();
      else response.writeHead(404).end();
    });
  });
  after(() => server.close());

  it('passes on the expected status, named after what it checks', async () => {
    const [result, ...more] = await runCheck(httpCheck(`${server.url}/health`), context(), OPTIONS);
    assert.equal(more.length, 0);
    assert.deepEqual(result, {
      name: `GET ${server.url}/health is 200`,
      kind: 'http',
      passed: true,
      observed: { status: 200 },
      message: '200',
    });
  });

  it('fails on another status, showing the body', async () => {
    const [result] = await runCheck(httpCheck(`${server.url}/degraded`), context(), OPTIONS);
    assert.equal(result?.passed, false);
    assert.equal(result?.message, 'status 503, expected 200');
    assert.deepEqual(result?.observed, { status: 503, body: '{"status":{"ready":false}}' });
  });

  it('compares a JSON field of the body', async () => {
    const check = (op: '==' | '>=' | '<', value: boolean | number) =>
      runCheck(
        httpCheck(`${server.url}/health`, { json: { path: 'status.replicas', op, value } }),
        context(),
        OPTIONS,
      );
    const [pass] = await check('>=', 3);
    assert.equal(pass?.passed, true);
    assert.equal(pass?.name, `GET ${server.url}/health is 200 and status.replicas >= 3`);
    assert.deepEqual(pass?.observed, { status: 200, value: 3 });
    const [fail] = await check('<', 3);
    assert.equal(fail?.passed, false);
    assert.equal(fail?.message, 'status.replicas is 3, expected < 3');
    const [notANumber] = await runCheck(
      httpCheck(`${server.url}/health`, { json: { path: 'status.ready', op: '>', value: 0 } }),
      context(),
      OPTIONS,
    );
    assert.equal(notANumber?.passed, false);
    const [missing] = await runCheck(
      httpCheck(`${server.url}/text`, { json: { path: 'status.ready', op: '==', value: true } }),
      context(),
      OPTIONS,
    );
    assert.equal(missing?.passed, false);
    assert.equal(missing?.message, 'the body has no JSON field status.ready');
  });

  it('matches the body against a regular expression', async () => {
    const [pass] = await runCheck(
      httpCheck(`${server.url}/text`, { bodyMatches: 'systems? go$' }),
      context(),
      OPTIONS,
    );
    assert.equal(pass?.passed, true);
    const [fail] = await runCheck(
      httpCheck(`${server.url}/text`, { bodyMatches: '^down' }),
      context(),
      OPTIONS,
    );
    assert.equal(fail?.passed, false);
    assert.equal(fail?.message, 'the body does not match /^down/');
  });

  it('fails, without throwing, when the server is unreachable or the check is broken', async () => {
    const [unreachable] = await runCheck(httpCheck(`${await deadUrl()}/health`), context(), OPTIONS);
    assert.equal(unreachable?.passed, false);
    assert.match(unreachable?.message ?? '', /^no answer: connection refused/);
    const [badRegex] = await runCheck(
      httpCheck(`${server.url}/text`, { bodyMatches: '(' }),
      context(),
      OPTIONS,
    );
    assert.equal(badRegex?.passed, false);
    assert.match(badRegex?.message ?? '', /^the check could not run: .*regular expression/);
    const [missing] = await runCheck(httpCheck(`${server.url}/{{params.nope}}`), context(), OPTIONS);
    assert.equal(missing?.passed, false);
    assert.equal(missing?.name, `GET ${server.url}/{{params.nope}} is 200`);
    assert.match(missing?.message ?? '', /has no value/);
  });

  it('sends secret headers and records none of them', async () => {
    const [result] = await runCheck(
      httpCheck(`${server.url}/health`, {
        headers: { authorization: 'Bearer {{secret.HEALTH_TOKEN}}' },
        bodyMatches: 'nothing like this',
      }),
      context(),
      OPTIONS,
    );
    assert.equal(server.received.at(-1)?.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(result?.passed, false);
    assert.equal(JSON.stringify(result).includes(TOKEN), false, JSON.stringify(result));
  });

  it('runs once per target, each result naming its target', async () => {
    const targets = [{ id: 'n1' }, { id: 'n2' }];
    const results = await runCheck(
      httpCheck(`${server.url}/nodes/{{target.id}}`, { perTarget: true }),
      context({}, targets),
      OPTIONS,
    );
    assert.deepEqual(
      results.map((r) => [r.target, r.passed, r.name]),
      [
        ['n1', true, `GET ${server.url}/nodes/n1 is 200`],
        ['n2', false, `GET ${server.url}/nodes/n2 is 200`],
      ],
    );
    const none = await runCheck(httpCheck(`${server.url}/x`, { perTarget: true }), context({}, []), OPTIONS);
    assert.equal(none.length, 1);
    assert.equal(none[0]?.passed, false, 'no targets: no evidence');
  });
});

describe('command checks', () => {
  it('passes on exit 0 and fails otherwise', async () => {
    const [pass] = await runCheck(commandCheck(['/bin/sh', '-c', 'echo ok']), context(), OPTIONS);
    assert.deepEqual(pass, {
      name: '/bin/sh -c echo ok exits with 0',
      kind: 'command',
      passed: true,
      observed: { exitCode: 0, signal: null, timedOut: false, stdout: 'ok\n', stderr: '' },
      message: 'exited with 0',
    });
    const [fail] = await runCheck(
      commandCheck(['/bin/sh', '-c', 'echo "2 pods not ready" >&2; exit 1']),
      context(),
      OPTIONS,
    );
    assert.equal(fail?.passed, false);
    assert.equal(fail?.message, 'exited with 1: 2 pods not ready');
  });

  it('fails when it runs past its timeout', async () => {
    const [result] = await runCheck(commandCheck(['/bin/sleep', '5'], { timeout: 300 }), context(), OPTIONS);
    assert.equal(result?.passed, false);
    assert.equal(result?.message, 'ran past its 300 ms timeout and was killed');
  });

  it('fails when it cannot start', async () => {
    const [result] = await runCheck(commandCheck(['/nonexistent/check']), context(), OPTIONS);
    assert.equal(result?.passed, false);
    assert.match(result?.message ?? '', /^the check could not run: .*ENOENT/);
  });

  it('renders templates per target', async () => {
    const targets = [{ id: 'good' }, { id: 'bad' }];
    const results = await runCheck(
      commandCheck(['/bin/sh', '-c', 'test {{target.id}} = good'], { perTarget: true }),
      context({}, targets),
      OPTIONS,
    );
    assert.deepEqual(
      results.map((r) => [r.target, r.passed]),
      [
        ['good', true],
        ['bad', false],
      ],
    );
  });
});
