/** The `airlock` command line: init of new projects and policy check on good, broken and missing projects. */

import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { assertFails, type CliRun, cli, cliJson, useCliProject } from './cli-helpers.ts';
import { makeProject } from './harness.ts';

describe('airlock CLI', () => {
  let cfg: string;
  const dirs = useCliProject((configPath) => {
    cfg = configPath;
  });

  describe('init and policy check', () => {
    it('init creates a project that policy check accepts; init again refuses', async () => {
      const parent = await mkdtemp(path.join(os.tmpdir(), 'airlock-init-'));
      dirs.push(parent);
      const dir = path.join(parent, 'fresh');
      const run = await cli('init', dir);
      assert.equal(run.code, 0, run.err.join('\n'));
      assert.equal(run.out[0], `created a project in ${dir}`);
      const config = path.join(dir, 'airlock.yaml');
      assert.ok((await stat(config)).isFile());
      assert.ok((await stat(path.join(dir, 'policies'))).isDirectory());
      await assert.rejects(stat(path.join(dir, 'data')), { code: 'ENOENT' });

      const check = await cli('policy', 'check', '--config', config);
      assert.equal(check.code, 0, check.err.join('\n'));
      assert.match(check.out[0] ?? '', /^ok: bundle sha256:[0-9a-f]{12}: /);

      const before = await readFile(config, 'utf8');
      const again = await cli('init', dir);
      assertFails(
        again,
        1,
        `airlock: ${dir} already has airlock.yaml, catalog.yaml, people.yaml, policies/guardrails.test.yaml, policies/guardrails.yaml, policies/routine.test.yaml, policies/routine.yaml, routes.yaml; not overwriting`,
      );
      assert.equal(again.err.length, 1);
      assert.equal(await readFile(config, 'utf8'), before);
    });

    it('init into an existing empty directory creates a project', async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-init-empty-'));
      dirs.push(dir);
      const run = await cli('init', dir);
      assert.equal(run.code, 0, run.err.join('\n'));
      assert.equal(run.out[0], `created a project in ${dir}`);
      assert.ok((await stat(path.join(dir, 'airlock.yaml'))).isFile());
    });

    it('init without a directory initialises the (existing, empty) current directory', async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-init-cwd-'));
      dirs.push(dir);
      const cwd = process.cwd();
      let run: CliRun;
      process.chdir(dir);
      try {
        run = await cli('init');
      } finally {
        process.chdir(cwd);
      }
      assert.equal(run.code, 0, run.err.join('\n'));
      assert.equal(run.out[0], 'created a project in .');
      assert.ok((await stat(path.join(dir, 'airlock.yaml'))).isFile());
    });

    it('policy check: ok as text and as JSON', async () => {
      const run = await cli('policy', 'check', '--config', cfg);
      assert.equal(run.code, 0);
      assert.equal(run.out.length, 1);
      assert.match(
        run.out[0] ?? '',
        /^ok: bundle sha256:[0-9a-f]{12}: 9 rules and 0 limits in 2 files \(default escalate\); 6 action types; 2 environments; 4 people; 3 routes$/,
      );

      const report = await cliJson('policy', 'check', '--config', cfg);
      assert.equal(report.ok, true);
      assert.match(report.bundle, /^sha256:[0-9a-f]{64}$/);
      assert.ok(run.out[0]?.includes(report.bundle.slice(0, 19)));
      assert.equal(report.defaultEffect, 'escalate');
      assert.equal(report.rules.length, 9);
      assert.deepEqual(
        report.files.map((f: { path: string }) => f.path),
        ['policies/guardrails.yaml', 'policies/routine.yaml'],
      );
      assert.deepEqual(report.actionTypes.sort(), [
        'cache.flush',
        'database.migrate',
        'deployment.scale',
        'feature_flag.set',
        'secret.rotate',
        'service.restart',
      ]);
      assert.deepEqual(report.environments, ['staging', 'production']);
      assert.equal(report.people, 4);
      assert.equal(report.routes, 3);
    });

    it('policy check on a broken project: exit 1, one-line reason, then file:line:column problems', async () => {
      const broken = await makeProject({
        'policies/bad.yaml': [
          'rules:',
          '  - name: broken',
          "    when: 'request.params.reason ==== 1'",
          '    match: { types: [service.restart] }',
          '    effect: deny',
          '    reason: x',
          '  - name: misspelt',
          '    match: { types: [service.restart] }',
          '    effect: forbid',
          '    reason: y',
          '',
        ].join('\n'),
      });
      dirs.push(broken.dir);
      const run = await cli('policy', 'check', '--config', broken.configPath);
      assertFails(run, 1, 'airlock: 2 problems in the project');
      assert.equal(run.err.length, 3);
      assert.match(run.err[1] ?? '', /^ {2}\S*policies\/bad\.yaml:3:\d+ rules\[0\]\.when: rule "broken": /);
      assert.match(run.err[2] ?? '', /^ {2}\S*policies\/bad\.yaml:9:\d+ rules\[1\]\.effect: /);

      const json = await cli('policy', 'check', '--config', broken.configPath, '--json');
      assert.equal(json.code, 1);
      const report = JSON.parse(json.out.join('\n'));
      assert.equal(report.ok, false);
      assert.deepEqual(
        report.problems.map((p: { line: number; path: string }) => [p.line, p.path]),
        [
          [3, 'rules[0].when'],
          [9, 'rules[1].effect'],
        ],
      );

      const other = await cli('agents', 'list', '--config', broken.configPath);
      assertFails(other, 1, 'airlock: the project does not load (2 problems)');
      assert.match(other.err[1] ?? '', /policies\/bad\.yaml:3:\d+ /);
    });

    it('a missing config file fails with a one-line reason naming it', async () => {
      const missing = path.join(os.tmpdir(), 'airlock-no-such-dir', 'airlock.yaml');
      const run = await cli('policy', 'check', '--config', missing);
      assert.equal(run.code, 1);
      assert.match(run.err[0] ?? '', /^airlock: 1 problem in the project$/);
      assert.ok(run.err[1]?.includes(missing));
    });
  });
});
