/**
 * The endpoints the console reads besides actions and approvals: who the caller is, the policy
 * bundle in force, the latest replay report, the audit chain's head and its export.
 */

import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { auditHeadSchema, meSchema, policySchema } from '../src/api/console-schemas.ts';
import { latestReplaySchema } from '../src/api/replay-schemas.ts';
import { expectError } from './approval-helpers.ts';
import { cli } from './cli-helpers.ts';
import { type Harness, restart, startHarness } from './harness.ts';

const LIMITS = `limits:
  - name: restart-rate
    description: A budget for unattended restarts.
    match: { types: [service.restart], environments: [staging] }
    rate: { count: 3, per: 1h, by: [agent, type] }
    effect: escalate
    reason: at most 3 restarts an hour without a human
  - name: a-fifth-at-most
    match: { types: [service.restart] }
    fraction: { max: 0.2 }
    effect: deny
    reason: never restart more than a fifth of a service at once
`;

const DENY_STAGING_RESTARTS = `
  - name: no-restarts-in-staging
    match: { types: [service.restart], environments: [staging] }
    effect: deny
    reason: staging restarts are frozen for the load test
`;

describe('console endpoints', () => {
  let h: Harness;
  let alice = '';
  let bob = '';
  let carol = '';
  let agent = '';
  const savedConfig = process.env.AIRLOCK_CONFIG;

  before(async () => {
    delete process.env.AIRLOCK_CONFIG;
    h = await startHarness({ files: { 'policies/limits.yaml': LIMITS } });
    alice = await h.person('alice');
    bob = await h.person('bob');
    carol = await h.person('carol');
    agent = await h.agent('console-bot');
    for (let i = 0; i < 4; i++) {
      const response = await h.propose(agent, restart({ params: { reason: `restart number ${i}` } }));
      assert.equal(response.status, 201, response.text);
    }
  });
  after(async () => {
    if (savedConfig !== undefined) process.env.AIRLOCK_CONFIG = savedConfig;
    await h?.close();
  });

  describe('GET /v1/me', () => {
    it('names a person with their role, and whether they are an admin', async () => {
      const cases = [
        [alice, { kind: 'person', id: 'alice', name: 'Alice Martin', role: 'admin', admin: true }],
        [bob, { kind: 'person', id: 'bob', name: 'Bob Okafor', role: 'approver', admin: false }],
        [carol, { kind: 'person', id: 'carol', name: 'Carol Nguyen', role: 'viewer', admin: false }],
      ] as const;
      for (const [token, expected] of cases) {
        const response = await h.request('GET', '/v1/me', { token });
        assert.equal(response.status, 200, response.text);
        assert.deepEqual(meSchema.strict().parse(response.body), expected);
      }
    });

    it('names an agent, with no name or role', async () => {
      const response = await h.request('GET', '/v1/me', { token: agent });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, {
        kind: 'agent',
        id: 'console-bot',
        name: null,
        role: null,
        admin: false,
      });
    });

    it('answers 401 without a token and for an unknown one', async () => {
      expectError(await h.request('GET', '/v1/me'), 401, 'unauthorized');
      expectError(await h.request('GET', '/v1/me', { token: 'alk_person_nope' }), 401, 'unauthorized');
    });
  });

  describe('GET /v1/policy', () => {
    it('lists the rules and limits in force as declared, with file and line', async () => {
      const response = await h.request('GET', '/v1/policy', { token: carol });
      assert.equal(response.status, 200, response.text);
      const policy = policySchema.parse(response.body);
      assert.equal(policy.hash, h.airlock.project().bundle.hash);
      assert.equal(policy.defaultEffect, 'escalate');
      assert.equal(policy.shadow, null);
      assert.deepEqual(
        policy.files.map((f) => f.path),
        ['policies/guardrails.yaml', 'policies/limits.yaml', 'policies/routine.yaml'],
      );
      const pci = policy.rules.find((r) => r.name === 'payments-config-is-human-only');
      assert.deepEqual(pci, {
        name: 'payments-config-is-human-only',
        file: 'policies/guardrails.yaml',
        line: 10,
        description: 'PCI-scoped targets change only through the payments team.',
        match: { types: ['feature_flag.set', 'service.restart'], environments: ['production'] },
        reason: 'PCI-scoped systems change only with a human approval.',
        effect: 'escalate',
        when: 'request.targets.exists(t, has(t.pci) && t.pci == true)',
        route: 'two-person',
      });
      assert.deepEqual(policy.limits, [
        {
          name: 'restart-rate',
          file: 'policies/limits.yaml',
          line: 2,
          description: 'A budget for unattended restarts.',
          match: { types: ['service.restart'], environments: ['staging'] },
          reason: 'at most 3 restarts an hour without a human',
          effect: 'escalate',
          check: { kind: 'rate', count: 3, windowMs: 3_600_000, by: ['agent', 'type'] },
        },
        {
          name: 'a-fifth-at-most',
          file: 'policies/limits.yaml',
          line: 8,
          description: null,
          match: { types: ['service.restart'] },
          reason: 'never restart more than a fifth of a service at once',
          effect: 'deny',
          check: { kind: 'fraction', max: 0.2 },
        },
      ]);
    });

    it('says when the bundle came into force, and follows a reload', async () => {
      const before = policySchema.parse((await h.request('GET', '/v1/policy', { token: bob })).body);
      assert.equal(before.loadedAt, '2026-11-24T10:00:00.000Z');

      h.clock.advance(60_000);
      const guardrails = path.join(h.dir, 'policies/guardrails.yaml');
      const original = await readFile(guardrails, 'utf8');
      await writeFile(guardrails, original + DENY_STAGING_RESTARTS);
      try {
        assert.equal((await h.airlock.holder.reload('command')).ok, true);
        const after = policySchema.parse((await h.request('GET', '/v1/policy', { token: bob })).body);
        assert.notEqual(after.hash, before.hash);
        assert.equal(after.loadedAt, '2026-11-24T10:01:00.000Z');
        assert.ok(after.rules.some((r) => r.name === 'no-restarts-in-staging' && r.when === null));
      } finally {
        await writeFile(guardrails, original);
        assert.equal((await h.airlock.holder.reload('command')).ok, true);
      }
      const back = policySchema.parse((await h.request('GET', '/v1/policy', { token: bob })).body);
      assert.equal(back.hash, before.hash);
      assert.equal(back.loadedAt, '2026-11-24T10:01:00.000Z', 'in force again since the second reload');
    });

    it('is for people only', async () => {
      expectError(await h.request('GET', '/v1/policy', { token: agent }), 403, 'forbidden');
    });
  });

  describe('GET /v1/replay/latest', () => {
    it('answers 404 before any replay, then the report of the last one', async () => {
      expectError(await h.request('GET', '/v1/replay/latest', { token: carol }), 404, 'not_found');

      const started = Date.now();
      const first = await cli('replay', '--config', h.configPath, '--json');
      assert.equal(first.code, 0, first.err.join('\n'));
      const response = await h.request('GET', '/v1/replay/latest', { token: carol });
      assert.equal(response.status, 200, response.text);
      const latest = latestReplaySchema.strict().parse(response.body);
      assert.deepEqual(response.body.report, JSON.parse(first.out.join('\n')));
      assert.equal(latest.report.totals.replayed, 4);
      assert.equal(latest.report.totals.unchanged, 4);
      assert.equal(latest.description, "the project's policies with the project's trust settings");
      const at = Date.parse(latest.at);
      assert.ok(at >= started - 1000 && at <= Date.now() + 1000, latest.at);

      // A second replay, with candidate policies, replaces the first.
      const candidate = path.join(h.dir, 'policies-next');
      await cp(path.join(h.dir, 'policies'), candidate, { recursive: true });
      const guardrails = path.join(candidate, 'guardrails.yaml');
      await writeFile(guardrails, (await readFile(guardrails, 'utf8')) + DENY_STAGING_RESTARTS);
      const out = path.join(h.dir, 'replay.md');
      const second = await cli('replay', '--config', h.configPath, '--policies', candidate, '--out', out);
      assert.equal(second.code, 0, second.err.join('\n'));
      const replaced = latestReplaySchema.parse(
        (await h.request('GET', '/v1/replay/latest', { token: bob })).body,
      );
      assert.equal(replaced.description, `policies from ${candidate} with the project's trust settings`);
      assert.equal(replaced.report.candidate.policies, candidate);
      assert.equal(replaced.report.totals.stricter, 4);
      const rule = replaced.report.rules.find((r) => r.name === 'no-restarts-in-staging');
      assert.equal(rule?.newlyMatched.decisions, 4);
    });

    it('is for people only', async () => {
      expectError(await h.request('GET', '/v1/replay/latest', { token: agent }), 403, 'forbidden');
    });
  });

  describe('GET /v1/audit/head', () => {
    it('gives the last event’s sequence number, hash and time', async () => {
      const response = await h.request('GET', '/v1/audit/head', { token: carol });
      assert.equal(response.status, 200, response.text);
      const head = auditHeadSchema.strict().parse(response.body);
      const stored = await h.airlock.store.auditHead();
      assert.ok(stored !== null);
      const [last] = await h.airlock.store.auditRange(stored.seq - 1, 1);
      assert.deepEqual(head, { seq: stored.seq, hash: stored.hash, at: last?.at });
      expectError(await h.request('GET', '/v1/audit/head', { token: agent }), 403, 'forbidden');
    });
  });

  describe('GET /v1/audit/export', () => {
    let head: { seq: number; hash: string };
    before(async () => {
      // More events than one page of reads (2,000), so that the export spans pages.
      const filler = Array.from({ length: 2_100 }, (_, i) => ({
        kind: 'test.filler',
        actor: { kind: 'system', id: 'test' } as const,
        subject: null,
        data: { i },
      }));
      await h.airlock.store.write((tx) => tx.appendAudit(filler, h.clock.now().toISOString()));
      const stored = await h.airlock.store.auditHead();
      assert.ok(stored !== null && stored.seq > 2_100);
      head = stored;
    });

    it('streams the lines `airlock audit export` writes, named after the head, and they verify offline', async () => {
      const response = await h.request('GET', '/v1/audit/export', { token: carol });
      assert.equal(response.status, 200, response.text.slice(0, 500));
      assert.equal(response.headers.get('content-type'), 'application/x-ndjson');
      assert.equal(
        response.headers.get('content-disposition'),
        `attachment; filename=airlock-audit-${head.seq}.ndjson`,
      );
      assert.equal(response.headers.get('content-length'), null, 'sent in chunks, not as one body');

      const cliFile = path.join(h.dir, 'cli-export.jsonl');
      const exported = await cli('audit', 'export', '--config', h.configPath, '--out', cliFile);
      assert.equal(exported.code, 0, exported.err.join('\n'));
      assert.equal(response.text, await readFile(cliFile, 'utf8'));

      const file = path.join(h.dir, 'api-export.ndjson');
      await writeFile(file, response.text);
      const verified = await cli('audit', 'verify', '--file', file, '--anchor', head.hash, '--json');
      assert.equal(verified.code, 0, verified.err.join('\n'));
      assert.deepEqual(JSON.parse(verified.out.join('\n')), {
        ok: true,
        events: head.seq,
        head: head.hash,
        firstBad: null,
        problem: null,
      });
    });

    it('starts at ?from= and verifies as a segment', async () => {
      const response = await h.request('GET', '/v1/audit/export?from=3', { token: carol });
      assert.equal(response.status, 200);
      const seqs = response.text
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as { seq: number }).seq);
      assert.deepEqual(
        seqs,
        Array.from({ length: head.seq - 2 }, (_, i) => i + 3),
      );
      const file = path.join(h.dir, 'segment.ndjson');
      await writeFile(file, response.text);
      const verified = await cli('audit', 'verify', '--file', file, '--json');
      assert.equal(verified.code, 0, verified.err.join('\n'));
      assert.equal(JSON.parse(verified.out.join('\n')).head, head.hash);
      assert.match(verified.err[0] ?? '', /^verifying a segment from event 3; /);

      const past = await h.request('GET', `/v1/audit/export?from=${head.seq + 1}`, { token: carol });
      assert.equal(past.status, 200);
      assert.equal(past.text, '');
    });

    it('rejects a bad from, and agents', async () => {
      for (const from of ['0', '-1', 'x', '1.5']) {
        expectError(
          await h.request('GET', `/v1/audit/export?from=${from}`, { token: carol }),
          422,
          'validation_failed',
        );
      }
      expectError(await h.request('GET', '/v1/audit/export', { token: agent }), 403, 'forbidden');
    });
  });
});
