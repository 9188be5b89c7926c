/** `airlock policy test`: the quickstart's suites, failing cases, --json, a candidate policy directory, broken suites. */

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { displayPath } from '../src/project/project-files.ts';
import { assertFails, cli, cliJson, useCliProject } from './cli-helpers.ts';
import { makeProject } from './harness.ts';

/** A candidate policy directory: one rule of the quickstart, one new rule never tested, a rate limit, and its suite. */
const CANDIDATE: Readonly<Record<string, string>> = {
  'rules.yaml': `rules:
  - name: restart-services
    match: { types: [service.restart] }
    effect: allow
    reason: Restarts are routine.
  - name: flush-caches
    match: { types: [cache.flush] }
    effect: allow
    reason: Flushes are harmless.
`,
  'limits.yaml': `limits:
  - name: restart-rate
    match: { types: [service.restart] }
    rate: { count: 5, per: 1h, by: [agent, target] }
    effect: escalate
    reason: More than 5 restarts of one instance an hour needs a human.
`,
  'next.test.yaml': `tests:
  - name: a restart within the rate runs alone
    request: { type: service.restart, environment: staging, targets: [{ id: web-1 }], params: { reason: leak }, confidence: 0.9, anomalyScore: 0.1 }
    level: 2
    counters: { restart-rate: 4 }
    expect: { decision: execute, limits: [] }
  - name: the sixth restart in an hour waits for a human
    request: { type: service.restart, environment: staging, targets: [{ id: web-1 }], params: { reason: leak }, confidence: 0.9, anomalyScore: 0.1 }
    level: 2
    counters: { restart-rate: 5 }
    expect: { decision: escalate, policy: escalate, rules: [restart-services], limits: [restart-rate] }
`,
};

