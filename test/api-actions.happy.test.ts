/** HTTP API happy paths of actions: proposals and their decisions by level, GET by id, list/filter/page, and wait. */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { actionListSchema, actionSchema, healthSchema, waitSchema } from '../src/api/schemas.ts';
import { type Harness, restart, startHarness } from './harness.ts';

type Action = ReturnType<typeof actionSchema.parse>;

function capsOf(action: Action) {
  return action.decision.reasons.flatMap((r) => (r.kind === 'cap' ? [r] : []));
}

describe('POST /v1/actions: decisions by level', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('answers 201 with Location, x-request-id and a body that parses as an action', async () => {
    const token = await h.agent('shape-bot');
    const response = await h.propose(token, restart({ incident: 'INC-1', context: { alert: 'rss' } }));
    assert.equal(response.status, 201);
    const action = actionSchema.parse(response.body);
    assert.match(action.id, /^act_/);
    assert.equal(response.headers.get('location'), `/v1/actions/${action.id}`);
    assert.ok((response.headers.get('x-request-id') ?? '').length > 0);
    assert.equal(action.agent, 'shape-bot');
    assert.equal(action.type, 'service.restart');
    assert.equal(action.environment, 'staging');
    assert.deepEqual(action.targets, [{ id: 'api-1' }]);
    assert.deepEqual(action.params, { reason: 'memory leak after deploy' });
    assert.equal(action.confidence, 0.93);
    assert.equal(action.anomalyScore, 0.1);
    assert.equal(action.incident, 'INC-1');
    assert.deepEqual(action.context, { alert: 'rss' });
    assert.equal(action.idempotencyKey, null);
    assert.equal(action.createdAt, h.clock.now().toISOString());
  });

  it('level 0 (no grant): advise, status advised, with a failed level_advisory cap', async () => {
    const token = await h.agent('l0-bot');
    const response = await h.propose(token, restart());
    assert.equal(response.status, 201);
    const action = actionSchema.parse(response.body);
    assert.equal(action.decision.effect, 'advise');
    assert.equal(action.status, 'advised');
    assert.equal(action.decision.trustLevel, 0);
    assert.deepEqual(
      capsOf(action).map((c) => [c.code, c.passed]),
      [['level_advisory', false]],
    );
  });

  it('level 1: escalate, status pending_approval, with a level_assisted cap reason', async () => {
    const token = await h.agent('l1-bot');
    await h.grant('l1-bot', 'service.restart@staging', 1);
    const response = await h.propose(token, restart());
    assert.equal(response.status, 201);
    const action = actionSchema.parse(response.body);
    assert.equal(action.decision.effect, 'escalate');
    assert.equal(action.status, 'pending_approval');
    assert.equal(action.decision.trustLevel, 1);
    assert.deepEqual(
      capsOf(action).map((c) => [c.code, c.passed]),
      [['level_assisted', false]],
    );
  });

  it('level 2 in staging with confidence 0.93: execute, approved, every cap passed', async () => {
    const token = await h.agent('l2-bot');
    await h.grant('l2-bot', 'service.restart@staging', 2);
    const response = await h.propose(token, restart({ confidence: 0.93 }));
    assert.equal(response.status, 201);
    const action = actionSchema.parse(response.body);
    assert.equal(action.decision.effect, 'execute');
    assert.equal(action.status, 'approved');
    assert.equal(action.decision.trustLevel, 2);
    assert.equal(action.decision.policyEffect, 'allow');
    const caps = capsOf(action);
    assert.deepEqual(
      caps.map((c) => c.code),
      ['human_only_tier', 'irreversible', 'tier', 'environment', 'confidence', 'anomaly_score'],
    );
    for (const c of caps) assert.equal(c.passed, true, `${c.code}: ${c.message}`);
    assert.ok(action.decision.reasons.some((r) => r.kind === 'rule' && r.rule === 'restart-services'));
  });

  it('level 2 in production: escalate with the environment cap failed', async () => {
    const token = await h.agent('l2-prod-bot');
    await h.grant('l2-prod-bot', 'service.restart@production', 2);
    const response = await h.propose(token, restart({ environment: 'production' }));
    assert.equal(response.status, 201);
    const action = actionSchema.parse(response.body);
    assert.equal(action.decision.effect, 'escalate');
    assert.equal(action.status, 'pending_approval');
    assert.equal(action.decision.trustLevel, 2);
    const failed = capsOf(action).filter((c) => !c.passed);
    assert.deepEqual(
      failed.map((c) => c.code),
      ['environment'],
    );
  });

  it('a guardrail deny rule: deny, status denied, with the rule named in reasons', async () => {
    const token = await h.agent('migrator');
    await h.grant('migrator', 'database.migrate@staging', 2);
    const response = await h.propose(token, {
      type: 'database.migrate',
      environment: 'staging',
      targets: [{ id: 'db-1' }],
      params: { migration: 'x', dropsData: true },
      confidence: 0.99,
    });
    assert.equal(response.status, 201);
    const action = actionSchema.parse(response.body);
    assert.equal(action.decision.effect, 'deny');
    assert.equal(action.status, 'denied');
    assert.equal(action.decision.policyEffect, 'deny');
    const rule = action.decision.reasons.find(
      (r) => r.kind === 'rule' && r.rule === 'no-data-loss-migrations',
    );
    assert.ok(rule, JSON.stringify(action.decision.reasons));
    assert.equal(rule.kind === 'rule' ? rule.effect : null, 'deny');
    assert.equal(rule.kind === 'rule' ? rule.file : null, 'policies/guardrails.yaml');
  });

  it('policyVersion is the bundle in force, as /readyz reports it', async () => {
    const token = await h.agent('version-bot');
    const proposed = actionSchema.parse((await h.propose(token, restart())).body);
    const ready = await h.request('GET', '/readyz');
    assert.equal(ready.status, 200);
    const health = healthSchema.parse(ready.body);
    assert.equal(typeof health.checks?.bundle, 'string');
    assert.equal(proposed.decision.policyVersion, health.checks?.bundle);
    assert.equal(proposed.decision.policyVersion, h.airlock.project().bundle.hash);
  });

  it('the path lists action.proposed then action.decided with increasing audit seq numbers', async () => {
    const token = await h.agent('path-bot');
    const action = actionSchema.parse((await h.propose(token, restart())).body);
    assert.ok(action.path);
    assert.deepEqual(
      action.path.map((p) => p.kind),
      ['action.proposed', 'action.decided'],
    );
    const [proposed, decided] = action.path;
    assert.ok(proposed && decided);
    assert.ok(proposed.seq < decided.seq, `${proposed.seq} < ${decided.seq}`);
    assert.deepEqual(proposed.actor, { kind: 'agent', id: 'path-bot' });
    const stored = await h.airlock.audit.forSubject(action.id);
    assert.deepEqual(
      stored.map((e) => [e.seq, e.kind, e.hash]),
      action.path.map((p) => [p.seq, p.kind, p.hash]),
    );
  });

  it('GET /v1/actions/:id returns the same action, to its agent and to a person', async () => {
    const token = await h.agent('reader-bot');
    await h.grant('reader-bot', 'service.restart@staging', 2);
    const proposed = await h.propose(token, restart());
    const action = actionSchema.parse(proposed.body);
    const byAgent = await h.request('GET', `/v1/actions/${action.id}`, { token });
    assert.equal(byAgent.status, 200);
    assert.deepEqual(actionSchema.parse(byAgent.body), action);
    const byPerson = await h.request('GET', `/v1/actions/${action.id}`, { token: await h.person('carol') });
    assert.equal(byPerson.status, 200);
    // Only the agent that proposed it sees the permit to execute it; only people see each step's data.
    assert.ok(action.permit !== null);
    const seen = actionSchema.parse(byPerson.body);
    assert.deepEqual(
      { ...seen, path: seen.path?.map(({ data: _, ...step }) => step) },
      { ...action, permit: null },
    );
    const stored = await h.airlock.audit.forSubject(action.id);
    assert.deepEqual(
      seen.path?.map((step) => step.data),
      stored.map((e) => JSON.parse(e.data)),
    );
    const decided = seen.path?.find((step) => step.kind === 'action.decided');
    assert.equal((decided?.data?.decision as { effect?: string } | undefined)?.effect, 'execute');
    assert.ok(action.path?.every((step) => step.data === undefined));
  });
});

