/** HTTP API happy paths around actions: catalog, agents and trust, audit verify, health, metrics and OpenAPI. */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { actionSchema, agentsSchema, catalogSchema, healthSchema, verifySchema } from '../src/api/schemas.ts';
import { setTrustResultSchema, trustSchema } from '../src/api/trust-schemas.ts';
import { type Harness, restart, startHarness } from './harness.ts';

const QUICKSTART_TYPES = [
  'cache.flush',
  'database.migrate',
  'deployment.scale',
  'feature_flag.set',
  'secret.rotate',
  'service.restart',
];

describe('catalog, agents, trust, audit and operations', () => {
  let h: Harness;
  let alice: string;
  before(async () => {
    h = await startHarness();
    alice = await h.person('alice');
  });
  after(() => h.close());

  it('GET /v1/catalog lists every quickstart type, to agents and to people', async () => {
    const agent = await h.agent('catalog-bot');
    for (const token of [agent, await h.person('carol')]) {
      const response = await h.request('GET', '/v1/catalog', { token });
      assert.equal(response.status, 200);
      const catalog = catalogSchema.parse(response.body);
      assert.deepEqual(catalog.types.map((t) => t.type).sort(), QUICKSTART_TYPES);
    }
    const catalog = catalogSchema.parse((await h.request('GET', '/v1/catalog', { token: agent })).body);
    const restartType = catalog.types.find((t) => t.type === 'service.restart');
    assert.equal(restartType?.tier, 'low');
    assert.equal(restartType?.reversible, true);
    assert.equal(restartType?.verified, true);
    assert.deepEqual(restartType?.example, {
      reason: 'memory leak after deploy 2026.11.3',
      graceSeconds: 30,
    });
  });

  it("every catalog type's example is accepted when proposed", async () => {
    const token = await h.agent('example-bot');
    const catalog = catalogSchema.parse((await h.request('GET', '/v1/catalog', { token })).body);
    for (const entry of catalog.types) {
      const response = await h.propose(token, {
        type: entry.type,
        environment: 'staging',
        targets: [{ id: 'x' }],
        params: entry.example,
      });
      assert.equal(response.status, 201, `${entry.type}: ${response.text}`);
      assert.equal(actionSchema.parse(response.body).type, entry.type);
    }
  });

  it('GET /v1/agents lists the registered agents', async () => {
    await h.agent('listed-bot', 'payments');
    const response = await h.request('GET', '/v1/agents', { token: await h.person('carol') });
    assert.equal(response.status, 200);
    const { agents } = agentsSchema.parse(response.body);
    const listed = agents.find((a) => a.id === 'listed-bot');
    assert.equal(listed?.owner, 'payments');
    assert.equal(listed?.status, 'active');
    assert.ok(agents.some((a) => a.id === 'catalog-bot'));
  });

  it('GET /v1/agents/:id/trust shows levels per scope and the ceiling', async () => {
    await h.agent('trusted-bot');
    await h.grant('trusted-bot', 'service.restart@staging', 2);
    const response = await h.request('GET', '/v1/agents/trusted-bot/trust', { token: await h.person('bob') });
    assert.equal(response.status, 200);
    const trust = trustSchema.parse(response.body);
    assert.equal(trust.agent, 'trusted-bot');
    assert.equal(trust.ceiling, 3);
    assert.deepEqual(
      trust.scopes.map((s) => ({
        scope: s.scope,
        typePattern: s.typePattern,
        environment: s.environment,
        level: s.level,
        effective: s.effective,
        grantedBy: s.grantedBy,
        reason: s.reason,
      })),
      [
        {
          scope: 'service.restart@staging',
          typePattern: 'service.restart',
          environment: 'staging',
          level: 2,
          effective: 2,
          grantedBy: 'alice',
          reason: 'test grant',
        },
      ],
    );
  });

  it('PUT /v1/agents/:id/trust as alice sets a level and the change shows in GET …/trust', async () => {
    await h.agent('promoted-bot');
    const put = (level: number) =>
      h.request('PUT', '/v1/agents/promoted-bot/trust', {
        token: alice,
        body: { scope: 'cache.flush@staging', level, reason: `evidence review ${level}`, override: true },
      });
    const first = await put(1);
    assert.equal(first.status, 200, first.text);
    const { promotion, ...change } = setTrustResultSchema.parse(first.body);
    assert.deepEqual(change, { scope: 'cache.flush@staging', from: 0, to: 1 });
    assert.equal(promotion?.override, true, 'no evidence yet: the raise is an override');
    const second = await put(2);
    assert.equal(second.status, 200, second.text);
    assert.deepEqual(
      { ...setTrustResultSchema.parse(second.body), promotion: undefined },
      { scope: 'cache.flush@staging', from: 1, to: 2, promotion: undefined },
    );

    const trust = trustSchema.parse(
      (await h.request('GET', '/v1/agents/promoted-bot/trust', { token: alice })).body,
    );
    assert.equal(trust.scopes.length, 1);
    assert.equal(trust.scopes[0]?.scope, 'cache.flush@staging');
    assert.equal(trust.scopes[0]?.level, 2);
    assert.equal(trust.scopes[0]?.grantedBy, 'alice');
    assert.equal(trust.scopes[0]?.reason, 'evidence review 2');
    assert.equal(trust.scopes[0]?.grantedAt, h.clock.now().toISOString());
  });

  it('GET /v1/audit/verify reports ok with the event count and head', async () => {
    const token = await h.agent('audit-bot');
    await h.propose(token, restart());
    const response = await h.request('GET', '/v1/audit/verify', { token: await h.person('carol') });
    assert.equal(response.status, 200);
    const report = verifySchema.parse(response.body);
    let count = 0;
    for await (const _ of h.airlock.audit.events()) count += 1;
    assert.equal(report.ok, true);
    assert.equal(report.events, count);
    assert.ok(count > 0);
    assert.equal(report.head, (await h.airlock.audit.head())?.hash);
    assert.equal(report.firstBad, null);
  });

  it('/healthz and /readyz answer 200 without a token', async () => {
    const health = await h.request('GET', '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(healthSchema.parse(health.body), { status: 'ok' });
    const ready = await h.request('GET', '/readyz');
    assert.equal(ready.status, 200);
    const body = healthSchema.parse(ready.body);
    assert.equal(body.status, 'ok');
    assert.equal(body.checks?.database, 'ok');
  });

  it('/metrics counts decisions by effect', async () => {
    const token = await h.agent('metrics-bot');
    await h.grant('metrics-bot', 'service.restart@staging', 2);
    const proposed = await h.propose(token, restart());
    assert.equal(proposed.body.decision.effect, 'execute');
    const response = await h.request('GET', '/metrics');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const line = /^airlock_decisions_total\{effect="execute"\} (\d+)$/m.exec(response.text);
    assert.ok(line, response.text);
    assert.ok(Number(line[1]) >= 1);
  });

  it('GET /v1/openapi.json is OpenAPI 3.1 and lists every route with JSON-schema bodies', async () => {
    const response = await h.request('GET', '/v1/openapi.json');
    assert.equal(response.status, 200);
    const doc = response.body;
    assert.equal(doc.openapi, '3.1.0');
    const expected: [string, string][] = [
      ['/v1/actions', 'post'],
      ['/v1/actions', 'get'],
      ['/v1/actions/{id}', 'get'],
      ['/v1/actions/{id}/wait', 'get'],
      ['/v1/catalog', 'get'],
      ['/v1/agents', 'get'],
      ['/v1/agents/{id}/trust', 'get'],
      ['/v1/agents/{id}/trust', 'put'],
      ['/v1/audit/verify', 'get'],
    ];
    for (const [path, method] of expected) {
      const operation = doc.paths?.[path]?.[method];
      assert.ok(operation, `${method.toUpperCase()} ${path} is missing`);
      assert.equal(typeof operation.operationId, 'string');
      const ok = operation.responses?.['200'] ?? operation.responses?.['201'];
      const schema = ok?.content?.['application/json']?.schema;
      assert.equal(schema?.type, 'object', `${method.toUpperCase()} ${path} response schema`);
      assert.equal(typeof schema?.properties, 'object');
      if (path.includes('{id}')) {
        assert.deepEqual(
          operation.parameters.find((p: { in: string }) => p.in === 'path'),
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
        );
      }
    }
    const propose = doc.paths['/v1/actions'].post;
    const proposeBody = propose.requestBody?.content?.['application/json']?.schema;
    assert.equal(proposeBody?.type, 'object');
    assert.deepEqual([...proposeBody.required].sort(), ['environment', 'type']);
    assert.equal(proposeBody.additionalProperties, false);
    assert.equal(proposeBody.properties.confidence.maximum, 1);
    assert.equal(propose.responses['201'].content['application/json'].schema.type, 'object');
    const putTrust = doc.paths['/v1/agents/{id}/trust'].put;
    const trustBody = putTrust.requestBody?.content?.['application/json']?.schema;
    assert.equal(trustBody?.type, 'object');
    assert.deepEqual([...trustBody.required].sort(), ['level', 'reason', 'scope']);
    assert.equal(putTrust.responses['401'].content['application/json'].schema.type, 'object');
  });
});
