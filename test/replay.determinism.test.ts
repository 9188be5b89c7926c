/**
 * Deterministic inputs: every recorded decision stores exactly the facts decide() saw, so deciding
 * them again with the same bundle gives the same decision — over a few hundred decisions of every
 * kind made through the real server.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decide } from '../src/decide/decide.ts';
import type { DecisionFacts } from '../src/decide/facts.ts';
import type { Reason } from '../src/domain/decision.ts';
import { runReplay } from '../src/replay/replay-runner.ts';
import type { ActionRecord } from '../src/store/records.ts';
import { type History, recordHistory } from './replay-history.ts';

describe('deterministic inputs', () => {
  let history: History;
  let actions: ActionRecord[];

  before(async () => {
    history = await recordHistory();
    actions = await history.h.airlock.store.listActions({ limit: 10_000 });
  });
  after(() => history?.h.close());

  const has = (predicate: (reason: Reason, action: ActionRecord) => boolean) =>
    actions.filter((a) => a.decision.reasons.some((r) => predicate(r, a))).length;

  it('the history holds every kind of decision and fact', () => {
    assert.equal(actions.length, history.count);
    assert.ok(actions.length >= 300, String(actions.length));
    const effects = Map.groupBy(actions, (a) => a.decision.effect);
    for (const effect of ['advise', 'execute', 'escalate', 'deny'] as const)
      assert.ok((effects.get(effect)?.length ?? 0) >= 10, `${effect}: ${effects.get(effect)?.length ?? 0}`);
    const levels = new Set(actions.map((a) => a.decision.trustLevel));
    assert.deepEqual([...levels].sort(), [0, 1, 2, 3]);
    assert.ok(has((r) => r.kind === 'limit' && !r.passed) > 0, 'a rate limit was hit');
    assert.ok(has((r) => r.kind === 'limit' && r.passed) > 0, 'a rate limit was passed');
    assert.ok(has((r) => r.kind === 'cap' && r.code === 'confidence' && r.basis === 'calibrated') > 0);
    assert.ok(has((r) => r.kind === 'cap' && r.code === 'change_window' && !r.passed) > 0);
    assert.ok(has((r) => r.kind === 'cap' && r.code === 'change_window' && r.passed) > 0);
    assert.ok(has((r) => r.kind === 'frozen') > 0, 'decided during a freeze');
    assert.ok(has((r) => r.kind === 'revision') === 1, 'one revision');
    assert.ok(
      actions.some((a) => a.decision.route !== null),
      'a rule named a route',
    );
  });

  it('deciding the stored facts again with the bundle in force gives every stored decision, exactly', () => {
    const { bundle } = history.h.airlock.project();
    let compared = 0;
    for (const action of actions) {
      assert.equal(action.decision.policyVersion, bundle.hash);
      const again = JSON.parse(JSON.stringify(decide(action.facts as unknown as DecisionFacts, bundle)));
      assert.deepEqual(again, action.decision, `${action.id} (${action.type}@${action.environment})`);
      compared += 1;
    }
    assert.equal(compared, history.count);
  });

  it('airlock replay with the project bundle finds every decision unchanged (its self-check)', async () => {
    const { bundle, inventory } = history.h.airlock.project();
    const report = await runReplay({
      store: history.h.airlock.store,
      candidate: { bundle, trust: null, inventory },
      selection: {},
      context: { candidate: { bundle: bundle.hash, policies: null, trust: null }, filter: {}, examples: 3 },
      pageSize: 50,
    });
    assert.deepEqual(report.totals, {
      replayed: history.count,
      unchanged: history.count,
      stricter: 0,
      looser: 0,
      sameEffectDifferentRules: 0,
      skipped: 0,
    });
    assert.deepEqual(report.selfCheck, {
      decisions: history.count,
      differing: { decisions: 0, actions: [] },
    });
  });
});
