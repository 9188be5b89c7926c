/** `airlock approvals list|show|approve|deny|revise` and `explain` of an approved action, on one project. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertFails, cli, cliJson, useCliProject, withProject } from './cli-helpers.ts';
import { restart } from './harness.ts';

describe('airlock approvals', () => {
  let cfg: string;
  useCliProject((configPath) => {
    cfg = configPath;
  });

  /** Propose as a level-1 agent straight through the gateway (no server needed). */
  async function pending(reason: string): Promise<{ action: string; approval: string }> {
    return withProject(cfg, async (airlock) => {
      if ((await airlock.store.getAgent('cli-bot')) === null) {
        await airlock.agents.add({ id: 'cli-bot', owner: 'sre' }, { kind: 'system', id: 'test' });
        await airlock.trust.setLevel(
          { agentId: 'cli-bot', scope: 'service.restart@staging', level: 1, reason: 'test', override: true },
          airlock.people.get('alice'),
        );
      }
      const agent = await airlock.store.getAgent('cli-bot');
      if (agent === null) throw new Error('no agent');
      const { action, approval } = await airlock.proposals.propose(agent, restart({ params: { reason } }));
      if (approval === null) throw new Error('no approval opened');
      return { action: action.id, approval: approval.id };
    });
  }

  it('list shows what waits for bob; carol (viewer) has nothing; --all shows every pending one', async () => {
    const { approval } = await pending('list me');
    const listed = await cliJson('approvals', 'list', '--as', 'bob', '--config', cfg);
    assert.deepEqual(listed.attention, [], 'nothing needs attention');
    const bob = listed.approvals;
    assert.deepEqual(
      bob.map((a: { id: string }) => a.id),
      [approval],
    );
    assert.equal(bob[0].you.mayApprove, true);
    assert.equal(bob[0].route.name, 'sre-on-call');
    const carol = await cli('approvals', 'list', '--as', 'carol', '--config', cfg);
    assert.deepEqual(carol.out, ['nothing waits for you']);
    const all = (await cliJson('approvals', 'list', '--all', '--as', 'carol', '--config', cfg)).approvals;
    assert.equal(all.length, 1);
    assert.equal(all[0].you.mayApprove, false);

    const text = await cli('approvals', 'list', '--as', 'bob', '--config', cfg);
    assert.equal(text.code, 0);
    assert.match(text.out[0] ?? '', /^APPROVAL\s+ACTION\s+AGENT/);
    assert.match(text.out[1] ?? '', /sre-on-call 1\/2 sre 0\/1\s+in 15m\s+yes$/);
  });

  it('show gives the context; approve records the vote; explain shows the approval and its path', async () => {
    const { action, approval } = await pending('approve me');
    const show = await cli('approvals', 'show', approval, '--as', 'bob', '--config', cfg);
    assert.equal(show.code, 0, show.err.join('\n'));
    const text = show.out.join('\n');
    assert.match(text, /cli-bot \(owner sre, level 1\) proposes service\.restart in staging/);
    assert.match(text, /params \{"reason":"approve me"\}/);
    assert.match(text, /level 1 \(assisted\): every action needs a human approval/);
    assert.match(text, /you may approve/);

    const voted = await cliJson(
      'approvals',
      'approve',
      action,
      '--comment',
      'looks right',
      '--as',
      'bob',
      '--config',
      cfg,
    );
    assert.equal(voted.status, 'approved');
    assert.deepEqual(
      voted.votes.map((v: { person: string; verdict: string; comment: string }) => [
        v.person,
        v.verdict,
        v.comment,
      ]),
      [['bob', 'approve', 'looks right']],
    );
    const explain = await cli('explain', action, '--config', cfg);
    const lines = explain.out.join('\n');
    assert.match(lines, /approval apv_\w+: approved · route sre-on-call/);
    assert.match(lines, /approval\.voted\s+by person bob .* approve at step 1: looks right/);
    assert.match(lines, /approval\.resolved\s+by system airlock .* approved \(quorum\) → status approved/);
  });

  it('deny needs --reason (exit 2); a second verdict on a closed approval fails with one line', async () => {
    const { approval } = await pending('deny me');
    assertFails(
      await cli('approvals', 'deny', approval, '--as', 'bob', '--config', cfg),
      2,
      'airlock: missing --reason',
    );
    const denied = await cli(
      'approvals',
      'deny',
      approval,
      '--reason',
      'not now',
      '--as',
      'bob',
      '--config',
      cfg,
    );
    assert.equal(denied.code, 0, denied.err.join('\n'));
    assert.match(denied.out[0] ?? '', /: denied by you; approval is denied$/);
    assertFails(
      await cli('approvals', 'approve', approval, '--as', 'dave', '--config', cfg),
      1,
      'airlock: the approval is already denied',
    );
  });

  it('refuses people outside the group and names the group', async () => {
    const { approval } = await pending('not yours');
    assertFails(
      await cli('approvals', 'approve', approval, '--as', 'carol', '--config', cfg),
      1,
      'airlock: carol is a viewer; viewers cannot vote',
    );
    assertFails(
      await cli('approvals', 'approve', approval, '--as', 'nobody', '--config', cfg),
      1,
      'airlock: no person "nobody" in the people file',
    );
  });

  it('revise creates a new revision that needs its own approval', async () => {
    const { approval } = await pending('revise me');
    assertFails(
      await cli(
        'approvals',
        'revise',
        approval,
        '--params',
        'nope',
        '--reason',
        'x',
        '--as',
        'bob',
        '--config',
        cfg,
      ),
      2,
      /--params takes a JSON object/,
    );
    const revised = await cliJson(
      'approvals',
      'revise',
      approval,
      '--params',
      '{"reason":"revised by bob"}',
      '--reason',
      'say it better',
      '--as',
      'bob',
      '--config',
      cfg,
    );
    assert.equal(revised.approval.status, 'revised');
    assert.equal(revised.revision.status, 'pending_approval');
    assertFails(
      await cli('approvals', 'approve', revised.revision.id, '--as', 'bob', '--config', cfg),
      1,
      'airlock: bob proposed this revision; someone else must approve it',
    );
    const approved = await cliJson(
      'approvals',
      'approve',
      revised.revision.id,
      '--as',
      'dave',
      '--config',
      cfg,
    );
    assert.equal(approved.status, 'approved');
  });
});
