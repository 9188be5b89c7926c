/** The replay report: totals, transitions, per-rule changes, examples, unrecorded counters, skips, self-check, and its Markdown. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blanket, bundleOf, factsOf } from '../../test/fixtures.ts';
import { decide } from '../decide/decide.ts';
import type { DecisionFacts } from '../decide/facts.ts';
import type { PolicyBundle } from '../policy/policy-bundle.ts';
import { type RecordedDecision, replayDecision } from './replay-decision.ts';
import { ReportBuilder, type ReportContext } from './replay-report.ts';
import { renderMarkdown } from './report-markdown.ts';

const recordedBundle = bundleOf([
  blanket('allow', 'restarts-ok'),
  `rules:
  - name: no-prod-scaling
    match: { types: [deployment.scale], environments: [production] }
    effect: escalate
    reason: ask first
`,
]);
const candidateBundle = bundleOf([
  blanket('allow', 'restarts-ok'),
  `rules:
  - name: no-migrations
    match: { types: [database.migrate] }
    effect: deny
    reason: never
  - name: extra-note
    match: { types: [cache.flush] }
    effect: allow
    reason: fine
`,
  `limits:
  - name: daily-restarts
    match: { types: [service.restart], environments: [production] }
    rate: { count: 100, per: 1d }
    effect: escalate
    reason: a cap per day
`,
]);

let next = 0;
function recorded(facts: DecisionFacts, bundle: PolicyBundle = recordedBundle): RecordedDecision {
  const id = `act_${String(++next).padStart(3, '0')}`;
  return JSON.parse(
    JSON.stringify({
      id,
      agentId: facts.agent.id,
      type: facts.request.type,
      environment: facts.request.environment,
      createdAt: facts.now,
      facts,
      decision: decide(facts, bundle),
    }),
  ) as RecordedDecision;
}

const migrate = factsOf({
  request: { type: 'database.migrate', params: { migration: 'x' } },
  action: { tier: 'low' },
});
const scaleProd = factsOf({
  request: { type: 'deployment.scale', environment: 'production', params: { replicas: 3 } },
  environment: { changeWindows: [] },
  trust: { granted: 3 },
});
const flush = factsOf({ request: { type: 'cache.flush', params: {} } });
const restartProd = factsOf({ request: { environment: 'production' }, environment: { changeWindows: [] } });

/**
 * 4 stricter (migrations), 3 looser (production scaling), 2 unchanged with a new rule (flushes),
 * 5 plain unchanged, 2 unchanged touching a new limit (production restarts, escalated already), 1 skipped.
 */
function history(): RecordedDecision[] {
  next = 0;
  const actions = [
    ...Array.from({ length: 4 }, () => recorded(migrate)),
    ...Array.from({ length: 3 }, () => recorded(scaleProd)),
    ...Array.from({ length: 2 }, () => recorded(flush)),
    ...Array.from({ length: 5 }, () => recorded(factsOf())),
    ...Array.from({ length: 2 }, () => recorded(restartProd)),
  ];
  const broken = recorded(factsOf());
  return [...actions, { ...broken, facts: { ...(broken.facts as object), now: undefined } }];
}

const context = (examples = 2): ReportContext => ({
  candidate: { bundle: candidateBundle.hash, policies: 'policies-next', trust: null },
  filter: { since: '2026-11-17T00:00:00.000Z' },
  examples,
});

function build(bundle: PolicyBundle, examples = 2) {
  const report = new ReportBuilder(
    { ...context(examples), candidate: { ...context().candidate, bundle: bundle.hash } },
    true,
  );
  for (const action of history())
    report.add(replayDecision(action, { bundle, trust: null, inventory: new Map() }));
  return report.build();
}

