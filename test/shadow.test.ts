/**
 * Shadow policies on a running server: every live decision is also decided by the shadow bundle
 * and never changed by it; disagreements are recorded (stricter, looser, the rules that made the
 * difference), counted in metrics and reported over HTTP and the CLI; a bad shadow never replaces
 * a good one; a failing shadow never touches the live decision.
 */

import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { shadowReportSchema } from '../src/api/shadow-schemas.ts';
import type { Project } from '../src/project/project-loader.ts';
import { cliJson } from './cli-helpers.ts';
import { type Harness, type Loose, QUICKSTART, restart, startHarness } from './harness.ts';
import { eventsOf, metric, shadowProject } from './shadow-helpers.ts';

const flush = (keyPattern: string) => ({
  type: 'cache.flush',
  environment: 'staging',
  targets: [{ id: 'redis-1' }],
  params: { keyPattern },
  confidence: 0.95,
  anomalyScore: 0.1,
});

/** The proposals both servers see, in order, and what the shadow says of each. */
const PROPOSALS: [string, Record<string, unknown>, 'agree' | 'stricter' | 'looser'][] = [
  ['flush sessions', flush('session:*'), 'agree'],
  ['flush everything', flush('*'), 'looser'],
  ['restart one', restart(), 'stricter'],
  ['restart two', restart({ targets: [{ id: 'api-1' }, { id: 'api-2' }] }), 'stricter'],
  ['restart in production', restart({ environment: 'production' }), 'agree'],
];

