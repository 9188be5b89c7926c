/** End to end over HTTP: evidence earns a promotion under criteria as code, a rolled-back restart takes it away. */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { type Fleet, startFleet } from '../sandbox/fleet.ts';
import { expectError } from './approval-helpers.ts';
import { pathKinds, settle, startFleetHarness, verifiedRestart } from './execution-helpers.ts';
import { type Harness, type Loose, restart } from './harness.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
const SCOPE = 'service.restart@staging';
const TO_LEVEL_2 = {
  minApproved: 8,
  minAgreementLowerBound: 0.6,
  noRollbackWithin: '30d',
  maxEce: 0.3,
  minTimeAtLevel: '1d',
};

/** The quickstart's airlock.yaml with small promotion criteria for level 2. */
function airlockYaml(original: string): string {
  const config = parse(original);
  config.trust.promotion.toLevel2 = TO_LEVEL_2;
  return stringify(config);
}

describe('trust end to end: earned with evidence, promoted by an admin, lost on a rollback', () => {
  let fleet: Fleet;
  let h: Harness;
  let agent: string;
  let alice: string;
  let bob: string;

  before(async () => {
    fleet = await startFleet();
    h = await startFleetHarness({
      fleet,
      files: { 'airlock.yaml': airlockYaml },
      types: {
        'service.restart': verifiedRestart(fleet.url),
      },
    });
    agent = await h.agent('ops-bot');
    alice = await h.person('alice');
    bob = await h.person('bob');
    await h.grant('ops-bot', SCOPE, 1);
  });

  after(async () => {
    await h?.close();
    await fleet?.close();
  });

  const proposeCheckout = () => h.propose(agent, restart({ targets: [{ id: 'checkout' }] }));
  const promote = (token: string) =>
    h.request('PUT', '/v1/agents/ops-bot/trust', {
      token,
      body: { scope: SCOPE, level: 2, reason: 'eight clean approved restarts over a day' },
    });
  const agentAudit = async (kind: string) =>
    (await h.airlock.store.auditForSubject('ops-bot'))
      .filter((e) => e.kind === kind)
      .map((e) => ({ ...e, data: JSON.parse(e.data) as Loose }));
  const recommended = async () => {
    const response = await h.request('GET', '/v1/trust/recommendations', { token: bob });
    assert.equal(response.status, 200, response.text);
    return (response.body.recommendations as Loose[]).find((r) => r.agent === 'ops-bot' && r.scope === SCOPE);
  };

  /** Propose at level 1, have bob approve it over HTTP, and wait for Airlock to execute and verify it. */
  async function approvedRestart(): Promise<Loose> {
    const proposed = await proposeCheckout();
    assert.equal(proposed.status, 201, proposed.text);
    assert.equal(proposed.body.decision.effect, 'escalate', proposed.text);
    assert.equal(proposed.body.decision.trustLevel, 1);
    assert.equal(proposed.body.status, 'pending_approval');
    const vote = await h.request('POST', `/v1/approvals/${proposed.body.approval.id}/decisions`, {
      token: bob,
      body: { verdict: 'approve', comment: 'looks right' },
    });
    assert.equal(vote.status, 200, vote.text);
    const done = await settle(h, agent, proposed.body.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.verification.passed, true);
    h.clock.advance(MINUTE);
    return done;
  }

  it('earns level 2 with approved, executed and verified restarts, and an admin promotes it', async () => {
    for (let i = 0; i < 7; i++) await approvedRestart();
    assert.equal(fleet.service('checkout')?.restarts, 7, 'Airlock restarted checkout once per approval');

    // Seven approvals on the same day: the criteria name what is missing.
    assert.equal(await recommended(), undefined, 'not recommended before the criteria are met');
    const early = expectError(await promote(alice), 409, 'criteria_not_met');
    const unmet = early.details.map((d) => d.path).sort();
    assert.deepEqual(unmet, ['toLevel2.minApproved', 'toLevel2.minTimeAtLevel'], JSON.stringify(early));

    await approvedRestart();
    assert.equal(await recommended(), undefined, 'eight approvals, but not a day at level 1 yet');
    h.clock.advance(DAY);

    const recommendation = await recommended();
    assert.ok(recommendation, 'the scope qualifies once it has held level 1 for a day');
    assert.equal(recommendation.from, 1);
    assert.equal(recommendation.to, 2);
    assert.equal(recommendation.check.qualifies, true);
    assert.deepEqual(
      recommendation.check.criteria.map((c: Loose) => [c.criterion, c.passed]).sort(),
      Object.keys(TO_LEVEL_2)
        .map((k) => [k, true])
        .sort(),
    );
    assert.equal(recommendation.metrics.atLevel.approved, 8);
    assert.equal(recommendation.metrics.counts.approved_unchanged, 8);
    assert.equal(recommendation.metrics.counts.succeeded, 8);
    assert.equal(recommendation.metrics.agreement.successes, 8);
    assert.ok(recommendation.metrics.agreement.lower >= 0.6, String(recommendation.metrics.agreement.lower));
    assert.ok(recommendation.metrics.calibration.ece <= 0.3, String(recommendation.metrics.calibration.ece));
    assert.equal(recommendation.metrics.rollbacks, 0);

    // Promotion is an admin's decision: an approver may not, alice may.
    expectError(await promote(bob), 403, 'forbidden');
    assert.equal((await agentAudit('trust.promoted')).length, 1, 'only the initial grant so far');
    const promoted = await promote(alice);
    assert.equal(promoted.status, 200, promoted.text);
    assert.deepEqual([promoted.body.from, promoted.body.to], [1, 2]);
    assert.equal(promoted.body.promotion.override, false);

    const event = (await agentAudit('trust.promoted')).at(-1);
    assert.ok(event);
    assert.deepEqual(event.actor, { kind: 'person', id: 'alice' });
    assert.equal(event.data.override, false);
    assert.equal(event.data.scope, SCOPE);
    assert.deepEqual([event.data.from, event.data.to], [1, 2]);
    assert.equal(event.data.reason, 'eight clean approved restarts over a day');
    assert.equal(event.data.metrics.atLevel.approved, 8, 'the evidence snapshot is kept with the promotion');
    assert.equal(event.data.metrics.counts.succeeded, 8);
    assert.equal(event.data.checks[0].to, 2);
    assert.ok(event.data.checks[0].criteria.every((c: Loose) => c.passed));
  });

  it('at level 2 the next restart executes and verifies without a human', async () => {
    const proposed = await proposeCheckout();
    assert.equal(proposed.status, 201, proposed.text);
    assert.equal(proposed.body.decision.effect, 'execute', proposed.text);
    assert.equal(proposed.body.decision.trustLevel, 2);
    assert.equal(proposed.body.approval, null, 'no approval was opened');
    const done = await settle(h, agent, proposed.body.id);
    assert.equal(done.status, 'succeeded');
    assert.ok(!pathKinds(done).includes('approval.opened'), pathKinds(done).join(' '));
    assert.equal(fleet.service('checkout')?.restarts, 9);
  });

  it('a restart that degrades the service fails verification, is rolled back, and demotes the scope', async () => {
    const armed = await fetch(`${fleet.url}/services/checkout/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ onRestart: { errorRate: 0.5 } }),
    });
    assert.equal(armed.status, 200);
    const proposed = await proposeCheckout();
    assert.equal(proposed.body.decision.effect, 'execute', proposed.text);
    const done = await settle(h, agent, proposed.body.id);
    assert.equal(done.status, 'rolled_back', JSON.stringify(done));
    assert.equal(done.verification.passed, false);
    assert.deepEqual(done.verification.failed, ['service health is 200']);
    assert.equal(done.rollback.outcome, 'succeeded');
    assert.equal(fleet.service('checkout')?.healthy, true, 'the rollback recovered checkout');

    const demoted = (await agentAudit('trust.demoted')).filter((e) => e.data.action === proposed.body.id);
    assert.equal(demoted.length, 1, 'a failed verification and its rollback demote once');
    assert.deepEqual(demoted[0]?.data, {
      action: proposed.body.id,
      event: 'verification_failed',
      rule: 'verificationFailed',
      does: 'drop_one',
      scope: SCOPE,
      from: 2,
      to: 1,
      suspended: false,
    });
    assert.deepEqual(demoted[0]?.actor, { kind: 'system', id: 'airlock' });

    const trust = await h.request('GET', '/v1/agents/ops-bot/trust', { token: bob });
    assert.equal(trust.status, 200, trust.text);
    const scope = trust.body.scopes.find((s: Loose) => s.scope === SCOPE);
    assert.equal(scope.level, 1);
    assert.equal(scope.grantedBy, 'airlock');
    assert.equal(scope.metrics.rollbacks, 1);
    const quiet = scope.next.criteria.find((c: Loose) => c.criterion === 'noRollbackWithin');
    assert.equal(quiet.passed, false, 'the rollback now blocks the next promotion');
    assert.equal(await recommended(), undefined);
  });

  it("the agent's next restart waits for a human again, and the audit chain verifies", async () => {
    const proposed = await proposeCheckout();
    assert.equal(proposed.status, 201, proposed.text);
    assert.equal(proposed.body.decision.effect, 'escalate');
    assert.equal(proposed.body.decision.trustLevel, 1);
    assert.equal(proposed.body.status, 'pending_approval');
    const cap = proposed.body.decision.reasons.find((r: Loose) => r.kind === 'cap');
    assert.equal(cap?.code, 'level_assisted', JSON.stringify(proposed.body.decision.reasons));

    const verified = await h.request('GET', '/v1/audit/verify', { token: alice });
    assert.equal(verified.status, 200, verified.text);
    assert.equal(verified.body.ok, true, verified.text);
    assert.equal(verified.body.firstBad, null);
  });
});
