/** Trust and evidence over HTTP: reviews, incidents, promotion checks, revocation, denied bursts and calibration. */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { expectError } from './approval-helpers.ts';
import { type Harness, type Loose, type Response, restart, startHarness } from './harness.ts';

/** The quickstart's airlock.yaml with a short denied-burst rule, no demotion on failure, and calibration at 10. */
function airlockYaml(original: string): string {
  const config = parse(original);
  config.trust.demotion.deniedBurst = { count: 3, within: '1h', action: 'drop_one' };
  config.trust.demotion.failed = 'none';
  config.trust.calibration = { minEvidence: 10 };
  return stringify(config);
}

const flush = (confidence: number) => ({
  type: 'cache.flush',
  environment: 'staging',
  targets: [{ id: 'redis-1' }],
  params: { keyPattern: 'session:*' },
  confidence,
  anomalyScore: 0.1,
  reasoning: 'stale sessions after the deploy',
});

const dropTable = {
  type: 'database.migrate',
  environment: 'staging',
  targets: [{ id: 'orders-db' }],
  params: { migration: '0042_drop_legacy_orders', dropsData: true },
  confidence: 0.9,
  anomalyScore: 0.1,
};

/** Wilson score lower bound (95%), written out here to check the API's figure independently. */
function wilson(successes: number, n: number): number {
  const z = 1.959963984540054;
  const p = successes / n;
  const centre = p + (z * z) / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return (centre - spread) / (1 + (z * z) / n);
}

