/** The `airlock` command line through main() with captured output, on temp projects: exit codes, messages and --json data. */

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../src/cli/main.ts';
import type { Reason } from '../src/domain/decision.ts';
import { AirlockError } from '../src/domain/errors.ts';
import { type Airlock, createAirlock } from '../src/gateway/airlock.ts';
import { makeProject, restart } from './harness.ts';

interface CliRun {
  readonly code: number;
  /** Every printed line (a call printing several lines counts as several). */
  readonly out: string[];
  readonly err: string[];
}

async function cli(...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    out: (text) => out.push(...text.split('\n')),
    err: (text) => err.push(...text.split('\n')),
  });
  return { code, out, err };
}

/** Run a data command with --json: it must succeed and print JSON. */
// biome-ignore lint/suspicious/noExplicitAny: the parsed JSON is checked field by field by the assertions
async function cliJson<T = any>(...args: string[]): Promise<T> {
  const run = await cli(...args, '--json');
  assert.equal(run.code, 0, run.err.join('\n'));
  assert.deepEqual(run.err, []);
  return JSON.parse(run.out.join('\n')) as T;
}

/** A failure: the exit code and the one-line reason (first err line). */
function assertFails(run: CliRun, code: number, reason: string | RegExp): void {
  assert.equal(run.code, code, `exit code; err: ${run.err.join('\n')}`);
  assert.deepEqual(run.out, []);
  if (typeof reason === 'string') assert.equal(run.err[0], reason);
  else assert.match(run.err[0] ?? '', reason);
}

async function withProject<T>(configPath: string, work: (airlock: Airlock) => Promise<T>): Promise<T> {
  const airlock = await createAirlock({ configPath, logLevel: 'silent' });
  try {
    return await work(airlock);
  } finally {
    await airlock.close();
  }
}

const EXPECTED_COMMANDS = [
  'init',
  'serve',
  'policy check',
  'agents add',
  'agents list',
  'agents token',
  'agents revoke-token',
  'agents suspend',
  'agents resume',
  'people list',
  'people token',
  'people revoke-token',
  'trust show',
  'trust set',
  'trust promote',
  'trust demote',
  'trust revoke',
  'actions list',
  'explain',
  'audit verify',
  'audit head',
  'audit export',
];

