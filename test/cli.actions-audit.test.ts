/** The `airlock` command line: actions list, explain and audit head/verify on proposed actions, and --json everywhere. */

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Reason } from '../src/domain/decision.ts';
import { assertFails, cli, cliJson, useCliProject, withProject } from './cli-helpers.ts';
import { restart } from './harness.ts';

describe('airlock CLI', () => {
  let cfg: string;
  useCliProject((configPath) => {
    cfg = configPath;
  });

  describe('actions, explain and audit', () => {
    const proposed: { id: string; effect: string; reasons: readonly Reason[] }[] = [];

    before(async () => {
      await withProject(cfg, async (airlock) => {
        const alice = airlock.people.get('alice');
        await airlock.agents.add({ id: 'proposer', owner: 'sre' }, { kind: 'system', id: 'test' });
        await airlock.trust.setLevel(
          { agentId: 'proposer', scope: 'service.restart@staging', level: 2, reason: 'test', override: true },
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
          // Cleared at once, a permit follows: the quickstart's types are agent-executed.
          ['action.proposed', 'action.decided', ...(action.effect === 'execute' ? ['permit.issued'] : [])],
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
        ['action.proposed', 'action.decided', 'permit.issued'],
      );
      assert.ok(view.path.every((s: { seq: number }) => Number.isInteger(s.seq) && s.seq > 0));
    });

    it('explain of an unknown action exits 1', async () => {
      assertFails(await cli('explain', 'nope', '--config', cfg), 1, 'airlock: no action nope');
      assertFails(await cli('explain', '--config', cfg), 2, 'airlock: missing <action>');
    });

    it('audit head as text and JSON, agreeing with audit verify', async () => {
      const head = await cliJson<{ seq: number; hash: string }>('audit', 'head', '--config', cfg);
      assert.ok(Number.isInteger(head.seq) && head.seq > 0);
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