describe('shadow policies', () => {
  let h: Harness;
  let plain: Harness;
  let alice: string;
  const actions = new Map<string, Loose>();

  before(async () => {
    h = await startHarness({ files: await shadowProject() });
    plain = await startHarness({ files: await shadowProject(false) });
    alice = await h.person('alice');
    for (const harness of [h, plain]) {
      const bot = await harness.agent('triage-bot');
      await harness.grant('triage-bot', '*@staging', 2);
      for (const [name, body] of PROPOSALS) {
        const response = await harness.propose(bot, body);
        assert.equal(response.status, 201, response.text);
        if (harness === h) actions.set(name, response.body);
        else actions.set(`plain ${name}`, response.body);
      }
    }
  });

  after(async () => {
    await h.close();
    await plain.close();
  });

  it('loads the shadow beside the live bundle, audited as policy.shadow_loaded', async () => {
    const project = h.airlock.project();
    assert.ok(project.shadow !== null);
    assert.equal(project.bundle.hash, plain.airlock.project().bundle.hash);
    assert.notEqual(project.shadow.hash, project.bundle.hash);
    assert.deepEqual(
      project.shadow.files.map((f) => f.path),
      ['policies-next/guardrails.yaml', 'policies-next/limits.yaml', 'policies-next/routine.yaml'].map((p) =>
        p.split('/').join(path.sep),
      ),
    );
    const loaded = await eventsOf(h, 'policy.shadow');
    assert.deepEqual(
      loaded.map((e) => [e.kind, e.data.bundle, e.data.previous, e.data.trigger]),
      [['policy.shadow_loaded', project.shadow.hash, null, 'startup']],
    );
    assert.equal(await metric(h, 'airlock_policy_shadow_bundle_info', `hash="${project.shadow.hash}"`), 1);
    assert.equal(plain.airlock.project().shadow, null);
    assert.deepEqual(await eventsOf(plain, 'policy.shadow'), []);
  });

  it('never changes a live decision: the same effects and reasons as without a shadow', () => {
    const expected = ['execute', 'deny', 'execute', 'execute', 'advise'];
    PROPOSALS.forEach(([name], i) => {
      const shadowed = actions.get(name);
      const without = actions.get(`plain ${name}`);
      assert.equal(shadowed.decision.effect, expected[i], name);
      assert.deepEqual(shadowed.decision, without.decision, name);
      assert.equal(shadowed.status, without.status, name);
    });
  });

  it('records each disagreement with the change and the rules that made it, and no agreement', async () => {
    const recorded = await h.airlock.store.listShadowDecisions({ limit: 100 });
    const byAction = new Map(recorded.map((r) => [r.actionId, r]));
    assert.equal(recorded.length, 3);
    for (const [name, , verdict] of PROPOSALS) {
      const row = byAction.get(actions.get(name).id);
      if (verdict === 'agree') assert.equal(row, undefined, name);
      else assert.equal(row?.change, verdict, name);
    }
    const shadowHash = h.airlock.project().shadow?.hash;
    const looser = byAction.get(actions.get('flush everything').id);
    assert.deepEqual(
      [looser?.liveEffect, looser?.shadowEffect, looser?.liveBundle, looser?.shadowBundle],
      ['deny', 'escalate', h.airlock.project().bundle.hash, shadowHash],
    );
    // The shadow's own rate limit counted the first flush, which the live bundle cleared.
    assert.deepEqual(looser?.rules, {
      newlyMatched: ['limit:flush-rate'],
      noLongerMatched: ['no-full-flush'],
      effectChanged: [],
    });
    const one = byAction.get(actions.get('restart one').id);
    assert.deepEqual([one?.liveEffect, one?.shadowEffect], ['execute', 'escalate']);
    assert.deepEqual(one?.rules, {
      newlyMatched: [],
      noLongerMatched: [],
      effectChanged: [{ rule: 'restart-services', live: 'allow', shadow: 'escalate' }],
    });
    const two = byAction.get(actions.get('restart two').id);
    assert.deepEqual([two?.liveEffect, two?.shadowEffect], ['execute', 'deny']);
    assert.deepEqual(two?.rules.newlyMatched, ['limit:restart-targets']);
    assert.ok(two?.reasons.some((r) => r.kind === 'limit' && r.limit === 'restart-targets' && !r.passed));
    assert.deepEqual(await plain.airlock.store.listShadowDecisions({ limit: 100 }), []);
  });

  it('counts every shadow evaluation in airlock_shadow_decisions_total', async () => {
    const name = 'airlock_shadow_decisions_total';
    assert.equal(await metric(h, name, 'result="agree"'), 2);
    assert.equal(await metric(h, name, 'result="stricter"'), 2);
    assert.equal(await metric(h, name, 'result="looser"'), 1);
    assert.equal(await metric(h, name, 'result="error"'), 0);
    assert.equal(await metric(plain, name, 'result="agree"'), 0);
  });

  it('GET /v1/policy/shadow reports by transition, by rule and the latest; the CLI reports the same', async () => {
    const response = await h.request('GET', '/v1/policy/shadow?limit=2', { token: alice });
    assert.equal(response.status, 200, response.text);
    const report = shadowReportSchema.parse(response.body);
    const project = h.airlock.project();
    assert.equal(report.shadow?.hash, project.shadow?.hash);
    assert.equal(report.shadow?.sameAsLive, false);
    assert.equal(report.live.hash, project.bundle.hash);
    assert.equal(report.filter.shadowBundle, project.shadow?.hash);
    assert.equal(report.disagreements, 3);
    assert.deepEqual(
      report.transitions.map((t) => [t.live, t.shadow, t.change, t.count]),
      [
        ['deny', 'escalate', 'looser', 1],
        ['execute', 'deny', 'stricter', 1],
        ['execute', 'escalate', 'stricter', 1],
      ],
    );
    assert.deepEqual(
      report.rules.map((r) => [r.rule, r.newlyMatched, r.noLongerMatched, r.effectChanged]),
      [
        ['restart-services', 0, 0, 2],
        ['limit:flush-rate', 1, 0, 0],
        ['limit:restart-targets', 1, 0, 0],
        ['no-full-flush', 0, 1, 0],
      ],
    );
    assert.deepEqual(
      report.latest.map((d) => d.actionId),
      [actions.get('restart two').id, actions.get('restart one').id],
    );

    const viewer = await h.request('GET', '/v1/policy/shadow', { token: await h.person('carol') });
    assert.equal(viewer.status, 200);
    const agent = await h.request('GET', '/v1/policy/shadow', { token: await h.agent('nosy-bot') });
    assert.equal(agent.status, 403);
    const bad = await h.request('GET', '/v1/policy/shadow?since=yesterday', { token: alice });
    assert.equal(bad.status, 422);
    assert.deepEqual(
      bad.body.error.details.map((d: Loose) => d.path),
      ['since'],
    );
    const recent = await h.request('GET', '/v1/policy/shadow?since=1h', { token: alice });
    assert.equal(recent.body.disagreements, 3);
    const later = await h.request('GET', '/v1/policy/shadow?since=2026-11-24T10:00:00.001Z', {
      token: alice,
    });
    assert.deepEqual([later.body.disagreements, later.body.latest], [0, []]);

    const cli = await cliJson('policy', 'shadow', 'report', '--limit', '2', '--config', h.configPath);
    assert.deepEqual({ ...cli, filter: null }, { ...report, filter: null });
  });

  it('a bad shadow policy is rejected at reload with file:line; the shadow and live bundles stay in force', async () => {
    const before = h.airlock.project();
    const broken = path.join(h.dir, 'policies-next', 'broken.yaml');
    await writeFile(
      broken,
      [
        'rules:',
        '  - name: broken-rule',
        "    when: 'request.params.reason ==== 1'",
        '    effect: deny',
        '    reason: x',
        '',
      ].join('\n'),
    );
    try {
      const result = await h.airlock.holder.reload('command');
      assert.ok(!result.ok);
      assert.equal(result.problems.length, 1);
      assert.ok(result.problems[0]?.file.endsWith(path.join('policies-next', 'broken.yaml')));
      assert.equal(result.problems[0]?.line, 3);
      assert.equal(h.airlock.project(), before);
      const bot = await h.agent('after-bad-shadow');
      await h.grant('after-bad-shadow', '*@staging', 2);
      const answer = await h.propose(bot, restart());
      assert.equal(answer.body.decision.effect, 'execute');
      assert.equal(answer.body.decision.policyVersion, before.bundle.hash);
      const row = (await h.airlock.store.listShadowDecisions({ limit: 1 }))[0];
      assert.equal(row?.actionId, answer.body.id);
      assert.equal(row?.shadowBundle, before.shadow?.hash);
    } finally {
      await rm(broken);
    }
  });

  it('a shadow that fails to decide is logged and counted; the live decision stands', async () => {
    const project = h.airlock.project();
    const failing = { ...project.shadow, rules: null } as unknown as Project['shadow'];
    Object.defineProperty(h.airlock.holder, 'current', {
      configurable: true,
      get: () => ({ ...project, shadow: failing }),
    });
    try {
      const bot = await h.agent('unlucky-bot');
      await h.grant('unlucky-bot', '*@staging', 2);
      const answer = await h.propose(bot, restart());
      assert.equal(answer.status, 201, answer.text);
      assert.equal(answer.body.decision.effect, 'execute');
      assert.equal(await metric(h, 'airlock_shadow_decisions_total', 'result="error"'), 1);
      assert.ok(h.logs.some((l) => l.event === 'policy.shadow_failed' && l.action === answer.body.id));
      const rows = await h.airlock.store.listShadowDecisions({ limit: 100 });
      assert.ok(!rows.some((r) => r.actionId === answer.body.id));
    } finally {
      delete (h.airlock.holder as { current?: unknown }).current;
    }
    assert.equal(h.airlock.project(), project);
  });
});