describe('replay report', () => {
  const report = build(candidateBundle);

  it('counts unchanged, stricter, looser, same effect with different rules, and skipped', () => {
    assert.deepEqual(report.totals, {
      replayed: 16,
      unchanged: 9,
      stricter: 4,
      looser: 3,
      sameEffectDifferentRules: 4,
      skipped: 1,
    });
    assert.deepEqual(report.recordedBundles, [{ bundle: recordedBundle.hash, decisions: 16 }]);
    assert.equal(report.selfCheck?.decisions, 0, 'nothing was recorded under the candidate');
  });

  it('breaks changes down by transition and by rule, with action ids', () => {
    assert.deepEqual(
      report.transitions.map((t) => [t.from, t.to, t.change, t.decisions]),
      [
        ['execute', 'deny', 'stricter', 4],
        ['escalate', 'execute', 'looser', 3],
      ],
    );
    assert.deepEqual(
      report.rules.map((r) => [r.name, r.newlyMatched.decisions, r.noLongerMatched.decisions]),
      [
        ['no-migrations', 4, 0],
        ['no-prod-scaling', 0, 3],
        ['extra-note', 2, 0],
        ['limit:daily-restarts', 2, 0],
      ],
    );
    assert.deepEqual(report.rules[0]?.newlyMatched.actions, ['act_001', 'act_002', 'act_003', 'act_004']);
  });

  it('keeps the asked number of examples per kind, with what made the difference', () => {
    assert.equal(report.examples.stricter.length, 2);
    assert.equal(report.examples.looser.length, 2);
    assert.equal(report.examples.sameEffectDifferentRules.length, 2);
    const [first] = report.examples.stricter;
    assert.deepEqual(
      { ...first, at: undefined, recordedBundle: undefined },
      {
        action: 'act_001',
        agent: 'triage-bot',
        type: 'database.migrate',
        environment: 'staging',
        at: undefined,
        before: 'execute',
        after: 'deny',
        level: { before: 2, after: 2 },
        newlyMatched: ['no-migrations'],
        noLongerMatched: [],
        nowBlocking: [],
        noLongerBlocking: [],
        recordedBundle: undefined,
      },
    );
    assert.equal(build(candidateBundle, 0).examples.looser.length, 0);
  });

  it('counts decisions touching a limit whose counters were not recorded, and skipped ones by reason', () => {
    assert.deepEqual(report.unrecordedCounters, {
      decisions: 2,
      stricterBecauseOfThem: 0,
      limits: [{ limit: 'daily-restarts', decisions: 2 }],
      actions: ['act_015', 'act_016'],
    });
    assert.deepEqual(
      report.skipped.map((s) => [s.reason, s.decisions]),
      [['the facts lack now (stored before it existed?)', 1]],
    );
  });

  it('self-checks decisions recorded under the candidate bundle: all unchanged', () => {
    const same = build(recordedBundle);
    assert.deepEqual(same.selfCheck, { decisions: 16, differing: { decisions: 0, actions: [] } });
    assert.equal(same.totals.unchanged, 16);
    assert.deepEqual(same.rules, []);
  });

  it('renders Markdown with every section and the figures', () => {
    const text = renderMarkdown(report);
    for (const heading of [
      '# Replay of 16 decisions',
      '## Summary',
      '## Changes by transition',
      '## Rules and limits',
      '## Limits whose counters were not recorded',
      '## Examples',
      '### Stricter (4)',
      '### Looser (3)',
      '### Same effect, different rules (4)',
      '## Skipped',
    ])
      assert.ok(
        text.includes(`\n${heading}\n`) || text.startsWith(`${heading}\n`),
        `missing ${heading}\n${text}`,
      );
    assert.match(text, /\| stricter \| 4 \| 25\.0% \|/);
    assert.match(text, /\| execute \| deny \| stricter \| 4 \|/);
    assert.match(text, /\| `no-migrations` \| 4 \| 0 \| `act_001`, `act_002`/);
    assert.match(
      text,
      /- `act_001` triage-bot `database\.migrate@staging` at .*: \*\*execute → deny\*\* \(level 2\)/,
    );
    assert.match(text, /newly matches `no-migrations`/);
    assert.match(text, /2 decisions touch a limit whose counters were not recorded/);
    assert.match(text, /policies from `policies-next`/);
    assert.match(text, /Selection: since 2026-11-17T00:00:00\.000Z\./);
    assert.match(
      renderMarkdown(build(recordedBundle)),
      /Self-check: all 16 decisions recorded under the candidate bundle came out exactly as recorded/,
    );
  });
});