describe('airlock CLI', () => {
  const dirs: string[] = [];
  let cfg: string;
  const saved = { config: process.env.AIRLOCK_CONFIG, as: process.env.AIRLOCK_AS };

  before(async () => {
    delete process.env.AIRLOCK_CONFIG;
    delete process.env.AIRLOCK_AS;
    const project = await makeProject();
    dirs.push(project.dir);
    cfg = project.configPath;
  });

  after(async () => {
    if (saved.config !== undefined) process.env.AIRLOCK_CONFIG = saved.config;
    if (saved.as !== undefined) process.env.AIRLOCK_AS = saved.as;
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  describe('help and usage errors', () => {
    it('--help lists every command with its summary', async () => {
      const run = await cli('--help');
      assert.equal(run.code, 0);
      assert.deepEqual(run.err, []);
      assert.equal(run.out[0], 'usage: airlock <command> [arguments] [options]');
      for (const name of EXPECTED_COMMANDS) {
        assert.ok(
          run.out.some((line) => new RegExp(`^  ${name.replace('.', '\\.')} +\\S`).test(line)),
          `--help lists ${name}`,
        );
      }
      const noArgs = await cli();
      assert.equal(noArgs.code, 0);
      assert.deepEqual(noArgs.out, run.out);
    });

    it('agents --help lists only the agents verbs', async () => {
      const run = await cli('agents', '--help');
      assert.equal(run.code, 0);
      const listed = run.out
        .filter((line) => /^ {2}\S/.test(line))
        .map((line) => line.trim().split(/ {2,}/)[0]);
      assert.deepEqual(listed.sort(), EXPECTED_COMMANDS.filter((c) => c.startsWith('agents ')).sort());
    });

    it('agents add --help shows usage and options', async () => {
      const run = await cli('agents', 'add', '--help');
      assert.equal(run.code, 0);
      assert.equal(run.out[0], 'usage: airlock agents add <id> --owner <group>');
      const text = run.out.join('\n');
      for (const flag of [
        '--owner <value>',
        '--description <value>',
        '--as <value>',
        '--json',
        '-c, --config <value>',
        '-h, --help',
      ]) {
        assert.ok(text.includes(flag), `help shows ${flag}`);
      }
    });

    it('an unknown command exits 2 with a one-line reason', async () => {
      const run = await cli('frobnicate');
      assertFails(run, 2, 'airlock: unknown command "frobnicate" (see airlock --help)');
      assert.equal(run.err.length, 1);
    });

    it('an unknown verb of a known noun exits 2 and names it', async () => {
      const run = await cli('agents', 'frob');
      assertFails(run, 2, 'airlock: unknown command "agents frob"');
    });

    it('an unknown option exits 2 with a one-line reason', async () => {
      const run = await cli('agents', 'list', '--frob', '--config', cfg);
      assertFails(run, 2, /^airlock: Unknown option '--frob'.*\(see airlock agents list --help\)$/);
      assert.equal(run.err.length, 1);
    });

    it('a missing required option exits 2', async () => {
      assertFails(await cli('agents', 'add', 'nobody', '--config', cfg), 2, 'airlock: missing --owner');
      assertFails(await cli('agents', 'add', '--owner', 'sre', '--config', cfg), 2, 'airlock: missing <id>');
    });
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
        `airlock: ${dir} already has airlock.yaml, catalog.yaml, people.yaml, policies/guardrails.yaml, policies/routine.yaml; not overwriting`,
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
        /^ok: bundle sha256:[0-9a-f]{12}: 9 rules in 2 files \(default escalate\); 6 action types; 2 environments; 3 people$/,
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
      assert.equal(report.people, 3);
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

  describe('agents, people and trust', () => {
    let botToken: string;

    it('agents add prints the token once; --json gives {agent, token}; a second add fails', async () => {
      const run = await cli('agents', 'add', 'bot', '--owner', 'sre', '--config', cfg);
      assert.equal(run.code, 0, run.err.join('\n'));
      assert.deepEqual(run.out.slice(0, 2), [
        'agent bot (owner sre) registered at level 0 (advisory) everywhere.',
        'token (shown once, store it now):',
      ]);
      assert.equal(run.out.length, 3);
      botToken = run.out[2] ?? '';
      assert.ok(botToken.length >= 20);
      assert.equal(run.out.join('\n').split(botToken).length - 1, 1, 'the token appears once');

      const added = await cliJson(
        'agents',
        'add',
        'helper',
        '--owner',
        'platform',
        '--description',
        'does things',
        '--config',
        cfg,
      );
      assert.deepEqual(Object.keys(added).sort(), ['agent', 'token']);
      assert.equal(added.agent.id, 'helper');
      assert.equal(added.agent.owner, 'platform');
      assert.equal(added.agent.status, 'active');
      assert.equal(added.agent.description, 'does things');
      assert.equal(typeof added.token, 'string');
      assert.notEqual(added.token, botToken);
      await withProject(cfg, async (airlock) => {
        const principal = await airlock.authenticate(`Bearer ${added.token}`);
        assert.equal(principal.kind, 'agent');
        assert.equal(principal.kind === 'agent' ? principal.agent.id : null, 'helper');
      });

      const twice = await cli('agents', 'add', 'bot', '--owner', 'sre', '--config', cfg);
      assertFails(twice, 1, 'airlock: agent bot already exists');
      assert.equal(twice.err.length, 1);

      assertFails(
        await cli('agents', 'add', 'Bad Id', '--owner', 'sre', '--config', cfg),
        1,
        'airlock: bad agent id',
      );
    });

    it('agents list as a table and as JSON', async () => {
      const run = await cli('agents', 'list', '--config', cfg);
      assert.equal(run.code, 0);
      assert.equal(run.out.length, 3);
      assert.match(run.out[0] ?? '', /^AGENT +OWNER +STATUS +CREATED$/);
      assert.match(run.out[1] ?? '', /^bot +sre +active +\d{4}-\d\d-\d\dT/);
      assert.match(run.out[2] ?? '', /^helper +platform +active +\d{4}-\d\d-\d\dT/);

      const agents = await cliJson<{ id: string; owner: string; status: string }[]>(
        'agents',
        'list',
        '--config',
        cfg,
      );
      assert.deepEqual(
        agents.map((a) => [a.id, a.owner, a.status]),
        [
          ['bot', 'sre', 'active'],
          ['helper', 'platform', 'active'],
        ],
      );
    });

    it('agents suspend and resume', async () => {
      const suspended = await cli(
        'agents',
        'suspend',
        'helper',
        '--reason',
        'noisy',
        '--as',
        'alice',
        '--config',
        cfg,
      );
      assert.equal(suspended.code, 0, suspended.err.join('\n'));
      assert.deepEqual(suspended.out, ['agent helper is suspended']);
      const listed = await cliJson<{ id: string; status: string }[]>('agents', 'list', '--config', cfg);
      assert.equal(listed.find((a) => a.id === 'helper')?.status, 'suspended');

      const resumed = await cliJson('agents', 'resume', 'helper', '--config', cfg);
      assert.equal(resumed.id, 'helper');
      assert.equal(resumed.status, 'active');

      const events = await withProject(cfg, (airlock) => airlock.audit.forSubject('helper'));
      const changes = events.filter((e) => e.kind === 'agent.suspended' || e.kind === 'agent.resumed');
      assert.deepEqual(
        changes.map((e) => [e.kind, e.actor.kind, e.actor.id, JSON.parse(e.data).reason]),
        [
          ['agent.suspended', 'person', 'alice', 'noisy'],
          ['agent.resumed', 'system', `cli:${os.userInfo().username}`, null],
        ],
      );

      assertFails(await cli('agents', 'suspend', 'ghost', '--config', cfg), 1, 'airlock: no agent ghost');
    });

    it('agents revoke-token: the old token is rejected by authentication', async () => {
      await withProject(cfg, async (airlock) => {
        assert.equal((await airlock.authenticate(`Bearer ${botToken}`)).kind, 'agent');
      });
      const run = await cli('agents', 'revoke-token', 'bot', '--config', cfg);
      assert.equal(run.code, 0, run.err.join('\n'));
      assert.deepEqual(run.out, ['revoked 1 token of bot']);
      await withProject(cfg, async (airlock) => {
        await assert.rejects(airlock.authenticate(`Bearer ${botToken}`), (error: unknown) => {
          assert.ok(error instanceof AirlockError);
          assert.equal(error.code, 'unauthorized');
          return true;
        });
      });
      const again = await cliJson('agents', 'revoke-token', 'bot', '--config', cfg);
      assert.deepEqual(again, { agent: 'bot', revoked: 0 });
    });

    it('people token alice --json gives a token that authenticates as alice', async () => {
      const issued = await cliJson('people', 'token', 'alice', '--config', cfg);
      assert.deepEqual(Object.keys(issued).sort(), ['person', 'token']);
      assert.equal(issued.person, 'alice');
      await withProject(cfg, async (airlock) => {
        const principal = await airlock.authenticate(`Bearer ${issued.token}`);
        assert.equal(principal.kind === 'person' ? principal.person.id : null, 'alice');
      });
      assertFails(
        await cli('people', 'token', 'mallory', '--config', cfg),
        1,
        'airlock: no person mallory in the people file',
      );
    });

    it('trust promote as alice, then trust show --json shows the grant', async () => {
      const promoted = await cli(
        'trust',
        'promote',
        'bot',
        'service.restart@staging',
        '--to',
        '2',
        '--reason',
        'r',
        '--as',
        'alice',
        '--config',
        cfg,
      );
      assert.equal(promoted.code, 0, promoted.err.join('\n'));
      assert.deepEqual(promoted.out, ['bot service.restart@staging: level 0 (advisory) → 2 (conditional)']);

      const view = await cliJson('trust', 'show', 'bot', '--config', cfg);
      assert.equal(view.agent, 'bot');
      assert.equal(view.ceiling, 3);
      assert.equal(view.scopes.length, 1);
      const [scope] = view.scopes;
      assert.equal(scope.scope, 'service.restart@staging');
      assert.equal(scope.level, 2);
      assert.equal(scope.effective, 2);
      assert.equal(scope.grantedBy, 'alice');
      assert.equal(scope.reason, 'r');

      const text = await cli('trust', 'show', 'bot', '--config', cfg);
      assert.equal(text.code, 0);
      assert.equal(text.out[0], 'bot: ceiling 3 (scoped); unlisted scopes are level 0 (advisory)');
      assert.match(text.out[2] ?? '', /^service\.restart@staging +2 \(conditional\) +alice +\S+ +r$/);
    });

    it('trust promote: without --as exits 2, as an approver exits 1, to a lower level exits 1', async () => {
      const promote = [
        'trust',
        'promote',
        'bot',
        'service.restart@staging',
        '--reason',
        'r',
        '--config',
        cfg,
      ];
      assertFails(
        await cli(...promote, '--to', '3'),
        2,
        'airlock: say who you are with --as <person> (or $AIRLOCK_AS)',
      );
      assertFails(
        await cli(...promote, '--to', '3', '--as', 'bob'),
        1,
        'airlock: bob is approver; this needs admin',
      );
      assertFails(
        await cli(...promote, '--to', '1', '--as', 'alice'),
        1,
        'airlock: service.restart@staging is at level 2; promote needs a higher level',
      );
      assertFails(await cli(...promote, '--to', '7', '--as', 'alice'), 2, 'airlock: --to takes a level 0-3');
      assertFails(
        await cli(
          'trust',
          'promote',
          'experimental-bot-missing',
          'service.restart@staging',
          '--to',
          '1',
          '--reason',
          'r',
          '--as',
          'alice',
          '--config',
          cfg,
        ),
        1,
        'airlock: no agent experimental-bot-missing',
      );
      const view = await cliJson('trust', 'show', 'bot', '--config', cfg);
      assert.equal(view.scopes[0].level, 2, 'nothing changed');
    });

    it('trust demote lowers; trust revoke puts every scope back to 0', async () => {
      const demoted = await cliJson(
        'trust',
        'demote',
        'bot',
        'service.restart@staging',
        '--to',
        '1',
        '--reason',
        'too eager',
        '--as',
        'alice',
        '--config',
        cfg,
      );
      assert.deepEqual(demoted, { agent: 'bot', scope: 'service.restart@staging', from: 2, to: 1 });
      const up = ['--reason', 'r', '--as', 'alice', '--config', cfg];
      assertFails(
        await cli('trust', 'demote', 'bot', 'service.restart@staging', '--to', '2', ...up),
        1,
        'airlock: service.restart@staging is at level 1; demote needs a lower level',
      );
      await cliJson('trust', 'promote', 'bot', 'cache.flush@*', '--to', '3', ...up);

      const revoked = await cliJson(
        'trust',
        'revoke',
        'bot',
        '--reason',
        'incident 42',
        '--as',
        'alice',
        '--config',
        cfg,
      );
      assert.equal(revoked.agent, 'bot');
      assert.deepEqual(
        revoked.changes
          .map((c: { scope: string; from: number; to: number }) => [c.scope, c.from, c.to])
          .sort(),
        [
          ['cache.flush@*', 3, 0],
          ['service.restart@staging', 1, 0],
        ],
      );
      const view = await cliJson('trust', 'show', 'bot', '--config', cfg);
      assert.deepEqual(
        view.scopes
          .map((s: { scope: string; level: number; reason: string }) => [s.scope, s.level, s.reason])
          .sort(),
        [
          ['cache.flush@*', 0, 'incident 42'],
          ['service.restart@staging', 0, 'incident 42'],
        ],
      );
      const again = await cli('trust', 'revoke', 'bot', '--reason', 'x', '--as', 'alice', '--config', cfg);
      assert.equal(again.code, 0);
      assert.deepEqual(again.out, ['bot held no level above 0']);
      assertFails(
        await cli('trust', 'revoke', 'bot', '--reason', 'x', '--as', 'bob', '--config', cfg),
        1,
        'airlock: bob is approver; this needs admin',
      );
    });
  });

  describe('actions, explain and audit', () => {
    const proposed: { id: string; effect: string; reasons: readonly Reason[] }[] = [];

    before(async () => {
      await withProject(cfg, async (airlock) => {
        const alice = airlock.people.get('alice');
        await airlock.agents.add({ id: 'proposer', owner: 'sre' }, { kind: 'system', id: 'test' });
        await airlock.trust.setLevel(
          { agentId: 'proposer', scope: 'service.restart@staging', level: 2, reason: 'test' },
          alice,
        );
        const agent = await airlock.agents.get('proposer');
        const bodies = [
          restart(),
          restart({ environment: 'production' }),
          {
            type: 'database.migrate',
            environment: 'staging',
            targets: [{ id: 'orders-db' }],
            params: { migration: '0042', dropsData: true },
          },
        ];
        for (const body of bodies) {
          const { action } = await airlock.proposals.propose(agent, body);
          proposed.push({ id: action.id, effect: action.decision.effect, reasons: action.decision.reasons });
        }
      });
      assert.deepEqual(
        proposed.map((p) => p.effect),
        ['execute', 'advise', 'deny'],
      );
    });

    it('actions list --json lists them newest first; filters apply; the table has a header', async () => {
      const actions = await cliJson<{ id: string; status: string; decision: { effect: string } }[]>(
        'actions',
        'list',
        '--config',
        cfg,
      );
      assert.deepEqual(
        actions.map((a) => [a.id, a.decision.effect, a.status]),
        [
          [proposed[2]?.id, 'deny', 'denied'],
          [proposed[1]?.id, 'advise', 'advised'],
          [proposed[0]?.id, 'execute', 'approved'],
        ],
      );
      const denied = await cliJson<{ id: string }[]>(
        'actions',
        'list',
        '--status',
        'denied',
        '--config',
        cfg,
      );
      assert.deepEqual(
        denied.map((a) => a.id),
        [proposed[2]?.id],
      );
      const limited = await cliJson<unknown[]>('actions', 'list', '--limit', '1', '--config', cfg);
      assert.equal(limited.length, 1);
      assertFails(
        await cli('actions', 'list', '--status', 'sleeping', '--config', cfg),
        2,
        /^airlock: --status is one of advised, /,
      );

      const table = await cli('actions', 'list', '--config', cfg);
      assert.equal(table.code, 0);
      assert.equal(table.out.length, 4);
      assert.match(table.out[0] ?? '', /^ACTION +CREATED +AGENT +TYPE +ENV +DECISION +STATUS +LEVEL$/);
      assert.match(
        table.out[3] ?? '',
        new RegExp(`^${proposed[0]?.id} +\\S+ +proposer +service\\.restart +staging +execute +approved +2$`),
      );
    });

    it('explain <id> shows every reason line and the audit sequence numbers', async () => {
      for (const action of proposed) {
        const run = await cli('explain', action.id, '--config', cfg);
        assert.equal(run.code, 0, run.err.join('\n'));
        const text = run.out.join('\n');
        assert.ok(run.out[0]?.startsWith(`${action.id}: proposer proposes `));
        assert.ok(action.reasons.length > 0);
        const reasonLines = run.out.filter((line) => /^ {2}(rule|default|agent|freeze|cap) /.test(line));
        assert.equal(reasonLines.length, action.reasons.length, text);
        for (const reason of action.reasons)
          assert.ok(text.includes(reason.message), `names: ${reason.message}`);

        const events = await withProject(cfg, (airlock) => airlock.audit.forSubject(action.id));
        assert.deepEqual(
          events.map((e) => e.kind),
          ['action.proposed', 'action.decided'],
        );
        for (const event of events) {
          assert.ok(
            run.out.some((line) => line.startsWith(`  #${event.seq}  `) && line.includes(event.kind)),
            `path shows #${event.seq}`,
          );
        }
      }
      const denied = await cli('explain', proposed[2]?.id ?? '', '--config', cfg);
      assert.ok(
        denied.out.some((line) =>
          /^ {2}rule +deny +no-data-loss-migrations \(policies\/guardrails\.yaml\): /.test(line),
        ),
        denied.out.join('\n'),
      );
    });

    it('explain --json includes decision.reasons, facts and the path', async () => {
      const action = proposed[0];
      assert.ok(action !== undefined);
      const view = await cliJson('explain', action.id, '--config', cfg);
      assert.equal(view.id, action.id);
      assert.equal(view.decision.effect, 'execute');
      assert.deepEqual(view.decision.reasons, action.reasons);
      assert.equal(view.facts.trust.granted, 2);
      assert.equal(view.facts.agent.id, 'proposer');
      assert.equal(view.facts.environment.name, 'staging');
      assert.deepEqual(
        view.path.map((s: { kind: string }) => s.kind),
        ['action.proposed', 'action.decided'],
      );
      assert.ok(view.path.every((s: { seq: number }) => Number.isInteger(s.seq) && s.seq > 0));
    });

    it('explain of an unknown action exits 1', async () => {
      assertFails(await cli('explain', 'nope', '--config', cfg), 1, 'airlock: no action nope');
      assertFails(await cli('explain', '--config', cfg), 2, 'airlock: missing <action>');
    });

    it('audit head as text and JSON, agreeing with audit verify', async () => {
      const head = await cliJson<{ seq: number; hash: string }>('audit', 'head', '--config', cfg);
      assert.ok(Number.isInteger(head.seq) && head.seq > 10);
      assert.match(head.hash, /^[0-9a-f]{64}$/);
      const text = await cli('audit', 'head', '--config', cfg);
      assert.equal(text.code, 0);
      assert.deepEqual(text.out, [`${head.seq} ${head.hash}`]);
      const report = await cliJson('audit', 'verify', '--config', cfg);
      assert.deepEqual(report, {
        ok: true,
        events: head.seq,
        head: head.hash,
        firstBad: null,
        problem: null,
      });
      assertFails(
        await cli('audit', 'verify', '--anchor', 'xyz', '--config', cfg),
        2,
        'airlock: --anchor takes a 64-character hex hash',
      );
    });

    it('every data command answers --json with JSON', async () => {
      const commands = [
        ['policy', 'check'],
        ['agents', 'list'],
        ['people', 'list'],
        ['trust', 'show', 'proposer'],
        ['actions', 'list'],
        ['explain', proposed[1]?.id ?? ''],
        ['audit', 'head'],
        ['audit', 'verify'],
        ['agents', 'token', 'proposer'],
        ['people', 'revoke-token', 'carol'],
      ];
      for (const command of commands) {
        const value = await cliJson(...command, '--config', cfg);
        assert.equal(typeof value, 'object', command.join(' '));
        assert.notEqual(value, null);
      }
    });
  });
});