describe('shadow limits counted in the live transaction', () => {
  const rate = (count: number, per: string) => `limits:
  - name: restart-rate
    match: { types: [service.restart] }
    rate: { count: ${count}, per: ${per}, by: [agent, type] }
    effect: escalate
    reason: restarts per window without a human
`;
  let h: Harness;

  before(async () => {
    h = await startHarness({
      files: {
        'policies/limits.yaml': rate(5, '1h'),
        'policies-next/guardrails.yaml': await readFile(
          path.join(QUICKSTART, 'policies', 'guardrails.yaml'),
          'utf8',
        ),
        'policies-next/routine.yaml': await readFile(
          path.join(QUICKSTART, 'policies', 'routine.yaml'),
          'utf8',
        ),
        'policies-next/limits.yaml': rate(1, '30m'),
        'airlock.yaml': (text: string) =>
          text.replace('  defaultEffect: escalate', '  defaultEffect: escalate\n  shadow: policies-next'),
      },
    });
  });

  after(() => h.close());

  it('the same limit name over another window is counted over its own window', async () => {
    const bot = await h.agent('rate-bot');
    await h.grant('rate-bot', 'service.restart@staging', 2);
    const propose = async (reason: string) => {
      const response = await h.propose(bot, restart({ params: { reason } }));
      assert.equal(response.status, 201, response.text);
      assert.equal(response.body.decision.effect, 'execute');
      return response.body.id as string;
    };
    await propose('first leak');
    h.clock.advance(40 * 60_000);
    await propose('second leak'); // one use in the live hour, none in the shadow's half hour: both pass
    assert.deepEqual(await h.airlock.store.listShadowDecisions({ limit: 10 }), []);
    const third = await propose('third leak');
    const [row] = await h.airlock.store.listShadowDecisions({ limit: 10 });
    assert.deepEqual(
      [row?.actionId, row?.liveEffect, row?.shadowEffect, row?.rules.newlyMatched],
      [third, 'execute', 'escalate', ['limit:restart-rate']],
    );
    const limit = row?.reasons.find((r) => r.kind === 'limit');
    assert.match(limit?.message ?? '', /^2nd restart-rate use in 30m; the limit is 1/);
  });
});
