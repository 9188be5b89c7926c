/**
 * The guided demo, run as a user would (`--fast --exit --json --keep`): its JSON summary tells the
 * story, and the project it kept is opened afterwards to check, in the store and the audit chain,
 * that the story really happened.
 */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type Airlock, createAirlock } from '../src/gateway/airlock.ts';
import type { ActionRecord } from '../src/store/records.ts';
import { QUICKSTART } from './harness.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DEMO = path.join(ROOT, 'scripts/demo.ts');
const AGENT = 'incident-bot';

interface Report {
  readonly id: string;
  readonly environment: string;
  readonly effect: string;
  readonly trustLevel: number;
  readonly status: string;
  readonly approvedBy: string[];
}

interface Summary {
  readonly incident: string;
  readonly project: { readonly dir: string; readonly kept: boolean };
  readonly story: {
    readonly advisory: Report;
    readonly assisted: Report;
    readonly autonomous: Report[];
    readonly production: Report & { readonly verification: { passed: boolean | null } | null };
    readonly demotion: { scope: string; from: number | null; to: number | null; reason: string | null };
    readonly retry: Report;
  };
  readonly actions: { readonly total: number; readonly byStatus: Record<string, number> };
  readonly trust: { scope: string; level: number; grantedBy: string }[];
  readonly audit: { ok: boolean; events: number; head: string | null };
}

const run = (args: readonly string[]) =>
  promisify(execFile)(process.execPath, [DEMO, ...args], { cwd: ROOT, timeout: 120_000 });

describe('the guided demo', () => {
  let summary: Summary;
  let airlock: Airlock;
  let actions: ActionRecord[];
  const kinds = async (subject: string) =>
    (await airlock.store.auditForSubject(subject)).map((event) => event.kind);

  before(async () => {
    const { stdout } = await run(['--fast', '--exit', '--json', '--keep', '--port', '0']);
    summary = JSON.parse(stdout) as Summary;
    assert.equal(summary.project.kept, true);
    airlock = await createAirlock({
      configPath: path.join(summary.project.dir, 'airlock.yaml'),
      executes: false,
      logLevel: 'silent',
    });
    actions = await airlock.store.listActions({ agentId: AGENT, limit: 100 });
  });

  after(async () => {
    await airlock?.close();
    if (summary !== undefined) await rm(summary.project.dir, { recursive: true, force: true });
  });

  const stored = (id: string): ActionRecord => {
    const action = actions.find((a) => a.id === id);
    assert.ok(action, `${id} is in the store`);
    return action;
  };

  it('ran on a copy of the quickstart, with every action in one incident', () => {
    assert.ok(!summary.project.dir.startsWith(QUICKSTART), summary.project.dir);
    assert.ok(actions.length >= 7, `${actions.length} actions`);
    assert.ok(
      actions.every((a) => a.incident === summary.incident && a.request.incident === summary.incident),
    );
    assert.equal(summary.actions.total, actions.length);
    const byStatus: Record<string, number> = {};
    for (const a of actions) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
    assert.deepEqual(summary.actions.byStatus, byStatus);
  });

  it('recorded a level-0 restart as advice, never executed', async () => {
    const advised = stored(summary.story.advisory.id);
    assert.equal(advised.status, 'advised');
    assert.equal(advised.decision.effect, 'advise');
    assert.equal(advised.decision.trustLevel, 0);
    assert.equal(await airlock.store.getExecution(advised.id), null);
    assert.ok(!(await kinds(advised.id)).includes('execution.started'));
  });

  it('held a level-1 restart for an approval, which alice gave, then executed and verified it', async () => {
    const assisted = stored(summary.story.assisted.id);
    assert.equal(assisted.decision.effect, 'escalate');
    assert.equal(assisted.decision.trustLevel, 1);
    assert.equal(assisted.status, 'succeeded');
    const approval = await airlock.store.getApprovalForAction(assisted.id);
    assert.equal(approval?.status, 'approved');
    assert.deepEqual(
      approval?.votes.map((v) => [v.person, v.verdict]),
      [['alice', 'approve']],
    );
    const path = await kinds(assisted.id);
    assert.ok(path.indexOf('approval.resolved') < path.indexOf('execution.started'), path.join(' '));
    assert.ok(path.includes('verification.passed'), path.join(' '));
  });

  it('executed at least two staging restarts at level 2 alone, each verified', async () => {
    const autonomous = summary.story.autonomous.map((r) => stored(r.id));
    assert.ok(autonomous.length >= 2);
    for (const action of autonomous) {
      assert.equal(action.environment, 'staging');
      assert.equal(action.decision.effect, 'execute');
      assert.equal(action.decision.trustLevel, 2);
      assert.equal(action.status, 'succeeded');
      assert.equal(await airlock.store.getApprovalForAction(action.id), null, 'no human was asked');
      assert.ok((await kinds(action.id)).includes('verification.passed'));
    }
  });

  it('rolled back a production restart that failed verification', async () => {
    const production = stored(summary.story.production.id);
    assert.equal(production.environment, 'production');
    assert.equal(production.decision.trustLevel, 3);
    assert.equal(production.status, 'rolled_back');
    assert.equal(summary.story.production.verification?.passed, false);
    const path = await kinds(production.id);
    const order = ['execution.started', 'verification.failed', 'rollback.started', 'rollback.finished'];
    const at = order.map((kind) => path.indexOf(kind));
    assert.ok(
      at.every((i, k) => i >= 0 && (k === 0 || i > (at[k - 1] ?? -1))),
      path.join(' '),
    );
  });

  it('demoted the production scope at once, and the next production restart waits for a human', async () => {
    const demoted = (await airlock.store.auditForSubject(AGENT))
      .filter((e) => e.kind === 'trust.demoted')
      .map((e) => JSON.parse(e.data));
    assert.equal(demoted.length, 1);
    assert.equal(demoted[0].action, summary.story.production.id);
    assert.equal(demoted[0].scope, 'service.restart@production');
    assert.deepEqual([demoted[0].from, demoted[0].to], [3, 2]);
    const { reason, ...levels } = summary.story.demotion;
    assert.deepEqual(levels, { scope: 'service.restart@production', from: 3, to: 2 });
    assert.match(reason ?? '', /automatic demotion \(verificationFailed\)/);
    const grants = await airlock.store.listGrants(AGENT);
    const production = grants.find(
      (g) => g.typePattern === 'service.restart' && g.environment === 'production',
    );
    assert.equal(production?.level, 2);
    assert.equal(production?.grantedBy, 'airlock');
    const shown = summary.trust.find((s) => s.scope === 'service.restart@production');
    assert.deepEqual([shown?.level, shown?.grantedBy], [2, 'airlock']);
    const retry = stored(summary.story.retry.id);
    assert.equal(retry.decision.effect, 'escalate');
    assert.equal(retry.decision.trustLevel, 2);
    assert.equal(retry.status, 'pending_approval');
  });

  it('left an audit chain that verifies, with the head the summary printed', async () => {
    const report = await airlock.audit.verify();
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(summary.audit.ok, true);
    assert.equal(summary.audit.head, report.head);
    assert.equal(summary.audit.events, report.events);
  });

  it('documents its options in --help', async () => {
    const { stdout } = await run(['--help']);
    for (const option of [
      '--fast',
      '--exit',
      '--json',
      '--keep',
      '--approve-after',
      '--port',
      '--no-prometheus',
    ])
      assert.ok(stdout.includes(option), option);
  });
});