describe('airlock policy test', () => {
  let cfg: string;
  const dirs = useCliProject((configPath) => {
    cfg = configPath;
  });

  /** A quickstart copy with these files changed; removed with the suite. */
  async function project(files: Parameters<typeof makeProject>[0]): Promise<string> {
    const made = await makeProject(files);
    dirs.push(made.dir);
    return made.configPath;
  }

  it('passes the quickstart suites with every rule exercised', async () => {
    const run = await cli('policy', 'test', '--config', cfg);
    assert.equal(run.code, 0, run.err.join('\n'));
    assert.deepEqual(run.err, []);
    const cases = run.out.filter((line) => /^[✓✗] /.test(line));
    assert.equal(cases.length, 25);
    assert.ok(
      cases.every((line) => /^✓ .+ {2}\S*policies\/(guardrails|routine)\.test\.yaml:\d+$/.test(line)),
      cases.join('\n'),
    );
    assert.ok(cases.includes(`✓ restarts in staging run alone at level 2  ${suitePath('routine', cfg)}:30`));
    const check = await cliJson('policy', 'check', '--config', cfg);
    assert.deepEqual(run.out.slice(-2), [
      `25 passed, 0 failed (25 cases in 2 suites, bundle ${check.bundle.slice(0, 19)})`,
      'coverage: 9 of 9 rules, 0 of 0 limits exercised',
    ]);
  });

  it('leaves the bundle as it is: the suites are not policy files', async () => {
    const check = await cliJson('policy', 'check', '--config', cfg);
    const dir = path.dirname(cfg);
    const bare = await mkdtemp(path.join(os.tmpdir(), 'airlock-bare-'));
    dirs.push(bare);
    for (const file of ['airlock.yaml', 'catalog.yaml', 'people.yaml', 'routes.yaml']) {
      await writeFile(path.join(bare, file), await readFile(path.join(dir, file)));
    }
    await mkdir(path.join(bare, 'policies'));
    for (const file of ['guardrails.yaml', 'routine.yaml']) {
      await writeFile(path.join(bare, 'policies', file), await readFile(path.join(dir, 'policies', file)));
    }
    const without = await cliJson('policy', 'check', '--config', path.join(bare, 'airlock.yaml'));
    assert.equal(check.bundle, without.bundle);
    assert.deepEqual(check.files, without.files);
  });

  it('fails with exit 1 naming the failing case, what was expected and why it came out otherwise', async () => {
    const config = await project({
      'policies/routine.test.yaml': (text) =>
        text.replace(
          'expect: { decision: execute, policy: allow, rules: [modest-scaling] }',
          'expect: { decision: execute, policy: allow, rules: [large-scaling-needs-capacity-review] }',
        ),
    });
    const run = await cli('policy', 'test', '--config', config);
    assert.equal(run.code, 1);
    assert.deepEqual(run.err, ['airlock: 1 of 25 cases failed']);
    const at = run.out.findIndex((line) => line.startsWith('✗ '));
    assert.deepEqual(run.out.slice(at, at + 4), [
      `✗ level 3 scales within the capacity plan in staging  ${suitePath('routine', config)}:167`,
      '    rules: expected [large-scaling-needs-capacity-review], got [modest-scaling]',
      '    because (level 3):',
      '      rule     allow    modest-scaling (policies/routine.yaml): Scaling between 1 and 20 replicas is within the capacity plan.',
    ]);
    assert.equal(run.out.filter((line) => line.startsWith('✗ ')).length, 1);
    assert.match(run.out.at(-2) ?? '', /^24 passed, 1 failed \(25 cases in 2 suites, bundle sha256:/);
  });

  it('prints cases, summary and coverage as JSON', async () => {
    const report = await cliJson('policy', 'test', '--config', cfg);
    assert.deepEqual(Object.keys(report), ['ok', 'bundle', 'cases', 'summary', 'coverage']);
    assert.equal(report.ok, true);
    assert.match(report.bundle, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(report.summary, { passed: 25, failed: 0, cases: 25, suites: 2 });
    assert.deepEqual(report.coverage.rules, { total: 9, exercised: 9, missed: [] });
    assert.deepEqual(report.coverage.limits, { total: 0, exercised: 0, missed: [] });
    const pci = report.cases.find((c: { name: string }) => c.name.startsWith('restarting a PCI-scoped'));
    assert.deepEqual(
      { ...pci, file: path.basename(pci.file), reasons: pci.reasons.map((r: { kind: string }) => r.kind) },
      {
        name: 'restarting a PCI-scoped service in production needs two people',
        file: 'guardrails.test.yaml',
        line: 37,
        passed: true,
        mismatches: [],
        decision: 'escalate',
        policy: 'escalate',
        level: 3,
        rules: ['payments-config-is-human-only', 'restart-services'],
        limits: [],
        caps: [],
        route: 'two-person',
        reasons: ['rule', 'rule'],
      },
    );

    const failing = await project({
      'policies/guardrails.test.yaml': (text) =>
        text.replace(
          'expect: { decision: deny, policy: deny, rules: [no-data-loss-migrations] }',
          'expect: { decision: execute }',
        ),
    });
    const run = await cli('policy', 'test', '--config', failing, '--json');
    assert.equal(run.code, 1);
    assert.deepEqual(run.err, []);
    const failed = JSON.parse(run.out.join('\n'));
    assert.equal(failed.ok, false);
    assert.deepEqual(failed.summary, { passed: 24, failed: 1, cases: 25, suites: 2 });
    assert.deepEqual(failed.cases[0].mismatches, [
      { field: 'decision', expected: 'execute', actual: 'deny' },
    ]);
  });

  it('tests a candidate policy directory against its own suites, exercising a limit through counters', async () => {
    const candidate = path.join(path.dirname(cfg), 'policies-next');
    await mkdir(candidate);
    for (const [name, text] of Object.entries(CANDIDATE)) await writeFile(path.join(candidate, name), text);

    const run = await cli('policy', 'test', candidate, '--config', cfg);
    assert.equal(run.code, 0, run.err.join('\n'));
    const shown = displayPath(candidate);
    assert.deepEqual(run.out.slice(0, 2), [
      `✓ a restart within the rate runs alone  ${shown}/next.test.yaml:2`,
      `✓ the sixth restart in an hour waits for a human  ${shown}/next.test.yaml:7`,
    ]);
    assert.match(run.out[3] ?? '', /^2 passed, 0 failed \(2 cases in 1 suite, bundle sha256:[0-9a-f]{12}\)$/);
    assert.deepEqual(run.out.slice(4), [
      'coverage: 1 of 2 rules, 1 of 1 limits exercised; never exercised:',
      `  rule flush-caches  ${shown}/rules.yaml:6`,
    ]);

    const report = await cliJson('policy', 'test', candidate, '--config', cfg);
    const live = await cliJson('policy', 'check', '--config', cfg);
    assert.notEqual(report.bundle, live.bundle, 'the candidate bundle, not the one in force');
    assert.deepEqual(report.cases[1].limits, ['restart-rate']);

    const strict = await cli('policy', 'test', candidate, '--config', cfg, '--require-coverage');
    assert.equal(strict.code, 1);
    assert.deepEqual(strict.err, [
      "airlock: 1 of the bundle's rules and limits exercised by no case (--require-coverage)",
    ]);
  });

  it('runs only the cases a filter names', async () => {
    const run = await cli('policy', 'test', '--config', cfg, '--filter', 'PCI');
    assert.equal(run.code, 0, run.err.join('\n'));
    assert.deepEqual(
      run.out.filter((line) => line.startsWith('✓')).map((line) => line.split('  ')[0]),
      [
        '✓ restarting a PCI-scoped service in production needs two people',
        '✓ a feature flag on a PCI-scoped service needs two people',
      ],
    );
    const coverage = run.out.indexOf('coverage: 2 of 9 rules, 0 of 0 limits exercised; never exercised:');
    assert.ok(coverage > 0, run.out.join('\n'));
    assert.deepEqual(
      run.out.slice(coverage + 1).map((line) => line.trim().split(/\s+/).slice(0, 2).join(' ')),
      [
        'rule no-data-loss-migrations',
        'rule no-restarts-of-many-production-targets',
        'rule migrations-in-change-window',
        'rule flush-caches-outside-production',
        'rule modest-scaling',
        'rule large-scaling-needs-capacity-review',
        'rule scale-to-zero-needs-a-human',
      ],
    );

    assertFails(
      await cli('policy', 'test', '--config', cfg, '--filter', 'no such case'),
      1,
      'airlock: no case name contains "no such case"',
    );
  });

  it('reports broken suites with file:line:column and runs no case', async () => {
    const config = await project({
      'policies/broken.test.yaml': [
        'tests:',
        '  - name: a misspelt rule',
        '    request: { type: service.restart, environment: staging, targets: [{ id: web-1 }], params: { reason: leak } }',
        '    expect: { decision: advise, rules: [restart-service] }',
        '  - name: an unknown type',
        '    request: { type: service.reboot, environment: staging, targets: [{ id: web-1 }] }',
        '    expect: { decision: deny }',
        '',
      ].join('\n'),
      'policies/syntax.tests.yaml': 'tests:\n  - name: [unclosed\n',
    });
    const run = await cli('policy', 'test', '--config', config);
    assertFails(run, 1, 'airlock: 3 problems in the test suites');
    const dir = displayPath(path.dirname(config));
    assert.deepEqual(run.err.slice(1), [
      `  ${dir}/policies/syntax.tests.yaml:3:1 Flow sequence in block collection must be sufficiently indented and end with a ]`,
      `  ${dir}/policies/broken.test.yaml:4:41 tests[0].expect.rules[0]: case "a misspelt rule": no rule "restart-service" in the bundle`,
      `  ${dir}/policies/broken.test.yaml:6:22 tests[1].request.type: case "an unknown type": unknown action type "service.reboot" (did you mean "service.restart"?)`,
    ]);

    const json = await cli('policy', 'test', '--config', config, '--json');
    assert.equal(json.code, 1);
    const report = JSON.parse(json.out.join('\n'));
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.problems.map((p: { line: number; path: string }) => [p.line, p.path]),
      [
        [3, ''],
        [4, 'tests[0].expect.rules[0]'],
        [6, 'tests[1].request.type'],
      ],
    );
  });

  it('says so when there is nothing to test, and when the policies under test do not compile', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'airlock-no-suites-'));
    dirs.push(empty);
    await writeFile(path.join(empty, 'rules.yaml'), CANDIDATE['rules.yaml'] ?? '');
    assertFails(
      await cli('policy', 'test', empty, '--config', cfg),
      1,
      `airlock: no policy test suites (*.test.yaml) beside the policies in ${empty}`,
    );

    await writeFile(path.join(empty, 'bad.yaml'), 'rules:\n  - name: bad\n    effect: allow\n');
    const run = await cli('policy', 'test', empty, '--config', cfg);
    assertFails(run, 1, 'airlock: 1 problem in the policies under test');
    assert.match(run.err[1] ?? '', /bad\.yaml:2:5 rules\[0\]\.reason: /);
  });

  it('ships with every new project: init, then policy test passes', async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'airlock-init-test-'));
    dirs.push(parent);
    assert.equal((await cli('init', path.join(parent, 'fresh'))).code, 0);
    const run = await cli('policy', 'test', '--config', path.join(parent, 'fresh', 'airlock.yaml'));
    assert.equal(run.code, 0, run.err.join('\n'));
    assert.match(run.out.at(-2) ?? '', /^25 passed, 0 failed/);
    await rm(path.join(parent, 'fresh', 'policies', 'routine.test.yaml'));
    const fewer = await cli('policy', 'test', '--config', path.join(parent, 'fresh', 'airlock.yaml'));
    assert.equal(fewer.code, 0);
    const routine = displayPath(path.join(parent, 'fresh', 'policies', 'routine.yaml'));
    const missed: [string, number][] = [
      ['flush-caches-outside-production', 10],
      ['modest-scaling', 17],
      ['large-scaling-needs-capacity-review', 24],
      ['scale-to-zero-needs-a-human', 32],
    ];
    assert.deepEqual(fewer.out.slice(-5), [
      'coverage: 5 of 9 rules, 0 of 0 limits exercised; never exercised:',
      ...missed.map(([rule, line]) => `  ${`rule ${rule}`.padEnd(40)}  ${routine}:${line}`),
    ]);
  });
});

/** How the CLI names a suite of the project at `config`. */
function suitePath(name: string, config: string): string {
  return displayPath(path.join(path.dirname(config), 'policies', `${name}.test.yaml`));
}