describe('trust and evidence endpoints', () => {
  let h: Harness;
  let alice = '';
  let bob = '';
  let carol = '';

  before(async () => {
    h = await startHarness({ files: { 'airlock.yaml': airlockYaml } });
    [alice = '', bob = '', carol = ''] = await Promise.all(['alice', 'bob', 'carol'].map((p) => h.person(p)));
  });

  after(() => h?.close());

  const review = (id: string, token: string, body: unknown) =>
    h.request('POST', `/v1/actions/${id}/review`, { token, body });
  const incident = (id: string, token: string, body: unknown) =>
    h.request('POST', `/v1/actions/${id}/incidents`, { token, body });
  const setTrust = (agent: string, body: unknown, token = alice) =>
    h.request('PUT', `/v1/agents/${agent}/trust`, { token, body });
  const report = async (token: string, id: string, body: unknown) => {
    const reported = await h.request('POST', `/v1/actions/${id}/outcome`, { token, body });
    assert.equal(reported.status, 200, reported.text);
  };
  const trustOf = async (agent: string) => {
    const response = await h.request('GET', `/v1/agents/${agent}/trust`, { token: carol });
    assert.equal(response.status, 200, response.text);
    return response.body as Loose;
  };
  const scopeOf = async (agent: string, scope: string) =>
    (await trustOf(agent)).scopes.find((s: Loose) => s.scope === scope);
  const levelOf = async (agent: string, scope: string) => (await scopeOf(agent, scope))?.level ?? 0;
  const paths = (error: { details: { path: string }[] }) => error.details.map((d) => d.path);
  /** The fields a 422 names. */
  const invalid = async (response: Promise<Response>) =>
    paths(expectError(await response, 422, 'validation_failed'));
  const agentEvents = async (agent: string, kind: string) =>
    (await h.airlock.store.auditForSubject(agent))
      .filter((e) => e.kind === kind)
      .map((e) => ({ ...e, data: JSON.parse(e.data) as Loose }));

  it('reviews level-0 advice once, as a person who may vote, with a well-formed verdict', async () => {
    const agent = await h.agent('advice-bot');
    const advised = async () => {
      const proposed = await h.propose(agent, restart());
      assert.equal(proposed.body.status, 'advised', proposed.text);
      return proposed.body.id as string;
    };
    const [first, second, third] = [await advised(), await advised(), await advised()];

    const agreed = await review(first, bob, { verdict: 'agree', comment: 'I would have restarted it too' });
    assert.equal(agreed.status, 200, agreed.text);
    assert.deepEqual(agreed.body, {
      action: first,
      agent: 'advice-bot',
      kind: 'advice_agreed',
      by: 'bob',
      demotions: [],
    });
    expectError(await review(first, alice, { verdict: 'disagree' }), 409, 'conflict');
    const disagreed = await review(second, alice, { verdict: 'disagree' });
    assert.equal(disagreed.status, 200, disagreed.text);
    assert.equal(disagreed.body.kind, 'advice_disagreed');

    expectError(await review(third, carol, { verdict: 'agree' }), 403, 'forbidden');
    const asAgent = await review(third, agent, { verdict: 'agree' });
    assert.ok([401, 403].includes(asAgent.status), `an agent cannot review as a person: ${asAgent.text}`);
    expectError(await review('act_00000000000000000000000000', bob, { verdict: 'agree' }), 404, 'not_found');
    assert.deepEqual(await invalid(review(third, bob, { verdict: 'maybe' })), ['verdict']);
    assert.deepEqual(await invalid(review(third, bob, { verdict: 'agree', score: 5 })), ['score']);

    await h.grant('advice-bot', 'cache.flush@staging', 1);
    const pending = await h.propose(agent, flush(0.9));
    assert.equal(pending.body.status, 'pending_approval', pending.text);
    expectError(await review(pending.body.id, bob, { verdict: 'agree' }), 409, 'invalid_state');

    // Only the two accepted verdicts are evidence; the refused attempts left nothing behind.
    const { metrics } = await scopeOf('advice-bot', 'service.restart@staging');
    assert.deepEqual([metrics.counts.advice_agreed, metrics.counts.advice_disagreed], [1, 1]);
    assert.deepEqual(metrics.agreement, { successes: 1, trials: 2, rate: 0.5, lower: wilson(1, 2) });
    const audited = (await h.airlock.store.auditForSubject(third)).map((e) => e.kind);
    assert.ok(!audited.includes('advice.reviewed'), 'refused reviews are not audited');
  });

  it('an incident on a cleared action drops its scope to 0 at once; once per action; only for what ran', async () => {
    const agent = await h.agent('permit-bot');
    await h.grant('permit-bot', 'service.restart@staging', 2);
    const cleared = await h.propose(agent, restart());
    assert.equal(cleared.body.decision.effect, 'execute', cleared.text);
    assert.equal(cleared.body.status, 'approved');
    assert.ok(cleared.body.permit?.token, 'an agent-executed type is cleared with a permit');

    assert.deepEqual(await invalid(incident(cleared.body.id, bob, { reason: ' no ' })), ['reason']);
    expectError(await incident(cleared.body.id, carol, { reason: 'it took the API down' }), 403, 'forbidden');
    const reported = await incident(cleared.body.id, bob, { reason: 'the restart dropped in-flight orders' });
    assert.equal(reported.status, 200, reported.text);
    assert.equal(reported.body.kind, 'incident');
    assert.equal(reported.body.by, 'bob');
    const [demotion, ...others] = reported.body.demotions;
    assert.equal(others.length, 0);
    const { agentId, actionId, event, rule, action, scope, from, to, suspended } = demotion;
    assert.equal(
      [agentId, actionId, event, rule, action, scope, from, to, suspended].join(' '),
      `permit-bot ${cleared.body.id} incident incident drop_to_zero service.restart@staging 2 0 false`,
    );
    assert.equal(await levelOf('permit-bot', 'service.restart@staging'), 0);
    const demoted = await agentEvents('permit-bot', 'trust.demoted');
    assert.equal(demoted.length, 1);
    assert.equal(demoted[0]?.data.event, 'incident');

    const next = await h.propose(agent, restart());
    assert.equal(next.body.status, 'advised', next.text);
    assert.equal(next.body.decision.trustLevel, 0);

    expectError(await incident(cleared.body.id, alice, { reason: 'and it happened again' }), 409, 'conflict');
    expectError(await incident(next.body.id, bob, { reason: 'advice never ran' }), 409, 'invalid_state');
    assert.equal((await agentEvents('permit-bot', 'trust.demoted')).length, 1, 'refusals demote nothing');
  });

  it('a raise must meet the criteria of every level it passes, unless an admin overrides', async () => {
    await h.agent('raise-bot');
    const raise = { scope: 'service.restart@staging', level: 2, reason: 'it looks fine to me' };
    const refused = expectError(await setTrust('raise-bot', raise), 409, 'criteria_not_met');
    const unmet = paths(refused);
    for (const path of ['toLevel1.minEvidence', 'toLevel1.minAgreementLowerBound', 'toLevel2.minApproved'])
      assert.ok(unmet.includes(path), `${path} in ${unmet.join(', ')}`);
    assert.ok(
      refused.details.every((d) => d.message.length > 0),
      'each unmet criterion says what it saw',
    );
    assert.equal(await levelOf('raise-bot', 'service.restart@staging'), 0, 'nothing changed');
    assert.deepEqual(await agentEvents('raise-bot', 'trust.promoted'), []);

    expectError(await setTrust('raise-bot', { ...raise, override: true }, bob), 403, 'forbidden');
    const overridden = await setTrust('raise-bot', { ...raise, override: true });
    assert.equal(overridden.status, 200, overridden.text);
    assert.deepEqual([overridden.body.from, overridden.body.to], [0, 2]);
    assert.equal(overridden.body.promotion.override, true);
    assert.equal(await levelOf('raise-bot', 'service.restart@staging'), 2);
    const [event, ...more] = await agentEvents('raise-bot', 'trust.promoted');
    assert.equal(more.length, 0);
    assert.deepEqual(event?.actor, { kind: 'person', id: 'alice' });
    assert.equal(event?.data.override, true);
    assert.equal(event?.data.reason, 'it looks fine to me');
    assert.deepEqual(
      event?.data.checks.map((c: Loose) => `${c.to}:${c.qualifies}`).join(),
      '1:false,2:false',
    );
  });

  it('revocation takes every scope to 0 and freezes the agent; only admins revoke', async () => {
    const agent = await h.agent('revoke-bot');
    await h.grant('revoke-bot', 'service.restart@staging', 2);
    await h.grant('revoke-bot', 'cache.*@*', 1);
    const revoke = (token: string) =>
      h.request('POST', '/v1/agents/revoke-bot/trust/revoke', { token, body: { reason: 'leaked token' } });

    expectError(await revoke(bob), 403, 'forbidden');
    assert.equal(
      await levelOf('revoke-bot', 'service.restart@staging'),
      2,
      'a refused revocation changes nothing',
    );
    const revoked = await revoke(alice);
    assert.equal(revoked.status, 200, revoked.text);
    const changes = revoked.body.changes.map((c: Loose) => `${c.scope}:${c.from}->${c.to}`).sort();
    assert.deepEqual(changes, ['cache.*@*:1->0', 'service.restart@staging:2->0']);
    const levels = (await trustOf('revoke-bot')).scopes.map((s: Loose) => `${s.scope}:${s.level}`).sort();
    assert.deepEqual(levels, ['cache.*@*:0', 'service.restart@staging:0']);
    const freezes = await h.request('GET', '/v1/freeze', { token: carol });
    assert.equal(freezes.status, 200, freezes.text);
    const frozen = freezes.body.freezes.find((f: Loose) => f.scope === 'revoke-bot');
    assert.ok(frozen, JSON.stringify(freezes.body));
    assert.equal(frozen.frozenBy, 'alice');
    assert.match(frozen.reason, /leaked token/);
    const after = await h.propose(agent, restart());
    assert.equal(after.body.decision.effect, 'advise', after.text);
  });

  /** An agent with `grants` proposing data-dropping migrations, one a second, each denied by policy. */
  async function denier(id: string, grants: Record<string, number>) {
    const token = await h.agent(id);
    for (const [scope, level] of Object.entries(grants)) await h.grant(id, scope, level);
    return {
      token,
      deny: async () => {
        h.clock.advance(1_000);
        const proposed = await h.propose(token, dropTable);
        assert.equal(proposed.body.status, 'denied', proposed.text);
        return proposed.body.id as string;
      },
      demoted: () => agentEvents(id, 'trust.demoted'),
    };
  }

  it('a burst of denied proposals drops the level once; later denials count afresh', async () => {
    const { token, deny, demoted } = await denier('deny-bot', { '*@staging': 2 });
    const restartLevel = async () => (await h.propose(token, restart())).body.decision.trustLevel as number;

    await deny();
    await deny();
    assert.equal(await levelOf('deny-bot', '*@staging'), 2, 'two denials are not a burst');
    const third = await deny();
    assert.equal(await levelOf('deny-bot', '*@staging'), 1, 'the third denial in the hour drops a level');
    assert.equal(await restartLevel(), 1, 'service.restart@staging is decided at level 1 now');
    const events = await demoted();
    assert.equal(events.length, 1);
    const { action, event, rule, does, scope, from, to } = events[0]?.data ?? {};
    assert.deepEqual(
      [action, event, rule, does, scope, from, to],
      [third, 'denied_burst', 'deniedBurst', 'drop_one', '*@staging', 2, 1],
    );

    await deny();
    assert.equal(await levelOf('deny-bot', '*@staging'), 1, 'the fourth denial starts a new count');
    await deny();
    assert.equal((await demoted()).length, 1, 'two denials since the burst are not another');
    await deny();
    assert.equal(await levelOf('deny-bot', '*@staging'), 0, 'three more denials are a second burst');
    assert.equal((await demoted()).length, 2);
  });

  it('a burst of denied migrations lowers every grant the agent holds, here service.restart@staging', async () => {
    const { deny, demoted } = await denier('burst-bot', { 'service.restart@staging': 2 });
    await deny();
    await deny();
    const third = await deny();
    const burst = await h.airlock.store.listEvidence({ actionId: third, kinds: ['denied_burst'], limit: 1 });
    assert.equal(burst.length, 1, 'the third denial is recorded as a burst');
    assert.equal(
      await levelOf('burst-bot', 'service.restart@staging'),
      1,
      'a burst is the agent’s conduct as a whole: it lowers grants of other types too',
    );
    assert.equal((await demoted()).length, 1);
  });

  it('calibrates stated confidence on labelled outcomes: an over-confident agent escalates', async () => {
    const agent = await h.agent('cache-bot');
    await h.grant('cache-bot', 'cache.flush@staging', 2);
    const outcomes = ['failed', 'succeeded', 'failed', 'failed', 'failed', 'failed', 'succeeded'];
    outcomes.push('failed', 'failed', 'failed');
    for (const [i, outcome] of outcomes.entries()) {
      const proposed = await h.propose(agent, flush(0.95));
      assert.equal(proposed.body.decision.effect, 'execute', `proposal ${i}: ${proposed.text}`);
      const cap = proposed.body.decision.reasons.find((r: Loose) => r.code === 'confidence');
      assert.equal(cap.basis, 'stated', `proposal ${i} has ${i} outcomes: too few to calibrate`);
      const { token } = proposed.body.permit;
      await report(agent, proposed.body.id, { permit: token, outcome, message: outcome });
    }

    const proposed = await h.propose(agent, flush(0.95));
    assert.equal(proposed.status, 201, proposed.text);
    assert.equal(proposed.body.decision.effect, 'escalate', proposed.text);
    assert.equal(proposed.body.status, 'pending_approval');
    const cap = proposed.body.decision.reasons.find((r: Loose) => r.code === 'confidence');
    assert.equal(cap.basis, 'calibrated', JSON.stringify(cap));
    assert.equal(cap.passed, false);
    assert.match(cap.message, /calibrated confidence 0\.2 < 0\.8 \(stated 0\.95, calibrated on 10 outcomes/);
    const facts = (await h.airlock.store.getAction(proposed.body.id))?.facts as Loose;
    assert.equal(facts.calibration.scope, 'cache.flush@staging');
    assert.ok(facts.calibration.n >= 10, String(facts.calibration.n));
    assert.deepEqual(facts.calibration.knots, [[0.95, 0.2]]);
    assert.equal(facts.calibration.calibrated, 0.2, 'well below the stated 0.95');
  });

  it("shows a scope's evidence: counts, success with its lower bound, a 10-bin calibration table, the next level", async () => {
    const scope = await scopeOf('cache-bot', 'cache.flush@staging');
    assert.ok(scope, 'the granted scope is listed');
    assert.equal(scope.level, 2);
    assert.equal(scope.grantedBy, 'alice');
    const { metrics } = scope;
    assert.deepEqual(
      [metrics.counts.succeeded, metrics.counts.failed, metrics.counts.approved_unchanged],
      [2, 8, 0],
    );
    assert.deepEqual(metrics.atLevel, { level: 2, evidence: 10, approved: 0, succeeded: 2 });
    assert.deepEqual([metrics.success.successes, metrics.success.trials, metrics.success.rate], [2, 10, 0.2]);
    assert.ok(Math.abs(metrics.success.lower - wilson(2, 10)) < 1e-12, String(metrics.success.lower));

    const { calibration } = metrics;
    assert.equal(calibration.n, 10);
    assert.equal(calibration.table.length, 10);
    assert.deepEqual(calibration.table.map((b: Loose) => b.count).join(), '0,0,0,0,0,0,0,0,0,10');
    const top = calibration.table[9];
    assert.deepEqual([top.from, top.to, top.meanConfidence, top.observedRate], [0.9, 1, 0.95, 0.2]);
    assert.ok(Math.abs(calibration.ece - 0.75) < 1e-9, String(calibration.ece));
    assert.ok(Math.abs(calibration.brier - (8 * 0.95 ** 2 + 2 * 0.05 ** 2) / 10) < 1e-9);

    assert.deepEqual([scope.next.from, scope.next.to, scope.next.qualifies], [2, 3, false]);
    const byName = Object.fromEntries(scope.next.criteria.map((c: Loose) => [c.criterion, c]));
    assert.match(byName.minSucceeded.message, /succeeded at level 2 2 < 100/);
    assert.equal(byName.minSucceeded.passed, false);
    assert.match(byName.maxEce.message, /calibration error \(ECE\) 0\.75 > 0\.1/);
    assert.equal(byName.noIncidentWithin.passed, true);
  });
});
