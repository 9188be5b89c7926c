/** `airlock simulate`: deterministic per seed, the baselines behave as defined, and the config earns and loses trust. */

import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { formatReport, reportJson } from '../src/sim/report.ts';
import { runSimulation } from '../src/sim/simulation.ts';
import { assertFails, cli } from './cli-helpers.ts';
import { QUICKSTART } from './harness.ts';

const CONFIG = path.join(QUICKSTART, 'airlock.yaml');

interface Spread {
  median: number | null;
  max: number | null;
  reached: number;
  of: number;
}

interface RunJson {
  variant: string;
  label: string;
  actions: number;
  harmful: number;
  harmEscapes: number;
  harmEscapesPer1000: number;
  harmfulExecuted: number;
  harmfulStopped: number;
  approvalsPer1000: number;
  reliableDaysToLevel2: Spread;
  reliableDaysToLevel3: Spread;
  degradingActionsToDemotion: Spread;
  demotions: number;
  promotions: number;
  details: {
    effects: Record<'execute' | 'advise' | 'escalate' | 'deny', number>;
    escalations: number;
    unresolved: number;
  };
}

describe('airlock simulate', () => {
  describe('6 agents, 40 days, seed 7, 10 actions per working day', () => {
    let runs: Record<string, RunJson>;
    let out: string[];

    before(async () => {
      const run = await cli(
        'simulate',
        '--config',
        CONFIG,
        '--agents',
        '6',
        '--days',
        '40',
        '--seed',
        '7',
        '--actions-per-day',
        '10',
        '--json',
      );
      assert.equal(run.code, 0, run.err.join('\n'));
      out = run.out;
      const report = JSON.parse(run.out.join('\n')) as { runs: RunJson[] };
      runs = Object.fromEntries(report.runs.map((r) => [r.variant, r]));
    });

    it('prints valid JSON with the three runs on the same actions', () => {
      const report = JSON.parse(out.join('\n')) as { settings: { seed: number }; population: unknown };
      assert.equal(report.settings.seed, 7);
      assert.deepEqual(Object.keys(runs), ['config', 'level1', 'fixed']);
      assert.equal(runs.config?.actions, 6 * 30 * 10, '30 working days in 40 days from a Monday');
      for (const r of Object.values(runs)) {
        assert.equal(r.actions, runs.config?.actions);
        assert.equal(r.harmful, runs.config?.harmful, 'the same harmful proposals in every run');
        assert.equal(
          r.harmfulExecuted + r.harmfulStopped,
          r.harmful,
          `${r.variant}: every harmful action accounted for`,
        );
        assert.equal(r.details.unresolved, 0, `${r.variant}: every approval resolved`);
      }
    });

    it('level 1 forever never executes alone: every action goes to a person', () => {
      const r = runs.level1 as RunJson;
      assert.equal(r.harmEscapes, 0);
      assert.equal(r.details.effects.execute, 0);
      const humanBound = r.actions - r.details.effects.deny - r.details.effects.advise;
      assert.equal(r.details.escalations, humanBound);
      assert.ok(Math.abs(r.approvalsPer1000 - (1000 * humanBound) / r.actions) < 0.1);
      assert.equal(r.demotions, 0);
      assert.equal(r.promotions, 0);
      assert.equal(r.reliableDaysToLevel2.reached, 0);
    });

    it('a fixed level with no demotion lets harm through and never demotes', () => {
      const r = runs.fixed as RunJson;
      assert.ok(r.harmEscapes > 0, `harm escapes ${r.harmEscapes}`);
      assert.equal(r.demotions, 0);
      assert.equal(r.degradingActionsToDemotion.reached, 0);
      assert.equal(r.reliableDaysToLevel2.median, 0, 'level 2 from day 0');
    });

    it('the config promotes reliable agents to level 2 and demotes the degrading one', () => {
      const r = runs.config as RunJson;
      assert.ok(r.promotions > 0);
      assert.ok(r.reliableDaysToLevel2.reached >= 1, JSON.stringify(r.reliableDaysToLevel2));
      assert.notEqual(r.reliableDaysToLevel2.median, null, 'most reliable agents reach level 2 in 40 days');
      assert.ok(r.demotions > 0);
      assert.equal(r.degradingActionsToDemotion.reached, r.degradingActionsToDemotion.of);
      assert.ok(r.harmEscapes < (runs.fixed as RunJson).harmEscapes, 'fewer escapes than the fixed level');
      assert.ok(
        r.approvalsPer1000 < (runs.level1 as RunJson).approvalsPer1000,
        'fewer approvals than level 1',
      );
    });
  });

  it('is deterministic for a seed', async () => {
    const options = {
      configPath: CONFIG,
      agents: 4,
      days: 8,
      seed: 11,
      actionsPerDay: 6,
      fixedLevel: 3,
      command: 'test',
      parallel: false,
    };
    const first = reportJson(await runSimulation(options));
    const second = reportJson(await runSimulation(options));
    assert.deepEqual(second, first);
    const other = reportJson(await runSimulation({ ...options, seed: 12 }));
    assert.notDeepEqual(other, first, 'another seed, other agents');
  });

  it('prints a table comparing the runs, with the command and the population', async () => {
    const run = await cli('simulate', '--config', CONFIG, '--agents', '3', '--days', '3', '--seed', '2');
    assert.equal(run.code, 0, run.err.join('\n'));
    assert.equal(
      run.out[0],
      `$ airlock simulate --config ${CONFIG} --agents 3 --days 3 --seed 2 --actions-per-day 6 --fixed-level 2`,
    );
    const text = run.out.join('\n');
    assert.match(text, /seed 2; 3 agents over 3 days \(3 working days\)/);
    assert.match(text, /population: 2 reliable .*, 1 overconfident .*, 0 degrading/);
    assert.match(text, /config +level 1 forever +fixed level 2, no demotion/);
    assert.match(text, /^actions proposed +54 +54 +54$/m);
    assert.match(text, /^harm escapes \(executed, no human\) +\d+ +0 +\d+$/m);
    assert.match(run.err.join('\n'), /done in/);
  });

  it('formats spreads with "never" for agents that never got there', async () => {
    const report = await runSimulation({
      configPath: CONFIG,
      agents: 1,
      days: 1,
      seed: 1,
      actionsPerDay: 2,
      fixedLevel: 2,
      command: 'test',
      parallel: false,
    });
    const text = formatReport(report).join('\n');
    assert.match(text, /^reliable agents reaching level 3 +0 of 1 +0 of 1 +0 of 1$/m);
    assert.match(
      text,
      /^ {2}days to level 3, median \/ max +never \/ never +never \/ never +never \/ never$/m,
    );
    assert.match(text, /^ {2}actions until demoted, median \/ max +n\/a +n\/a +n\/a$/m);
  });

  it('refuses bad numbers with exit code 2', async () => {
    for (const [flag, value] of [
      ['--agents', '0'],
      ['--days', 'ten'],
      ['--seed', '1.5'],
      ['--actions-per-day', '501'],
      ['--fixed-level', '4'],
    ] as const) {
      const run = await cli('simulate', '--config', CONFIG, flag, value);
      assertFails(
        run,
        2,
        new RegExp(`^airlock: ${flag} takes a whole number from \\d+ to \\d+, not "${value}"$`),
      );
    }
  });

  it('explains itself in --help', async () => {
    const run = await cli('simulate', '--help');
    assert.equal(run.code, 0);
    const text = run.out.join('\n');
    for (const flag of ['--agents', '--days', '--seed', '--actions-per-day', '--fixed-level', '--json'])
      assert.ok(text.includes(flag), `help shows ${flag}`);
  });
});
