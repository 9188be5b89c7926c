/**
 * Promoting a shadow policy bundle: only admins, only the bundle reviewed (`expectHash`), only one
 * directory onto another; the files are swapped whole, audited as policy.promoted, and the live
 * bundle then decides as the shadow did — in-process over HTTP, by the file watch after the CLI.
 */

import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promotionSchema } from '../src/api/shadow-schemas.ts';
import { shortHash } from '../src/cli/output.ts';
import { contentHash } from '../src/policy/bundle-content.ts';
import { assertFails, cli, cliJson } from './cli-helpers.ts';
import { type Harness, type Loose, restart, startHarness } from './harness.ts';
import { until } from './policy-reload-helpers.ts';
import { eventsOf, metric, shadowProject } from './shadow-helpers.ts';

const PROMOTED = ['guardrails.yaml', 'limits.yaml', 'routine.test.yaml', 'routine.yaml'];

async function yamlFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort();
}

describe('POST /v1/policy/shadow/promote', () => {
  let h: Harness;
  let alice: string;
  let bot: string;
  const promote = (token: string, body: unknown) =>
    h.request('POST', '/v1/policy/shadow/promote', { token, body });

  before(async () => {
    h = await startHarness({ files: { ...(await shadowProject()), 'policies/README.md': 'notes stay\n' } });
    alice = await h.person('alice');
    bot = await h.agent('triage-bot');
    await h.grant('triage-bot', '*@staging', 2);
    const restarted = await h.propose(bot, restart());
    assert.equal(restarted.body.decision.effect, 'execute');
  });

  after(() => h.close());

  it('refuses approvers, viewers and agents (403), a missing reason (422) and another hash (409); nothing changes', async () => {
    const before = await yamlFiles(path.join(h.dir, 'policies'));
    for (const token of [await h.person('bob'), await h.person('carol'), bot]) {
      const response = await promote(token, { reason: 'ship it' });
      assert.equal(response.status, 403, response.text);
      assert.equal(response.body.error.code, 'forbidden');
    }
    const noReason = await promote(alice, {});
    assert.equal(noReason.status, 422);
    assert.deepEqual(
      noReason.body.error.details.map((d: Loose) => d.path),
      ['reason'],
    );
    const shadow = h.airlock.project().shadow?.hash ?? '';
    const wrong = await promote(alice, { reason: 'ship it', expectHash: `sha256:${'0'.repeat(64)}` });
    assert.equal(wrong.status, 409);
    assert.equal(
      wrong.body.error.message,
      `the shadow bundle loaded is ${shadow}, not sha256:${'0'.repeat(64)}`,
    );
    assert.deepEqual(await yamlFiles(path.join(h.dir, 'policies')), before);
    assert.ok(!(await eventsOf(h, 'policy')).some((e) => e.kind === 'policy.promoted'));
  });

  it('refuses shadow files changed since they were loaded (409)', async () => {
    const file = path.join(h.dir, 'policies-next', 'routine.yaml');
    const original = await readFile(file, 'utf8');
    await writeFile(file, `${original}# edited after review\n`);
    try {
      const response = await promote(alice, { reason: 'ship it' });
      assert.equal(response.status, 409);
      assert.match(
        response.body.error.message,
        /the shadow policy files changed since bundle sha256:\w+ was loaded/,
      );
    } finally {
      await writeFile(file, original);
    }
  });

  it('an admin promotes the shadow reviewed: files swapped, reloaded, audited, deciding as the shadow did', async () => {
    const before = h.airlock.project();
    const shadow = before.shadow;
    assert.ok(shadow !== null);
    const disagreements = (await h.airlock.store.listShadowDecisions({ limit: 100 })).length;
    assert.equal(disagreements, 1);

    const response = await promote(alice, {
      reason: 'reviewed the shadow report',
      expectHash: shortHash(shadow.hash),
    });
    assert.equal(response.status, 200, response.text);
    const result = promotionSchema.parse(response.body);
    assert.equal(result.previous, before.bundle.hash);
    assert.equal(result.shadow, shadow.hash);
    assert.equal(result.contentHash, contentHash(shadow));
    assert.notEqual(result.bundle, shadow.hash, 'the live hash names the live directory');
    assert.deepEqual(
      [result.disagreements, result.files, result.inForce, result.problems],
      [1, PROMOTED, true, []],
    );

    const live = path.join(h.dir, 'policies');
    assert.deepEqual(await yamlFiles(live), PROMOTED);
    for (const name of PROMOTED) {
      assert.equal(
        await readFile(path.join(live, name), 'utf8'),
        await readFile(path.join(h.dir, 'policies-next', name), 'utf8'),
      );
    }
    assert.equal(await readFile(path.join(live, 'README.md'), 'utf8'), 'notes stay\n');
    assert.deepEqual(
      (await readdir(h.dir)).filter((n) => n.startsWith('.policies')),
      [],
      'no staging left behind',
    );

    const after = h.airlock.project();
    assert.equal(after.bundle.hash, result.bundle);
    assert.equal(contentHash(after.bundle), contentHash(shadow));
    const answer = await h.propose(bot, restart({ params: { reason: 'after promotion' } }));
    assert.equal(answer.body.decision.effect, 'escalate');
    assert.equal(answer.body.decision.policyVersion, result.bundle);
    assert.ok(
      answer.body.decision.reasons.some(
        (r: Loose) => r.rule === 'restart-services' && r.effect === 'escalate',
      ),
    );
    assert.equal(
      await metric(h, 'airlock_shadow_decisions_total', 'result="agree"'),
      1,
      'the shadow agrees now',
    );
    assert.equal((await h.airlock.store.listShadowDecisions({ limit: 100 })).length, 1);

    const events = await eventsOf(h, 'policy');
    assert.deepEqual(
      events.map((e) => e.kind),
      ['policy.activated', 'policy.promoted', 'policy.activated'],
    );
    const promoted = events[1];
    assert.deepEqual(promoted?.actor, { kind: 'person', id: 'alice' });
    assert.deepEqual(promoted?.data, {
      previous: before.bundle.hash,
      shadow: shadow.hash,
      contentHash: contentHash(shadow),
      bundle: result.bundle,
      disagreements: 1,
      files: PROMOTED,
      reason: 'reviewed the shadow report',
    });
    assert.deepEqual(
      [events[2]?.data.bundle, events[2]?.data.previous, events[2]?.data.trigger],
      [result.bundle, before.bundle.hash, 'command'],
    );
    const verify = await h.request('GET', '/v1/audit/verify', { token: alice });
    assert.equal(verify.body.ok, true);

    const report = await h.request('GET', '/v1/policy/shadow', { token: alice });
    assert.equal(report.body.shadow.sameAsLive, true);
    const again = await promote(alice, { reason: 'once more' });
    assert.equal(again.status, 409);
    assert.match(again.body.error.message, /nothing to promote/);
  });
});