describe('GET /v1/actions: list, filter, page', () => {
  let h: Harness;
  let alice: string;
  /** Created oldest first. */
  const created: Action[] = [];
  before(async () => {
    h = await startHarness();
    alice = await h.person('alice');
    const token = await h.agent('lister');
    const other = await h.agent('other-bot');
    await h.grant('lister', 'service.restart@staging', 2);
    await h.grant('lister', 'service.restart@production', 2);
    const bodies: Record<string, unknown>[] = [
      restart(),
      restart({ environment: 'production' }),
      { type: 'cache.flush', environment: 'staging', targets: [{ id: 'c-1' }], params: {} },
      restart({ targets: [{ id: 'api-2' }] }),
      { type: 'deployment.scale', environment: 'staging', targets: [{ id: 'd-1' }], params: { replicas: 3 } },
      restart({ targets: [{ id: 'api-3' }] }),
      {
        type: 'database.migrate',
        environment: 'staging',
        targets: [{ id: 'db-1' }],
        params: { migration: 'x', dropsData: true },
      },
    ];
    for (const body of bodies) {
      h.clock.advance(1000);
      const response = await h.propose(token, body);
      assert.equal(response.status, 201, response.text);
      created.push(actionSchema.parse(response.body));
      h.clock.advance(1000);
      assert.equal((await h.propose(other, restart())).status, 201);
    }
  });
  after(() => h.close());

  const ids = (actions: readonly { id: string }[]) => actions.map((a) => a.id);
  const newestFirst = () => ids([...created].reverse());

  async function list(query: string) {
    const response = await h.request('GET', `/v1/actions${query}`, { token: alice });
    assert.equal(response.status, 200, response.text);
    return actionListSchema.parse(response.body);
  }

  it('lists the statuses expected of the fixture', () => {
    assert.deepEqual(
      created.map((a) => a.status),
      ['approved', 'pending_approval', 'advised', 'approved', 'advised', 'approved', 'denied'],
    );
  });

  it('lists every action newest first', async () => {
    const page = await list('?limit=500');
    assert.equal(page.actions.length, 14);
    assert.equal(page.nextCursor, null);
    const times = page.actions.map((a) => a.createdAt);
    assert.deepEqual(times, [...times].sort().reverse());
    assert.equal(page.actions[0]?.agent, 'other-bot');
    assert.equal(page.actions[1]?.id, created.at(-1)?.id);
  });

  it('filters by agent', async () => {
    const page = await list('?agent=lister');
    assert.deepEqual(ids(page.actions), newestFirst());
    assert.ok(page.actions.every((a) => a.agent === 'lister'));
  });

  it('filters by type', async () => {
    const page = await list('?agent=lister&type=service.restart');
    assert.deepEqual(
      ids(page.actions),
      [created[5], created[3], created[1], created[0]].map((a) => a?.id),
    );
  });

  it('filters by environment', async () => {
    const page = await list('?environment=production');
    assert.deepEqual(ids(page.actions), [created[1]?.id]);
  });

  it('filters by status', async () => {
    const page = await list('?agent=lister&status=approved');
    assert.deepEqual(
      ids(page.actions),
      [created[5], created[3], created[0]].map((a) => a?.id),
    );
    const advised = await list('?agent=lister&status=advised');
    assert.deepEqual(
      ids(advised.actions),
      [created[4], created[2]].map((a) => a?.id),
    );
  });

  it('pages with limit and nextCursor, without duplicates or gaps', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const query: string = `?agent=lister&limit=3${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const page = await list(query);
      sizes.push(page.actions.length);
      seen.push(...ids(page.actions));
      cursor = page.nextCursor;
      if (cursor === null) break;
    }
    assert.deepEqual(sizes, [3, 3, 1]);
    assert.deepEqual(seen, newestFirst());
    assert.equal(new Set(seen).size, 7);
  });

  it('actions proposed within the same millisecond still list newest first', async () => {
    const token = await h.agent('burst-bot');
    const burst: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await h.propose(token, restart({ targets: [{ id: `burst-${i}` }] }));
      assert.equal(response.status, 201);
      burst.push(actionSchema.parse(response.body).id);
    }
    const page = await list('?agent=burst-bot');
    assert.deepEqual(ids(page.actions), [...burst].reverse());
  });

  it('pages the whole list (both agents) without duplicates or gaps', async () => {
    const all = ids((await list('?limit=500')).actions);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page = await list(`?limit=3${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      seen.push(...ids(page.actions));
      cursor = page.nextCursor;
      if (cursor === null) break;
    }
    assert.deepEqual(seen, all);
  });
});

