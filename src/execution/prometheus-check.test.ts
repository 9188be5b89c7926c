/**
 * Prometheus checks against a real Prometheus (see test/prometheus-server.ts), scraping itself and
 * a small /metrics server whose gauge the tests move.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type PrometheusServer, prometheusAvailable, startPrometheus } from '../../test/prometheus-server.ts';
import type { VerificationCheckSpec } from '../catalog/catalog-schema.ts';
import { runCheck } from './checks.ts';
import { context, deadUrl, startServer, type TestServer } from './execution-test-helpers.ts';

type PrometheusCheck = Extract<VerificationCheckSpec, { kind: 'prometheus' }>;

function check(
  query: string,
  op: PrometheusCheck['op'],
  threshold: number,
  extra: Partial<PrometheusCheck> = {},
) {
  return { kind: 'prometheus', query, op, threshold, onEmpty: 'fail', ...extra } satisfies PrometheusCheck;
}

describe('prometheus checks', { skip: !prometheusAvailable() && 'prometheus is not installed' }, () => {
  let prometheus: PrometheusServer;
  let exporter: TestServer;
  const gauge: Record<string, number> = { a: 5, b: 50 };

  async function run(spec: PrometheusCheck, params = {}) {
    const options = { env: {}, baseDir: '.', prometheus: { url: prometheus.url, timeout: 2_000 } };
    const results = await runCheck(spec, context(params), options);
    assert.equal(results.length, 1);
    return results[0]!;
  }

  before(async () => {
    exporter = await startServer((_request, response) => {
      const lines = Object.entries(gauge).map(
        ([shard, value]) => `airlock_test_gauge{shard="${shard}"} ${value}`,
      );
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      response.end(`# TYPE airlock_test_gauge gauge\n${lines.join('\n')}\n`);
    });
    prometheus = await startPrometheus({
      targets: [{ job: 'exporter', hosts: [new URL(exporter.url).host] }],
    });
    await Promise.all([
      prometheus.waitForSeries('up{job="prometheus"} == 1'),
      prometheus.waitForSeries('airlock_test_gauge{shard="b"} == 50'),
    ]);
  });
  after(async () => {
    await prometheus?.stop();
    await exporter?.close();
  });

  it('passes when every series meets the threshold', async () => {
    const result = await run(check('up{job="prometheus"}', '==', 1));
    assert.equal(result.passed, true, result.message);
    assert.equal(result.name, 'up{job="prometheus"} == 1');
    assert.equal(result.message, '1 series, all == 1');
    assert.deepEqual(result.observed, [
      { labels: { __name__: 'up', instance: new URL(prometheus.url).host, job: 'prometheus' }, value: 1 },
    ]);
  });

  it('fails when a series misses the threshold, naming it', async () => {
    const result = await run(check('airlock_test_gauge', '<', 10));
    assert.equal(result.passed, false);
    assert.match(result.message, /^1 of 2 series not < 10, e\.g\. airlock_test_gauge\{.*shard="b"\} = 50$/);
    const values = (result.observed as { labels: { shard: string }; value: number }[]).map((s) => [
      s.labels.shard,
      s.value,
    ]);
    assert.deepEqual(values.sort(), [
      ['a', 5],
      ['b', 50],
    ]);
  });

  it('follows the metric as it changes', async () => {
    gauge.b = 2;
    await prometheus.waitForSeries('airlock_test_gauge{shard="b"} == 2');
    assert.equal((await run(check('airlock_test_gauge', '<', 10))).passed, true);
    gauge.b = 50;
    await prometheus.waitForSeries('airlock_test_gauge{shard="b"} == 50');
    assert.equal((await run(check('airlock_test_gauge', '<', 10))).passed, false);
  });

  it('renders the query as a template', async () => {
    const result = await run(check('airlock_test_gauge{shard="{{params.shard}}"}', '<=', 5), { shard: 'a' });
    assert.equal(result.passed, true, result.message);
    assert.equal(result.name, 'airlock_test_gauge{shard="a"} <= 5');
  });

  it('judges a scalar result, and fails on NaN', async () => {
    assert.equal((await run(check('scalar(up{job="prometheus"})', '>=', 1))).passed, true);
    const nan = await run(check('0/0', '!=', 1));
    assert.equal(nan.passed, false);
    assert.deepEqual(nan.observed, [{ labels: {}, value: 'NaN' }]);
  });

  it('fails on an empty result by default; passes with onEmpty: pass', async () => {
    const empty = await run(check('airlock_test_gauge{shard="zzz"}', '<', 10));
    assert.equal(empty.passed, false);
    assert.equal(empty.message, 'no series');
    const allowed = await run(check('airlock_test_gauge{shard="zzz"}', '<', 10, { onEmpty: 'pass' }));
    assert.equal(allowed.passed, true);
  });

  it('fails with the reason on a query Prometheus refuses or cannot judge', async () => {
    const bad = await run(check('up{', '==', 1));
    assert.equal(bad.passed, false);
    assert.match(bad.message, /^Prometheus refused the query: bad_data: .*parse error/);
    const range = await run(check('up[1m]', '==', 1));
    assert.equal(range.passed, false);
    assert.match(range.message, /gives a matrix, not an instant vector or a scalar/);
  });

  it('fails when Prometheus cannot be reached or is not configured', async () => {
    const url = await deadUrl();
    const options = { env: {}, baseDir: '.', prometheus: { url, timeout: 1_000 } };
    const [unreachable] = await runCheck(check('up', '==', 1), context(), options);
    assert.equal(unreachable?.passed, false);
    assert.match(unreachable?.message ?? '', /did not answer: connection refused/);
    const [none] = await runCheck(check('up', '==', 1), context(), { ...options, prometheus: null });
    assert.equal(none?.passed, false);
    assert.match(none?.message ?? '', /no Prometheus is configured/);
  });
});
