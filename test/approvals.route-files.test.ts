/** Route files that must not load: each bad routes.yaml (or policy naming a bad route) is refused whole, with file and line. */

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { loadProject } from '../src/project/project-loader.ts';
import { makeProject } from './harness.ts';

describe('route files that must not load', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  /** Load the quickstart with these files replaced; return the problems (it must fail). */
  async function problemsOf(files: Record<string, string | ((original: string) => string)>) {
    const { dir, configPath } = await makeProject(files);
    dirs.push(dir);
    const loaded = await loadProject(configPath, {});
    assert.equal(loaded.ok, false, 'the project must not load');
    return loaded.ok ? [] : loaded.problems;
  }

  /** The one problem about `file`, with its line. */
  function problemAt(problems: Awaited<ReturnType<typeof problemsOf>>, file: string, pattern: RegExp) {
    const found = problems.filter((p) => p.file.endsWith(file) && pattern.test(p.message));
    assert.equal(found.length, 1, JSON.stringify(problems, null, 2));
    const [problem] = found;
    assert.ok(problem);
    return problem;
  }

  const routes = (body: string) =>
    `defaultRoute: main\nroutes:\n  - name: capacity-review\n    steps:\n      - { group: platform, timeout: 1h }\n  - name: two-person\n    steps:\n      - { group: sre, quorum: 2, timeout: 30m }\n${body}`;

  it('the quickstart itself loads', async () => {
    const { dir, configPath } = await makeProject();
    dirs.push(dir);
    const loaded = await loadProject(configPath, {});
    assert.equal(loaded.ok, true, loaded.ok ? '' : JSON.stringify(loaded.problems));
  });

  it('fallback: approve', async () => {
    const problems = await problemsOf({
      'routes.yaml': routes(
        '  - name: main\n    steps:\n      - { group: sre, timeout: 15m }\n    fallback: approve\n',
      ),
    });
    const problem = problemAt(problems, 'routes.yaml', /never approve/);
    assert.equal(problem.line, 12);
    assert.match(problem.path, /routes.*2.*fallback/);
  });

  it('a step whose group nobody is in', async () => {
    const problems = await problemsOf({
      'routes.yaml': routes(
        '  - name: main\n    steps:\n      - { group: sre, timeout: 15m }\n      - { group: nobody-here, timeout: 15m }\n',
      ),
    });
    const problem = problemAt(problems, 'routes.yaml', /nobody-here/);
    assert.equal(problem.line, 12);
    assert.match(problem.message, /route "main" step 2 needs 1 approvers in group "nobody-here"/);
    assert.match(problem.message, /has 0/);
  });

  it('a quorum larger than the group', async () => {
    const problems = await problemsOf({
      'routes.yaml': routes(
        '  - name: main\n    steps:\n      - { group: platform, quorum: 3, timeout: 15m }\n',
      ),
    });
    const problem = problemAt(problems, 'routes.yaml', /needs 3/);
    assert.equal(problem.line, 11);
    assert.match(
      problem.message,
      /route "main" step 1 needs 3 approvers in group "platform"; the people file has 2/,
    );
  });

  it('a viewer does not count towards a quorum (carol is the only payments member)', async () => {
    const problems = await problemsOf({
      'routes.yaml': routes('  - name: main\n    steps:\n      - { group: payments, timeout: 15m }\n'),
    });
    const problem = problemAt(problems, 'routes.yaml', /payments/);
    assert.equal(problem.line, 11);
    assert.match(problem.message, /has 0/);
  });

  it('a policy naming an unknown route', async () => {
    const problems = await problemsOf({
      'policies/routine.yaml': (original) => original.replace('route: capacity-review', 'route: nowhere'),
    });
    const problem = problemAt(problems, 'routine.yaml', /unknown route "nowhere"/);
    assert.equal(typeof problem.line, 'number');
    assert.match(problem.message, /known: .*capacity-review/);
    assert.match(problem.path, /route/);
  });

  it('a default route or an owner’s route that does not exist', async () => {
    const problems = await problemsOf({
      'routes.yaml': (original) =>
        original
          .replace('defaultRoute: sre-on-call', 'defaultRoute: sre-on-cal')
          .replace('platform: capacity-review', 'platform: capacity'),
    });
    const missingDefault = problemAt(problems, 'routes.yaml', /unknown route "sre-on-cal"/);
    assert.equal(missingDefault.line, 4);
    const missingOwner = problemAt(problems, 'routes.yaml', /unknown route "capacity"/);
    assert.equal(missingOwner.line, 8);
  });
});
