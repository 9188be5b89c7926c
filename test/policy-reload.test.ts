/** Invariant 7 on a running server: a bad bundle, catalog or config never replaces the good one in force; good changes do, audited. */

import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Harness, restart, startHarness } from './harness.ts';
import { STAGING_FREEZE, until } from './policy-reload-helpers.ts';

/** A policy file whose `when` on line `3 + padding` does not parse as CEL. */
function brokenPolicy(padding = 0): string {
  return [
    ...Array.from({ length: padding }, () => '# a comment'),
    'rules:',
    '  - name: broken-restart-rule',
    '    when: \'request.params.reason ==== "x"\'',
    '    match: { types: [service.restart] }',
    '    effect: deny',
    '    reason: Never compiles.',
    '',
  ].join('\n');
}

function lineOf(text: string, needle: string, occurrence = 1): number {
  let seen = 0;
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.includes(needle) && ++seen === occurrence) return index + 1;
  }
  throw new Error(`"${needle}" (#${occurrence}) not found`);
}

describe('policy reload on a running server (invariant 7)', () => {
  let h: Harness;
  let bot: string;
  let alice: string;
  let v0: string;

  const policyFile = (name: string) => path.join(h.dir, 'policies', name);
  const reloadLogs = (event: string) => h.logs.filter((line) => line.event === event);

  async function metric(labels: string): Promise<number> {
    const response = await h.request('GET', '/metrics');
    assert.equal(response.status, 200);
    const line = response.text
      .split('\n')
      .find((l) => l.startsWith(`airlock_project_reloads_total{${labels}}`));
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  }

  async function decide(body: Record<string, unknown> = restart()) {
    const response = await h.propose(bot, body);
    assert.equal(response.status, 201, response.text);
    return response.body.decision as {
      effect: string;
      policyEffect: string;
      policyVersion: string;
      reasons: { kind: string; rule?: string; effect?: string }[];
    };
  }

  before(async () => {
    h = await startHarness();
    bot = await h.agent('triage-bot');
    alice = await h.person('alice');
    await h.grant('triage-bot', 'service.restart@staging', 2);
    v0 = h.airlock.project().bundle.hash;
    const decision = await decide();
    assert.equal(decision.effect, 'execute');
    assert.equal(decision.policyVersion, v0);
  });

  after(async () => {
    h.airlock.holder.unwatch();
    await h.close();
  });

  it('(a) a policy with a CEL syntax error is rejected; the old bundle keeps deciding', async () => {
    await writeFile(policyFile('bad.yaml'), brokenPolicy());
    const result = await h.airlock.holder.reload('watch');
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.problems.length, 1);
    assert.equal(result.problems[0]?.line, 3);
    assert.ok(result.problems[0]?.file.endsWith(path.join('policies', 'bad.yaml')));

    const failed = reloadLogs('project.reload_failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.trigger, 'watch');
    assert.equal(failed[0]?.level, 50);
    const problems = failed[0]?.problems as string[];
    assert.equal(problems.length, 1);
    assert.match(
      problems[0] ?? '',
      /policies\/bad\.yaml:3:\d+ rules\[0\]\.when: rule "broken-restart-rule": /,
    );
    assert.match(String(failed[0]?.msg), /policies\/bad\.yaml:3/);
    assert.ok(String(failed[0]?.msg).includes(v0), 'the message names the bundle that stays in force');

    assert.equal(h.airlock.project().bundle.hash, v0);
    const decision = await decide();
    assert.equal(decision.effect, 'execute');
    assert.equal(decision.policyVersion, v0);
    assert.equal(await metric('result="error"'), 1);
    assert.equal(await metric('result="ok"'), 0);
  });

  it('(a) the real file watcher picks up a change and rejects it the same way', async () => {
    h.airlock.holder.watch();
    await writeFile(policyFile('bad.yaml'), brokenPolicy(2));
    const failed = await until('a watch-triggered reload_failed naming line 5', () =>
      reloadLogs('project.reload_failed').find((line) =>
        (line.problems as string[]).some((p) => p.includes('policies/bad.yaml:5')),
      ),
    );
    assert.equal(failed.trigger, 'watch');
    h.airlock.holder.unwatch();

    assert.equal(h.airlock.project().bundle.hash, v0);
    const decision = await decide();
    assert.equal(decision.effect, 'execute');
    assert.equal(decision.policyVersion, v0);
    assert.equal(await metric('result="error"'), reloadLogs('project.reload_failed').length);
    assert.equal(await metric('result="ok"'), 0);
    assert.equal(reloadLogs('project.reloaded').length, 0);
  });

  it('(b) a good change is picked up: new bundle, the new rule decides, policy.activated is audited', async () => {
    await rm(policyFile('bad.yaml'));
    await writeFile(policyFile('staging-freeze.yaml'), STAGING_FREEZE);
    const result = await h.airlock.holder.reload('command');
    assert.equal(result.ok, true);
    assert.ok(result.ok);
    assert.equal(result.changed, true);

    const v1 = h.airlock.project().bundle.hash;
    assert.notEqual(v1, v0);
    assert.match(v1, /^sha256:[0-9a-f]{64}$/);
    const decision = await decide();
    assert.equal(decision.effect, 'deny');
    assert.equal(decision.policyEffect, 'deny');
    assert.equal(decision.policyVersion, v1);
    assert.ok(
      decision.reasons.some(
        (r) => r.kind === 'rule' && r.rule === 'no-staging-restarts' && r.effect === 'deny',
      ),
    );

    const policyEvents = await h.airlock.store.auditForSubject('policy');
    assert.equal(policyEvents.length, 2, 'startup, then this change');
    const activated = policyEvents.at(-1);
    assert.equal(activated?.kind, 'policy.activated');
    assert.deepEqual(activated?.actor, { kind: 'system', id: 'airlock' });
    const data = JSON.parse(activated?.data ?? '{}') as Record<string, unknown>;
    assert.equal(data.bundle, v1);
    assert.equal(data.previous, v0);
    assert.equal(data.trigger, 'command');
    assert.deepEqual(
      (data.files as { path: string }[]).map((f) => f.path),
      ['policies/guardrails.yaml', 'policies/routine.yaml', 'policies/staging-freeze.yaml'],
    );

    const reloaded = reloadLogs('project.reloaded');
    assert.equal(reloaded.length, 1);
    assert.equal(reloaded[0]?.bundle, v1);
    assert.equal(reloaded[0]?.previousBundle, v0);
    assert.equal(await metric('result="ok"'), 1);

    const metrics = await h.request('GET', '/metrics');
    assert.ok(metrics.text.includes(`airlock_policy_bundle_info{hash="${v1}"} 1`));
    assert.ok(!metrics.text.includes(`airlock_policy_bundle_info{hash="${v0}"}`));

    const verify = await h.request('GET', '/v1/audit/verify', { token: alice });
    assert.equal(verify.body.ok, true);
  });

  it('(c) a bad airlock.yaml is rejected whole: a defaultEffect change next to an error is not applied', async () => {
    const configPath = h.configPath;
    const original = await readFile(configPath, 'utf8');
    const bundle = h.airlock.project().bundle.hash;
    const flush = {
      type: 'cache.flush',
      environment: 'production',
      targets: [{ id: 'redis-1' }],
      params: {},
    };
    const before = await decide(flush);
    assert.equal(before.policyEffect, 'escalate');
    assert.ok(before.reasons.some((r) => r.kind === 'default' && r.effect === 'escalate'));

    const broken = original
      .replace('defaultEffect: escalate', 'defaultEffect: deny')
      .replace('["Mon-Fri 08:00-18:00 Europe/Berlin"]', '["Someday 25:00-26:00 Mars/Olympus"]');
    assert.notEqual(broken, original);
    try {
      await writeFile(configPath, broken);
      const errorsBefore = await metric('result="error"');
      const result = await h.airlock.holder.reload('command');
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      const line = lineOf(broken, 'changeWindows:');
      assert.ok(
        result.problems.some((p) => p.file.endsWith('airlock.yaml') && p.line === line),
        JSON.stringify(result.problems),
      );
      const logged = reloadLogs('project.reload_failed').at(-1)?.problems as string[];
      assert.ok(
        logged.some((p) => p.includes(`airlock.yaml:${line}:`)),
        logged.join('\n'),
      );

      const project = h.airlock.project();
      assert.equal(project.config.policy.defaultEffect, 'escalate');
      assert.equal(project.bundle.defaultEffect, 'escalate');
      assert.equal(project.bundle.hash, bundle);
      const after = await decide(flush);
      assert.equal(after.policyEffect, 'escalate');
      assert.equal(after.policyVersion, bundle);
      assert.equal(await metric('result="error"'), errorsBefore + 1);
    } finally {
      await writeFile(configPath, original);
    }
    const restored = await h.airlock.holder.reload('command');
    assert.ok(restored.ok);
    assert.equal(restored.changed, false, 'the restored files are the ones in force');
  });

  it('(c) a bad catalog is rejected whole: a valid tier change next to an error is not applied', async () => {
    const catalogPath = path.join(h.dir, 'catalog.yaml');
    const original = await readFile(catalogPath, 'utf8');
    const bundle = h.airlock.project().bundle.hash;
    const lines = original.split('\n');
    const restartTier = lineOf(original, 'tier: low', 1);
    const flushTier = lineOf(original, 'tier: low', 2);
    lines[restartTier - 1] = lines[restartTier - 1]?.replace('tier: low', 'tier: high') ?? '';
    lines[flushTier - 1] = lines[flushTier - 1]?.replace('tier: low', 'tier: extreme') ?? '';
    try {
      await writeFile(catalogPath, lines.join('\n'));

      const result = await h.airlock.holder.reload('command');
      assert.ok(!result.ok);
      assert.ok(
        result.problems.some((p) => p.file.endsWith('catalog.yaml') && p.line === flushTier),
        JSON.stringify(result.problems),
      );
      const logged = reloadLogs('project.reload_failed').at(-1)?.problems as string[];
      assert.ok(
        logged.some((p) => p.includes(`catalog.yaml:${flushTier}:`)),
        logged.join('\n'),
      );

      assert.equal(h.airlock.project().catalog.get('service.restart')?.tier, 'low');
      assert.equal(h.airlock.project().bundle.hash, bundle);
      const catalog = await h.request('GET', '/v1/catalog', { token: alice });
      const tiers = Object.fromEntries(
        (catalog.body.types as { type: string; tier: string }[]).map((t) => [t.type, t.tier]),
      );
      assert.equal(tiers['service.restart'], 'low');
      assert.equal(tiers['cache.flush'], 'low');
    } finally {
      await writeFile(catalogPath, original);
    }
    const restored = await h.airlock.holder.reload('command');
    assert.ok(restored.ok);
    assert.equal(restored.changed, false);
  });
});
