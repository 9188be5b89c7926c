/**
 * The sandbox fleet over real HTTP on loopback: what executors and verification will see when they
 * restart, scale and reconfigure it, break it on purpose, and scrape its metrics.
 */

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Fleet, startFleet } from '../sandbox/fleet.ts';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

async function call(
  fleet: Fleet,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const init: RequestInit = { method, headers: { 'content-type': 'application/json', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(`${fleet.url}${path}`, init);
  const answer = (await response.json()) as Record<string, unknown>;
  return { status: response.status, headers: response.headers, body: answer };
}

describe('sandbox fleet', () => {
  let fleet: Fleet;
  beforeEach(async () => {
    fleet = await startFleet();
  });
  afterEach(() => fleet.close());

  it('answers health and lists the default services with their instances', async () => {
    assert.deepEqual((await call(fleet, 'GET', '/healthz')).body, { ok: true });
    const { body } = await call(fleet, 'GET', '/services');
    const services = body.services as { name: string; replicas: number }[];
    assert.deepEqual(
      services.map(({ name, replicas }) => [name, replicas]),
      [
        ['checkout', 4],
        ['payments', 3],
        ['search', 2],
      ],
    );
    const checkout = await call(fleet, 'GET', '/services/checkout');
    assert.equal(checkout.status, 200);
    assert.deepEqual(checkout.body.instances, ['checkout-0', 'checkout-1', 'checkout-2', 'checkout-3']);
    assert.equal(checkout.body.healthy, true);
    assert.equal(checkout.body.version, 1);
    assert.deepEqual((await call(fleet, 'GET', '/services/search/health')).body, {
      status: 'ok',
      errorRate: 0,
      latencyMs: 40,
    });
  });

  it('answers 404 for unknown services and routes, 405 for the wrong method', async () => {
    for (const [method, path] of [
      ['GET', '/services/inventory'],
      ['GET', '/services/inventory/health'],
      ['POST', '/services/inventory/restart'],
      ['GET', '/nowhere'],
    ] as const) {
      const answer = await call(fleet, method, path);
      assert.equal(answer.status, 404, `${method} ${path}`);
      assert.equal(typeof answer.body.error, 'string');
    }
    assert.match(String((await call(fleet, 'GET', '/services/inventory')).body.error), /inventory/);
    const wrong = await call(fleet, 'GET', '/services/checkout/restart');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
  });

  it('refuses bad bodies with 400 naming every problem, and changes nothing', async () => {
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', '/services/checkout/scale', { replicas: -1 }, /replicas/],
      ['POST', '/services/checkout/scale', { replicas: 'many', zone: 'a' }, /replicas.*zone|zone.*replicas/],
      ['POST', '/services/checkout/scale', '{"replicas": 2', /not JSON/],
      ['PUT', '/services/checkout/config', {}, /at least one key/],
      ['PUT', '/services/checkout/config', { pool: { size: 2 } }, /pool/],
      ['POST', '/services/checkout/degrade', {}, /errorRate, latencyMs/],
      ['POST', '/services/checkout/degrade', { errorRate: 2 }, /errorRate/],
      ['POST', '/services/checkout/faults', { onRestart: { errorRate: 'high' } }, /onRestart\.errorRate/],
      ['POST', '/services/checkout/restart', { instances: ['checkout-9'] }, /checkout-9/],
      ['POST', '/services/checkout/restart?delayMs=soon', undefined, /query\.delayMs/],
    ];
    for (const [method, path, body, problem] of cases) {
      const answer = await call(fleet, method, path, body);
      assert.equal(answer.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
      assert.match(String(answer.body.error), problem);
    }
    const checkout = fleet.service('checkout');
    assert.equal(checkout?.replicas, 4);
    assert.equal(checkout?.restarts, 0);
    assert.equal(checkout?.version, 1);
    assert.equal(checkout?.errorRate, 0);
  });

  it('makes things worse when a restart brings an armed fault, until recovered', async () => {
    const fault = { errorRate: 0.5, latencyMs: 900 };
    const armed = await call(fleet, 'POST', '/services/payments/faults', { onRestart: fault });
    assert.deepEqual(armed.body, { faults: { onRestart: fault } });
    assert.equal((await call(fleet, 'GET', '/services/payments/health')).status, 200);

    const restarted = await call(fleet, 'POST', '/services/payments/restart', {});
    assert.deepEqual(restarted.body, {
      restarted: ['payments-0', 'payments-1', 'payments-2'],
      version: 2,
      faultApplied: true,
    });
    const health = await call(fleet, 'GET', '/services/payments/health');
    assert.equal(health.status, 503);
    assert.deepEqual(health.body, { status: 'degraded', errorRate: 0.5, latencyMs: 900 });
    assert.equal(fleet.service('payments')?.faults.onRestart, null);
    assert.equal(fleet.service('payments')?.restarts, 1);

    await call(fleet, 'POST', '/services/payments/recover');
    assert.equal((await call(fleet, 'GET', '/services/payments/health')).status, 200);
    assert.equal(fleet.service('payments')?.latencyMs, 40);
  });

  it('clears a degradation on a plain restart of some instances', async () => {
    await call(fleet, 'POST', '/services/search/degrade', { errorRate: 0.2 });
    assert.equal((await call(fleet, 'GET', '/services/search/health')).status, 503);
    const restarted = await call(fleet, 'POST', '/services/search/restart', { instances: ['search-1'] });
    assert.deepEqual(restarted.body, { restarted: ['search-1'], version: 2, faultApplied: false });
    assert.equal((await call(fleet, 'GET', '/services/search/health')).status, 200);
  });

  it('degrades when scaled below its minimum of healthy replicas', async () => {
    const down = await call(fleet, 'POST', '/services/checkout/scale', { replicas: 1 });
    assert.deepEqual(down.body, { previousReplicas: 4, replicas: 1 });
    assert.deepEqual(fleet.service('checkout')?.instances, ['checkout-0']);
    assert.equal((await call(fleet, 'GET', '/services/checkout/health')).status, 503);
    assert.equal(fleet.service('checkout')?.errorRate, 0.3);

    const up = await call(fleet, 'POST', '/services/checkout/scale', { replicas: 2 });
    assert.deepEqual(up.body, { previousReplicas: 1, replicas: 2 });
    assert.equal((await call(fleet, 'GET', '/services/checkout/health')).status, 200);
  });

  it('degrades on a bad config push, which a restart does not fix but pushing previous back does', async () => {
    await call(fleet, 'PUT', '/services/checkout/config', { pool: 8 });
    const pushed = await call(fleet, 'PUT', '/services/checkout/config', { bad: true, pool: 20 });
    assert.deepEqual(pushed.body, {
      previous: { bad: null, pool: 8 },
      config: { bad: true, pool: 20 },
      version: 3,
    });
    assert.equal((await call(fleet, 'GET', '/services/checkout/health')).status, 503);
    assert.equal(fleet.service('checkout')?.errorRate, 0.4);

    await call(fleet, 'POST', '/services/checkout/restart');
    assert.equal((await call(fleet, 'GET', '/services/checkout/health')).status, 503);

    const undone = await call(fleet, 'PUT', '/services/checkout/config', pushed.body.previous);
    assert.deepEqual(undone.body.config, { pool: 8 });
    assert.equal((await call(fleet, 'GET', '/services/checkout/health')).status, 200);
  });

  it('records mutating calls in order, and not reads', async () => {
    const before = Date.now();
    await call(fleet, 'POST', '/services/search/scale', { replicas: 3 }, { 'X-Request-Id': 'req-1' });
    await call(fleet, 'GET', '/services/search');
    await call(fleet, 'POST', '/services/search/restart');
    assert.deepEqual(
      fleet.calls.map(({ method, path, body }) => ({ method, path, body })),
      [
        { method: 'POST', path: '/services/search/scale', body: { replicas: 3 } },
        { method: 'POST', path: '/services/search/restart', body: null },
      ],
    );
    assert.equal(fleet.calls[0]?.headers['x-request-id'], 'req-1');
    assert.equal(fleet.calls[0]?.headers['content-type'], 'application/json');
    assert.ok(Date.parse(fleet.calls[0]?.at ?? '') >= before - 1000);
  });

  it('records a slow restart as it arrives, and restarts only when it answers', async () => {
    let answered = false;
    const slow = call(fleet, 'POST', '/services/checkout/restart?delayMs=400').finally(() => {
      answered = true;
    });
    while (fleet.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(answered, false);
    assert.equal(fleet.calls[0]?.path, '/services/checkout/restart');
    assert.equal(fleet.service('checkout')?.restarts, 0);
    assert.equal((await slow).status, 200);
    assert.equal(fleet.service('checkout')?.restarts, 1);

    const started = Date.now();
    await call(fleet, 'POST', '/services/search/restart', { delayMs: 150 });
    assert.ok(Date.now() - started >= 140, 'a body delayMs delays the answer too');
  });

  it('closes promptly with a slow restart still pending', async () => {
    const pending = call(fleet, 'POST', '/services/checkout/restart?delayMs=30000').catch((error) => error);
    while (fleet.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = Date.now();
    await fleet.close();
    assert.ok(Date.now() - started < 2_000);
    assert.ok((await pending) instanceof Error, 'the pending call is cut off');
    assert.equal(fleet.service('checkout')?.restarts, 0, 'a restart cut off by close never lands');
    fleet = await startFleet();
  });

  describe('when a token is required', () => {
    beforeEach(async () => {
      await fleet.close();
      fleet = await startFleet({ requireToken: 'fleet-secret' });
    });

    it('refuses mutating calls without it, and does not record them', async () => {
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'fleet-secret' }]) {
        const answer = await call(fleet, 'POST', '/services/checkout/restart', {}, headers);
        assert.equal(answer.status, 401);
        assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
      }
      assert.equal(fleet.service('checkout')?.restarts, 0);
      assert.equal(fleet.calls.length, 0);

      const headers = { authorization: 'Bearer fleet-secret' };
      assert.equal((await call(fleet, 'POST', '/services/checkout/restart', {}, headers)).status, 200);
      assert.equal(fleet.calls.length, 1);
      assert.equal((await call(fleet, 'GET', '/services/checkout')).status, 200);
    });
  });

  it('refuses invalid service options before listening', async () => {
    await assert.rejects(startFleet({ services: { 'Check Out': { replicas: 1 } } }), /Check Out/);
    await assert.rejects(startFleet({ services: { checkout: { replicas: -2 } } }), /replicas/);
  });
});

describe('sandbox fleet metrics', () => {
  let clock = Date.parse('2030-01-01T00:00:00Z');
  let fleet: Fleet;
  beforeEach(async () => {
    fleet = await startFleet({ now: () => clock });
  });
  afterEach(() => fleet.close());

  async function scrape(): Promise<{ text: string; series: Map<string, number> }> {
    const response = await fetch(`${fleet.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    return { text, series: parseExposition(text) };
  }

  it('exposes every family with HELP and TYPE, and values that follow the state', async () => {
    const { series } = await scrape();
    assert.equal(series.get('fleet_service_replicas{service="checkout"}'), 4);
    assert.equal(series.get('fleet_service_error_ratio{service="payments"}'), 0);
    assert.equal(series.get('fleet_service_latency_seconds{service="search"}'), 0.04);
    assert.equal(series.get('fleet_service_restarts_total{service="checkout"}'), 0);
    assert.equal(series.get('fleet_service_version{service="checkout"}'), 1);

    await call(fleet, 'POST', '/services/checkout/faults', { onRestart: { errorRate: 0.2, latencyMs: 750 } });
    await call(fleet, 'POST', '/services/checkout/restart');
    await call(fleet, 'POST', '/services/checkout/scale', { replicas: 5 });
    const after = (await scrape()).series;
    assert.equal(after.get('fleet_service_restarts_total{service="checkout"}'), 1);
    assert.equal(after.get('fleet_service_version{service="checkout"}'), 2);
    assert.equal(after.get('fleet_service_replicas{service="checkout"}'), 5);
    assert.equal(after.get('fleet_service_error_ratio{service="checkout"}'), 0);
  });

  it('counts requests over time at 100 a second per replica, failing the error rate share', async () => {
    const at = (series: Map<string, number>, service: string, code: number) =>
      series.get(`http_requests_total{service="${service}",code="${code}"}`);
    assert.equal(at((await scrape()).series, 'checkout', 200), 0);
    clock += 10_000;
    await call(fleet, 'POST', '/services/checkout/degrade', { errorRate: 0.25 });
    clock += 10_000;
    const { series } = await scrape();
    assert.equal(at(series, 'checkout', 200), 4000 + 3000);
    assert.equal(at(series, 'checkout', 500), 1000);
    assert.equal(at(series, 'search', 200), 2 * 100 * 20);
    assert.equal(at(series, 'search', 500), 0);
  });

  const promtool = spawnSync('promtool', ['--version']).status === 0;
  it('passes promtool check metrics', { skip: !promtool && 'promtool is not installed' }, async () => {
    await call(fleet, 'POST', '/services/search/degrade', { errorRate: 0.5 });
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: (await scrape()).text });
    assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}`);
  });
});

