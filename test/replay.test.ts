/**
 * `airlock replay` on a history recorded through the real server: a candidate bundle making some
 * decisions stricter, some looser, most unchanged, and adding a limit whose counters were never
 * kept; candidate trust (thresholds, grants, calibration); Markdown, JSON, filters, --fail-on.
 */

import assert from 'node:assert/strict';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import type { Reason } from '../src/domain/decision.ts';
import { runReplay } from '../src/replay/replay-runner.ts';
import type { ActionRecord } from '../src/store/records.ts';
import { type CliRun, cli } from './cli-helpers.ts';
import type { Harness, Loose } from './harness.ts';
import { RATE_LIMITS, recordHistory } from './replay-history.ts';

const DENY_FLUSHES = `
  - name: no-cache-flush-in-staging
    match: { types: [cache.flush], environments: [staging] }
    effect: deny
    reason: caches are flushed by the platform team now
`;

const NEW_LIMIT = `
  - name: production-restarts
    match: { types: [service.restart], environments: [production] }
    rate: { count: 50, per: 1d, by: [agent] }
    effect: escalate
    reason: a daily budget for production restarts
`;

describe('airlock replay', () => {
  let h: Harness;
  let actions: ActionRecord[];
  let policies: string;
  const savedConfig = process.env.AIRLOCK_CONFIG;

  before(async () => {
    ({ h } = await recordHistory());
    actions = await h.airlock.store.listActions({ limit: 10_000 });
    // The candidate: flushes denied in staging, restarts' rate raised from 3 to 6, a new limit.
    policies = path.join(h.dir, 'policies-next');
    await cp(path.join(h.dir, 'policies'), policies, { recursive: true });
    const guardrails = path.join(policies, 'guardrails.yaml');
    await writeFile(guardrails, (await readFile(guardrails, 'utf8')) + DENY_FLUSHES);
    await writeFile(
      path.join(policies, 'limits.yaml'),
      RATE_LIMITS.replace('count: 3', 'count: 6') + NEW_LIMIT,
    );
    process.env.AIRLOCK_CONFIG = h.configPath;
  });
  after(async () => {
    if (savedConfig === undefined) delete process.env.AIRLOCK_CONFIG;
    else process.env.AIRLOCK_CONFIG = savedConfig;
    await h?.close();
  });

  const of = (agent: string, type?: string, environment?: string) =>
    actions.filter(
      (a) =>
        a.agentId === agent &&
        (type === undefined || a.type === type) &&
        (environment === undefined || a.environment === environment),
    );
  const reasons = (a: ActionRecord) => a.decision.reasons as readonly Reason[];
  const rateLimited = (a: ActionRecord) => reasons(a).some((r) => r.kind === 'limit' && !r.passed);
  const frozen = (a: ActionRecord) => a.facts.frozen === true;

  async function json(...args: string[]) {
    const run = await cli('replay', ...args, '--json');
    assert.equal(run.code, 0, run.err.join('\n'));
    return JSON.parse(run.out.join('\n'));
  }

  /** A copy of the project's airlock.yaml with its trust section edited, as a candidate trust file. */
  async function trustFile(name: string, edit: (trust: Record<string, unknown>) => void): Promise<string> {
    const config = parse(await readFile(h.configPath, 'utf8'));
    edit(config.trust);
    const file = path.join(h.dir, name);
    await writeFile(file, stringify(config));
    return file;
  }

  describe('a candidate bundle', () => {
    let report: Loose;
    const flushes = () => of('cache-bot');
    const productionRestarts = () => of('l3-bot', 'service.restart');
    /** l2-bot restarts held by the rate limit that pass its confidence cap and were not frozen. */
    const released = () =>
      of('l2-bot').filter((a) => rateLimited(a) && !frozen(a) && a.request.confidence === 0.93);

    before(async () => {
      report = await json('--policies', policies);
    });

    it('counts stricter, looser and unchanged decisions, and checks the history is what the test made', () => {
      const executed = productionRestarts().filter((a) => a.decision.effect === 'execute').length;
      assert.equal(flushes().length, 40);
      assert.ok(released().length >= 5, String(released().length));
      assert.ok(executed >= 5, String(executed));
      assert.deepEqual(report.totals, {
        replayed: actions.length,
        stricter: 40 + executed,
        looser: released().length,
        unchanged: actions.length - 40 - executed - released().length,
        sameEffectDifferentRules: report.totals.sameEffectDifferentRules,
        skipped: 0,
      });
      // Escalated production restarts newly match the unrecorded limit; low-confidence l2 restarts now fail the cap instead.
      assert.ok(report.totals.sameEffectDifferentRules >= productionRestarts().length - executed);
      assert.deepEqual(report.selfCheck, { decisions: 0, differing: { decisions: 0, actions: [] } });
    });

    it('names the transitions and the rules and limits each change newly matches or stops matching', () => {
      const transitions = Object.fromEntries(
        (report.transitions as { from: string; to: string; decisions: number }[]).map((t) => [
          `${t.from}→${t.to}`,
          t.decisions,
        ]),
      );
      const flushEffects = Map.groupBy(flushes(), (a) => a.decision.effect);
      assert.equal(transitions['escalate→deny'], flushEffects.get('escalate')?.length);
      assert.equal(
        transitions['execute→deny'],
        flushEffects.get('execute')?.length,
        JSON.stringify(report.transitions),
      );
      assert.equal(transitions['escalate→execute'], released().length);
      const rules = Object.fromEntries(
        (
          report.rules as {
            name: string;
            newlyMatched: { decisions: number };
            noLongerMatched: { decisions: number };
          }[]
        ).map((r) => [r.name, [r.newlyMatched.decisions, r.noLongerMatched.decisions]]),
      );
      assert.deepEqual(rules['no-cache-flush-in-staging'], [40, 0]);
      assert.deepEqual(rules['limit:production-restarts'], [productionRestarts().length, 0]);
      assert.equal(rules['limit:restart-rate']?.[1], of('l2-bot').filter(rateLimited).length);
    });

    it('counts the decisions touching the new limit separately: its counters were never recorded', () => {
      const executed = productionRestarts().filter((a) => a.decision.effect === 'execute').length;
      assert.deepEqual(report.unrecordedCounters, {
        decisions: productionRestarts().length,
        stricterBecauseOfThem: executed,
        limits: [{ limit: 'production-restarts', decisions: productionRestarts().length }],
        actions: (report.unrecordedCounters as { actions: string[] }).actions,
      });
      assert.equal((report.unrecordedCounters as { actions: string[] }).actions.length, 5);
    });

    it('gives examples of each change, newest first, as many as --examples asks', async () => {
      const examples = report.examples as Record<string, { action: string; before: string; after: string }[]>;
      assert.equal(examples.stricter?.length, 3);
      assert.equal(examples.looser?.length, 3);
      assert.equal(examples.sameEffectDifferentRules?.length, 3);
      const newest = actions.find((a) => examples.stricter?.[0]?.action === a.id);
      assert.ok(newest !== undefined);
      const fewer = await json('--policies', policies, '--examples', '1');
      assert.equal(fewer.examples.looser.length, 1);
      const [looser] = fewer.examples.looser;
      assert.deepEqual(
        [looser.before, looser.after, looser.noLongerMatched],
        ['escalate', 'execute', ['limit:restart-rate']],
      );
    });

    it('prints Markdown by default, with every section', async () => {
      const run = await cli('replay', '--policies', policies);
      assert.equal(run.code, 0, run.err.join('\n'));
      assert.deepEqual(run.err, []);
      const text = run.out.join('\n');
      assert.match(text, new RegExp(`^# Replay of ${actions.length} decisions`));
      for (const heading of [
        '## Summary',
        '## Changes by transition',
        '## Rules and limits',
        '## Limits whose counters were not recorded',
        '### Stricter',
        '### Looser',
        '### Same effect, different rules',
        '## Skipped',
      ])
        assert.ok(text.includes(`\n${heading}`), heading);
      assert.match(text, /\| `no-cache-flush-in-staging` \| 40 \| 0 \|/);
      assert.match(text, /\d+ decisions touch a limit whose counters were not recorded/);
    });

    it('--fail-on looser fails after printing the report; --fail-on with nothing of that kind passes', async () => {
      const run = await cli('replay', '--policies', policies, '--fail-on', 'looser');
      assert.equal(run.code, 1);
      assert.match(run.out[0] ?? '', /^# Replay of/);
      assert.deepEqual(run.err, [
        `airlock: ${released().length} decisions would be looser under the candidate (--fail-on looser)`,
      ]);
      assert.equal((await cli('replay', '--policies', policies, '--fail-on', 'any')).code, 1);
      const same = await cli('replay', '--fail-on', 'any');
      assert.equal(same.code, 0, same.err.join('\n'));
      assert.match(
        same.out.join('\n'),
        new RegExp(
          `Self-check: all ${actions.length} decisions recorded under the candidate bundle came out exactly as recorded`,
        ),
      );
      const bad = await cli('replay', '--fail-on', 'worse');
      assert.deepEqual([bad.code, bad.err[0]], [2, 'airlock: --fail-on takes looser, stricter, any']);
    });

    it('filters by agent, type glob, environment, time and count, and writes --out', async () => {
      assert.equal((await json('--policies', policies, '--agent', 'cache-bot')).totals.stricter, 40);
      const services = await json(
        '--policies',
        policies,
        '--type',
        'service.*',
        '--environment',
        'production',
      );
      assert.equal(services.totals.replayed, productionRestarts().length);
      assert.deepEqual(services.filter, { type: 'service.*', environment: 'production' });
      assert.equal((await json('--limit', '25')).totals.replayed, 25);
      const last = actions[9];
      assert.ok(last !== undefined);
      const since = await json('--since', last.createdAt);
      assert.equal(since.totals.replayed, actions.filter((a) => a.createdAt >= last.createdAt).length);
      const until = await json('--until', last.createdAt);
      assert.equal(until.totals.replayed + since.totals.replayed, actions.length);
      const out = path.join(h.dir, 'report.md');
      const run = await cli('replay', '--policies', policies, '--out', out);
      assert.deepEqual([run.code, run.out, run.err], [0, [], [`wrote the report to ${out}`]]);
      assert.match(await readFile(out, 'utf8'), /## Rules and limits/);
    });
  });

  describe('candidate trust', () => {
    it('a whole airlock.yaml with a higher confidence threshold makes executions stricter', async () => {
      const file = await trustFile('airlock-next.yaml', (trust) => {
        (trust.levels as { conditional: { minConfidence: number } }).conditional.minConfidence = 0.95;
      });
      const report = await json('--trust', file);
      const executed = actions.filter((a) => a.decision.effect === 'execute' && a.decision.trustLevel === 2);
      assert.ok(executed.length >= 10);
      assert.deepEqual([report.totals.stricter, report.totals.looser], [executed.length, 0]);
      assert.equal(report.selfCheck, null, 'trust changed: no self-check');
      assert.equal(report.candidate.trust, file);
      const [example] = report.examples.stricter;
      assert.deepEqual([example.before, example.after, example.newlyMatched], ['execute', 'escalate', []]);
      assert.match(example.nowBlocking[0], /confidence 0\.9\d? < 0\.95/);
      const run = await cli('replay', '--trust', file, '--fail-on', 'stricter');
      assert.equal(run.code, 1);
    });

    it('grants override the recorded level of the matching scope', async () => {
      const file = path.join(h.dir, 'grants.yaml');
      await writeFile(
        file,
        stringify({
          grants: [
            { agent: 'advisor', scope: 'service.restart@staging', level: 2 },
            { agent: 'l3-bot', scope: 'service.*@production', level: 1 },
          ],
        }),
      );
      const report = await json('--trust', file);
      const l3Executed = of('l3-bot', 'service.restart').filter(
        (a) => a.decision.effect === 'execute',
      ).length;
      assert.deepEqual([report.totals.looser, report.totals.stricter], [of('advisor').length, l3Executed]);
      const looser = report.examples.looser[0];
      assert.deepEqual([looser.agent, looser.level], ['advisor', { before: 0, after: 2 }]);
    });

    it('a lower calibration minimum refits from the evidence recorded before each decision', async () => {
      const file = await trustFile('calibrate-earlier.yaml', (trust) => {
        trust.calibration = { minEvidence: 3 };
      });
      const report = await json('--trust', file, '--agent', 'cache-bot');
      // The flushes decided on 3 and 4 outcomes were uncalibrated; refitted (1 success in 3, 2 in 4) they are held back.
      assert.deepEqual([report.totals.stricter, report.totals.looser, report.totals.skipped], [2, 0, 0]);
      for (const example of report.examples.stricter)
        assert.match(
          example.nowBlocking[0],
          /calibrated confidence 0\.(3333|5) < 0\.8 \(stated 0\.9, calibrated on [34] outcomes/,
        );
      const raised = await trustFile('calibrate-later.yaml', (trust) => {
        trust.calibration = { minEvidence: 50 };
      });
      const looser = await json('--trust', raised, '--agent', 'cache-bot');
      const calibratedAway = of('cache-bot').filter(
        (a) =>
          !frozen(a) && reasons(a).some((r) => r.kind === 'cap' && r.basis === 'calibrated' && !r.passed),
      );
      assert.equal(looser.totals.looser, calibratedAway.length);
    });

    it('a bad trust file is refused with file:line problems', async () => {
      const file = path.join(h.dir, 'bad-trust.yaml');
      await writeFile(file, 'grants:\n  - agent: advisor\n    scope: "not a scope!"\n    level: 5\n');
      const run = await cli('replay', '--trust', file);
      assert.equal(run.code, 1);
      assert.equal(run.err[0], 'airlock: the candidate trust file does not load (2 problems)');
      assert.match(
        run.err[1] ?? '',
        /bad-trust\.yaml:3:\d+ grants\[0\]\.scope: "not a scope!" is not a scope/,
      );
      assert.match(run.err[2] ?? '', /bad-trust\.yaml:4:\d+ grants\[0\]\.level: a level 0-3/);
    });
  });

  it('a candidate bundle that does not compile is refused with file:line problems, exit 1', async () => {
    const bad = path.join(h.dir, 'policies-bad');
    await mkdir(bad, { recursive: true });
    await writeFile(
      path.join(bad, 'rules.yaml'),
      'rules:\n  - name: broken\n    when: request.params.(\n    effect: deny\n    reason: x\n',
    );
    const run: CliRun = await cli('replay', '--policies', bad);
    assert.equal(run.code, 1);
    assert.deepEqual(run.out, []);
    assert.equal(run.err[0], 'airlock: the candidate policies do not load (1 problem)');
    assert.match(run.err[1] ?? '', /rules\.yaml:3:\d+ rules\[0\]\.when: /);
  });

  it('reports progress on long runs, and replays every page', async () => {
    const { bundle, inventory } = h.airlock.project();
    const seen: number[] = [];
    const report = await runReplay({
      store: h.airlock.store,
      candidate: { bundle, trust: null, inventory },
      selection: {},
      context: { candidate: { bundle: bundle.hash, policies: null, trust: null }, filter: {}, examples: 0 },
      pageSize: 40,
      progressEvery: 100,
      onProgress: (n) => seen.push(n),
    });
    assert.equal(report.totals.replayed, actions.length);
    assert.deepEqual(
      seen,
      [120, 200, 320].filter((n) => n <= actions.length),
    );
  });
});