describe('airlock policy shadow promote, with a server watching the files', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ files: await shadowProject() });
    h.airlock.holder.watch(50);
  });

  after(async () => {
    h.airlock.holder.unwatch();
    await h.close();
  });

  it('refuses an approver and another hash, then promotes; the server reloads by its file watch, and keeps watching', async () => {
    const cfg = h.configPath;
    const before = h.airlock.project();
    const shadow = before.shadow?.hash ?? '';
    assertFails(
      await cli('policy', 'shadow', 'promote', '--as', 'bob', '--reason', 'ship it', '--config', cfg),
      1,
      'airlock: bob is approver; this needs admin',
    );
    assertFails(
      await cli(
        'policy',
        'shadow',
        'promote',
        '--as',
        'alice',
        '--reason',
        'x',
        '--expect',
        'sha256:000000000000',
        '--config',
        cfg,
      ),
      1,
      `airlock: the shadow bundle loaded is ${shadow}, not sha256:000000000000`,
    );
    assertFails(
      await cli('policy', 'shadow', 'promote', '--as', 'alice', '--config', cfg),
      2,
      'airlock: missing --reason',
    );

    const result = await cliJson(
      'policy',
      'shadow',
      'promote',
      '--as',
      'alice',
      '--reason',
      'reviewed',
      '--expect',
      shadow,
      '--config',
      cfg,
    );
    assert.equal(result.inForce, false, 'the CLI writes files; the server puts them in force');
    await until('the server to load the promoted bundle', () =>
      h.airlock.project().bundle.hash === result.bundle ? true : undefined,
    );
    // The bundle is in force before its activation is recorded (the next transaction).
    const events = await until('the activation to be recorded', async () => {
      const policy = await eventsOf(h, 'policy');
      return policy.length >= 3 ? policy : undefined;
    });
    assert.deepEqual(
      events.map((e) => [e.kind, e.actor.id]),
      [
        ['policy.activated', 'airlock'],
        ['policy.promoted', 'alice'],
        ['policy.activated', 'airlock'],
      ],
    );
    assert.equal(events[2]?.data.trigger, 'watch');

    // The live directory was replaced whole: the watch follows the new one.
    await writeFile(
      path.join(h.dir, 'policies', 'later.yaml'),
      'rules:\n  - name: later-rule\n    match: { types: [cache.flush] }\n    effect: deny\n    reason: added after the promotion\n',
    );
    await until('the server to load a later edit', () =>
      h.airlock.project().bundle.rules.some((r) => r.name === 'later-rule') ? true : undefined,
    );
  });

  it('refuses a project whose policies are not one directory', async () => {
    const listed = await startHarness({
      files: {
        ...(await shadowProject()),
        'airlock.yaml': (text: string) =>
          text
            .replace('policies: policies', 'policies: [policies/guardrails.yaml, policies/routine.yaml]')
            .replace('  defaultEffect: escalate', '  defaultEffect: escalate\n  shadow: policies-next'),
      },
    });
    try {
      const run = await cli(
        'policy',
        'shadow',
        'promote',
        '--as',
        'alice',
        '--reason',
        'x',
        '--config',
        listed.configPath,
      );
      assertFails(
        run,
        1,
        /^airlock: promotion needs `policies` and `policy.shadow` to name one directory each/,
      );
    } finally {
      await listed.close();
    }
  });
});