describe('sandbox fleet CLI', () => {
  it('prints its URL, serves, and exits cleanly on SIGTERM', async () => {
    const cli = spawn(
      process.execPath,
      [fileURLToPath(new URL('../sandbox/fleet-cli.ts', import.meta.url)), '--port', '0'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let printed = '';
    cli.stdout.setEncoding('utf8');
    for await (const chunk of cli.stdout) {
      printed += chunk;
      if (printed.includes('\n')) break;
    }
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(printed)?.[0];
    assert.ok(url !== undefined, `a URL in: ${printed}`);
    assert.deepEqual(await (await fetch(`${url}/healthz`)).json(), { ok: true });
    cli.kill('SIGTERM');
    const [code, signal] = await once(cli, 'exit');
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
  });
});

/**
 * Parse Prometheus text exposition, failing on anything malformed: every sample needs its
 * family's HELP and TYPE before it. Returns each series (`name{labels}`) with its value.
 */
function parseExposition(text: string): Map<string, number> {
  assert.ok(text.endsWith('\n'), 'exposition ends with a newline');
  const helped = new Set<string>();
  const typed = new Map<string, string>();
  const series = new Map<string, number>();
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta !== null) {
      const [, kind, name = '', rest = ''] = meta;
      if (kind === 'HELP') helped.add(name);
      else {
        assert.ok(!typed.has(name), `one TYPE for ${name}`);
        assert.match(rest, /^(counter|gauge)$/);
        typed.set(name, rest);
      }
      continue;
    }
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_]\w*="[^"\\\n]*"(?:,[a-zA-Z_]\w*="[^"\\\n]*")*\}) (\S+)$/.exec(
        line,
      );
    assert.ok(sample !== null, `a valid sample line: ${line}`);
    const [, name = '', labels = '', value = ''] = sample;
    assert.ok(helped.has(name) && typed.has(name), `HELP and TYPE before ${name}`);
    assert.ok(Number.isFinite(Number(value)), `a number: ${line}`);
    if (typed.get(name) === 'counter') assert.ok(Number(value) >= 0);
    series.set(`${name}${labels}`, Number(value));
  }
  return series;
}
