/** The `airlock` command line: agents, people tokens and trust levels, one sequence of commands on one project. */

import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, it } from 'node:test';
import { AirlockError } from '../src/domain/errors.ts';
import { assertFails, cli, cliJson, useCliProject, withProject } from './cli-helpers.ts';

describe('airlock CLI', () => {
  let cfg: string;
  useCliProject((configPath) => {
    cfg = configPath;
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
        '--override',
        '--reason',
        'r',
        '--as',
        'alice',
        '--config',
        cfg,
      );
      assert.equal(promoted.code, 0, promoted.err.join('\n'));
      assert.equal(promoted.out[0], 'bot service.restart@staging: level 0 (advisory) → 2 (conditional)');
      assert.match(promoted.out[1] ?? '', /^override recorded: \d+ criteria unmet$/);

      const view = await cliJson('trust', 'show', 'bot', '--config', cfg);
      assert.equal(view.agent, 'bot');
      assert.equal(view.ceiling, 3);
      assert.equal(view.scopes.length, 1);
      const [scope] = view.scopes;
      assert.equal(scope.scope, 'service.restart@staging');
      assert.equal(scope.level, 2);
      assert.equal(scope.effective, 2);
      assert.equal(scope.grant.grantedBy, 'alice');
      assert.equal(scope.grant.reason, 'r');
      assert.equal(scope.next.to, 3);

      const text = await cli('trust', 'show', 'bot', '--config', cfg);
      assert.equal(text.code, 0);
      assert.equal(text.out[0], 'bot: ceiling 3 (scoped); scopes not listed are level 0 (advisory)');
      assert.match(
        text.out[2] ?? '',
        /^service\.restart@staging — level 2 \(conditional\), since \S+ by alice: r$/,
      );
      assert.ok(text.out.includes('  next: level 3 — blocked by'), text.out.join('\n'));
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
      await cliJson('trust', 'promote', 'bot', 'cache.flush@*', '--to', '3', '--override', ...up);

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
      assert.equal(revoked.frozen, true);
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
          .map((s: { scope: string; level: number; grant: { reason: string } }) => [
            s.scope,
            s.level,
            s.grant.reason,
          ])
          .sort(),
        [
          ['cache.flush@*', 0, 'incident 42'],
          ['service.restart@staging', 0, 'incident 42'],
        ],
      );
      const again = await cli('trust', 'revoke', 'bot', '--reason', 'x', '--as', 'alice', '--config', cfg);
      assert.equal(again.code, 0);
      assert.deepEqual(again.out, [
        'bot held no level above 0',
        'bot frozen: nothing it proposes runs without a human until unfrozen',
      ]);
      const freezes = await cliJson('freeze', '--list', '--config', cfg);
      assert.ok(
        freezes.freezes.some(
          (f: { scope: string; reason: string }) => f.scope === 'bot' && /^trust revoked: /.test(f.reason),
        ),
        'revoke freezes the agent, saying why',
      );
      assertFails(
        await cli('trust', 'revoke', 'bot', '--reason', 'x', '--as', 'bob', '--config', cfg),
        1,
        'airlock: bob is approver; this needs admin',
      );
    });
  });
});