describe('GET /v1/actions/:id/wait', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness();
    token = await h.agent('waiter');
    await h.grant('waiter', 'service.restart@staging', 2);
    await h.grant('waiter', 'service.restart@production', 2);
  });
  after(() => h.close());

  it('times out with changed:false and the unchanged action', async () => {
    const action = actionSchema.parse((await h.propose(token, restart({ environment: 'production' }))).body);
    assert.equal(action.status, 'pending_approval');
    const response = await h.request('GET', `/v1/actions/${action.id}/wait?timeout=1`, { token });
    assert.equal(response.status, 200, response.text);
    const waited = waitSchema.parse(response.body);
    assert.equal(waited.changed, false);
    assert.equal(waited.action.id, action.id);
    assert.equal(waited.action.status, 'pending_approval');
  });

  it('?status=pending_approval on an approved action answers at once with changed:true', async () => {
    const action = actionSchema.parse((await h.propose(token, restart())).body);
    assert.equal(action.status, 'approved');
    const response = await h.request(
      'GET',
      `/v1/actions/${action.id}/wait?timeout=60&status=pending_approval`,
      {
        token: await h.person('bob'),
      },
    );
    assert.equal(response.status, 200, response.text);
    const waited = waitSchema.parse(response.body);
    assert.equal(waited.changed, true);
    assert.equal(waited.action.status, 'approved');
    assert.deepEqual(
      { ...waited.action, path: waited.action.path?.map(({ data: _, ...step }) => step) },
      { ...action, permit: null },
      'a person sees no permit',
    );
  });
});
