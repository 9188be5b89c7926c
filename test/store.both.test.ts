/**
 * The store's contract, run the same on SQLite and on a real PostgreSQL: writes with their audit
 * events, one linear chain under concurrent writers, an execution claimed once, optimistic saves,
 * votes, evidence, settings, and paging. Two or three Store instances on one database stand for
 * several processes or replicas.
 */

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../src/store/open-store.ts';
import type { ActionRecord, NewAuditEvent } from '../src/store/records.ts';
import type { Store } from '../src/store/store.ts';
import { type PgServer, pgSkipReason, startPgServer } from './pg-server.ts';
import {
  AT,
  actionRecord,
  approvalRecord,
  assertChainVerifies,
  evidenceRecord,
  executionRecord,
} from './store-fixtures.ts';

interface Backend {
  readonly name: string;
  readonly skip: string | undefined;
  /** An empty database: its URL, and how to throw it away. */
  setup(diagnostic: (message: string) => void): Promise<{ url: string; teardown(): Promise<void> }>;
}

const BACKENDS: readonly Backend[] = [
  {
    name: 'SQLite',
    skip: undefined,
    async setup() {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-store-'));
      return {
        url: `sqlite:${path.join(dir, 'airlock.db')}`,
        teardown: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    skip: pgSkipReason(),
    async setup(diagnostic) {
      const server: PgServer = await startPgServer();
      const { initdbMs, startMs } = server.timings;
      diagnostic(
        `PostgreSQL: initdb ${Math.round(initdbMs)} ms, server ready ${Math.round(startMs)} ms later`,
      );
      try {
        // A locale's collation (not the server's bytewise one): ordering must not depend on it.
        const url = await server.createDatabase('store_both', { icuLocale: 'en-US' });
        return { url, teardown: () => server.stop() };
      } catch (error) {
        await server.stop();
        throw error;
      }
    },
  },
];

const event = (n: number, subject: string | null = null): NewAuditEvent => ({
  kind: 'test.event',
  actor: { kind: 'system', id: 'test' },
  subject,
  data: { n },
});

for (const backend of BACKENDS) {
  describe(`the store on ${backend.name}`, { skip: backend.skip }, () => {
    let teardown: (() => Promise<void>) | null = null;
    let url: string;
    /** Two stores on one database, like two replicas (each with its own connections). */
    let a: Store;
    let b: Store;

    before(async (t) => {
      const database = await backend.setup((message) => t.diagnostic(message));
      teardown = database.teardown;
      url = database.url;
      a = await openStore(url);
      b = await openStore(url);
    });
    after(async () => {
      await a?.close();
      await b?.close();
      await teardown?.();
    });

    it('opens as its kind, migrated', async () => {
      assert.equal(a.kind, backend.name === 'SQLite' ? 'sqlite' : 'postgres');
      await a.ping();
      assert.equal(await a.accessVersion(), 0);
    });

    it('a proposal lands with its approval, notifications and chained events; a used key is a duplicate', async () => {
      const action = actionRecord('act_propose', { status: 'pending_approval', idempotencyKey: 'key-1' });
      const [result] = await a.commit([
        {
          kind: 'propose',
          action,
          approval: approvalRecord('apr_propose', action.id),
          events: [event(1, action.id)],
          outbox: [
            {
              id: 'msg_propose',
              subject: action.id,
              webhook: 'chat',
              event: 'approval.opened',
              payload: { action: action.id },
              status: 'pending',
              attempts: 0,
              nextAttemptAt: AT,
              lastError: null,
              createdAt: AT,
              updatedAt: AT,
            },
          ],
        },
      ]);
      assert.equal(result?.kind, 'appended');
      const stored = await b.getAction(action.id);
      assert.deepEqual(stored, action);
      assert.deepEqual(
        (await b.auditForSubject(action.id)).map((e) => e.kind),
        ['action.proposed', 'action.decided', 'test.event'],
      );
      assert.equal((await b.getApprovalForAction(action.id))?.id, 'apr_propose');
      assert.deepEqual(
        (await b.listDeliveries(action.id)).map((d) => [d.id, d.attempts]),
        [['msg_propose', 0]],
      );
      assert.equal((await b.findActionByKey('bot', 'key-1'))?.id, action.id);

      const [again] = await b.commit([
        { kind: 'propose', action: actionRecord('act_propose_again', { idempotencyKey: 'key-1' }) },
      ]);
      assert.equal(again?.kind, 'duplicate');
      assert.equal(await a.getAction('act_propose_again'), null);
      await assertChainVerifies(a);
    });

    it('a failed write transaction leaves nothing behind, not even its events', async () => {
      const before = await a.auditHead();
      await assert.rejects(
        a.write(async (tx) => {
          await tx.appendAudit([event(2)], AT);
          await tx.insertActions([actionRecord('act_rollback')]);
          throw new Error('changed my mind');
        }),
        /changed my mind/,
      );
      assert.deepEqual(await b.auditHead(), before);
      assert.equal(await b.getAction('act_rollback'), null);
    });

    it('three stores appending hundreds of events at once leave one chain, no gaps, no forks', async () => {
      const c = await openStore(url);
      try {
        const start = (await a.auditHead())?.seq ?? 0;
        const stores = [a, b, c];
        const writes: Promise<unknown>[] = [];
        for (let i = 0; i < 120; i++) {
          const store = stores[i % 3] as Store;
          // Batches through the hot path, and transactions that read then append, interleaved.
          writes.push(
            i % 2 === 0
              ? store.commit([{ kind: 'append', at: AT, events: [event(i), event(i)] }])
              : store.write((tx) => tx.appendAudit([event(i), event(i), event(i)], AT)),
          );
        }
        await Promise.all(writes);
        const total = await assertChainVerifies(c);
        assert.equal(total - start, 60 * 2 + 60 * 3);
      } finally {
        await c.close();
      }
    });

    it('an execution is claimed once, whichever store claims it and however many times', async () => {
      const actionId = 'act_claim';
      const attempts = Array.from({ length: 16 }, (_, i) =>
        (i % 2 === 0 ? a : b).write(async (tx) => {
          const claimed = await tx.insertExecution(executionRecord(actionId, { state: { by: i } }));
          if (claimed) await tx.appendAudit([{ ...event(i, actionId), kind: 'execution.claimed' }], AT);
          return claimed;
        }),
      );
      const claims = await Promise.all(attempts);
      assert.equal(claims.filter(Boolean).length, 1);
      const events = await a.auditForSubject(actionId);
      assert.deepEqual(
        events.map((e) => e.kind),
        ['execution.claimed'],
      );
      const winner = claims.indexOf(true);
      assert.deepEqual((await b.getExecution(actionId))?.state, { by: winner });
    });

    it('saveExecution lands only on the version it read', async () => {
      const actionId = 'act_cas';
      assert.equal(await a.write((tx) => tx.insertExecution(executionRecord(actionId))), true);
      const read = await a.getExecution(actionId);
      assert.ok(read !== null);
      const next = (by: string) => ({ ...read, phase: 'verifying' as const, version: 2, state: { by } });
      const saved = await Promise.all([
        a.write((tx) => tx.saveExecution(next('a'), read.version)),
        b.write((tx) => tx.saveExecution(next('b'), read.version)),
      ]);
      assert.deepEqual(saved.toSorted(), [false, true]);
      const after = await b.getExecution(actionId);
      assert.equal(after?.version, 2);
      assert.deepEqual(after?.state, { by: saved[0] ? 'a' : 'b' });
      assert.equal(await a.write((tx) => tx.saveExecution(next('late'), 1)), false);
      assert.deepEqual(await a.listExecutions({ actionIds: [actionId] }, 10), [after]);
    });

    it('approval votes: one of two racing saves lands; a person votes once per step', async () => {
      const action = actionRecord('act_votes', { status: 'pending_approval' });
      await a.commit([{ kind: 'propose', action, approval: approvalRecord('apr_votes', action.id) }]);
      const opened = await a.getApproval('apr_votes');
      assert.ok(opened !== null);
      const vote = (person: string) => ({
        person,
        verdict: 'approve' as const,
        step: 1,
        comment: null,
        override: false,
        requestHash: opened.requestHash,
        at: AT,
      });
      const withVote = (person: string) => ({ ...opened, votes: [vote(person)], version: 2 });
      const saved = await Promise.all([
        a.write((tx) => tx.saveApproval(withVote('bob'), opened, AT)),
        b.write((tx) => tx.saveApproval(withVote('dave'), opened, AT)),
      ]);
      assert.deepEqual(saved.toSorted(), [false, true]);
      const voted = await b.getApproval('apr_votes');
      assert.equal(voted?.version, 2);
      assert.deepEqual(
        voted?.votes.map((v) => [v.person, v.step, v.override]),
        [[saved[0] ? 'bob' : 'dave', 1, false]],
      );

      // The same person again at the same step fails on the primary key, and nothing of it stays.
      assert.ok(voted !== null);
      const twice = { ...voted, votes: [...voted.votes, voted.votes[0] ?? vote('bob')], version: 3 };
      await assert.rejects(b.write((tx) => tx.saveApproval(twice, voted, AT)));
      assert.equal((await a.getApproval('apr_votes'))?.version, 2);

      const approved = { ...voted, status: 'approved' as const, votes: [...voted.votes, vote('carol')] };
      const resolved = { ...approved, version: 3, resolvedAt: AT };
      assert.equal(await a.write((tx) => tx.saveApproval(resolved, voted, AT)), true);
      assert.deepEqual(
        (await b.listApprovals({ actionIds: [action.id], limit: 5 })).map((x) => [x.status, x.votes.length]),
        [['approved', 2]],
      );
    });

    it('evidence: one record per kind per action; counts are numbers', async () => {
      const first = evidenceRecord('ev_1', 'act_evidence', 'succeeded');
      assert.deepEqual(await a.write((tx) => tx.insertEvidence([first])), [first]);
      const again = await b.write((tx) =>
        tx.insertEvidence([
          evidenceRecord('ev_2', 'act_evidence', 'succeeded'),
          evidenceRecord('ev_3', 'act_evidence', 'advice_agreed'),
        ]),
      );
      assert.deepEqual(
        again.map((e) => e.id),
        ['ev_3'],
      );
      const listed = await a.listEvidence({ actionId: 'act_evidence', limit: 10 });
      assert.deepEqual(listed.map((e) => [e.id, e.kind, e.level, e.confidence]).toSorted(), [
        ['ev_1', 'succeeded', 2, 0.875],
        ['ev_3', 'advice_agreed', 2, 0.875],
      ]);
      assert.strictEqual(await a.countEvidence({ actionId: 'act_evidence' }), 2);
      assert.strictEqual(await a.countEvidence({ actionId: 'act_evidence', kinds: ['failed'] }), 0);
    });

    it('settings: putSettingIfAbsent keeps the first value, putSetting replaces it', async () => {
      assert.equal(await a.getSetting('permit-key'), null);
      await a.write((tx) => tx.putSettingIfAbsent('permit-key', 'first'));
      await b.write((tx) => tx.putSettingIfAbsent('permit-key', 'second'));
      assert.equal(await b.getSetting('permit-key'), 'first');
      await b.write((tx) => tx.putSetting('permit-key', 'third'));
      assert.equal(await a.getSetting('permit-key'), 'third');
    });

    it('access changes bump the access version every store sees', async () => {
      const version = await a.accessVersion();
      await a.write((tx) =>
        tx.insertAgent({
          id: 'bot',
          owner: 'sre',
          status: 'active',
          description: null,
          createdAt: AT,
          updatedAt: AT,
        }),
      );
      await b.write((tx) =>
        tx.putFreeze({ scope: '*', reason: 'incident', frozenBy: 'alice', frozenAt: AT }),
      );
      assert.strictEqual(await b.accessVersion(), version + 2);
      assert.deepEqual(
        (await a.listFreezes()).map((f) => f.scope),
        ['*'],
      );
      assert.equal(await a.write((tx) => tx.deleteFreeze('*')), true);
      assert.equal(await b.write((tx) => tx.deleteFreeze('*')), false);
    });

    it('limit counters count exactly, as numbers', async () => {
      const inFlight = actionRecord('act_usage_1', { agentId: 'counter', status: 'approved' });
      const done = actionRecord('act_usage_2', { agentId: 'counter', status: 'succeeded' });
      const denied = actionRecord('act_usage_3', { agentId: 'counter', status: 'denied', effect: 'deny' });
      await a.commit([inFlight, done, denied].map((action) => ({ kind: 'propose' as const, action })));
      await b.write((tx) =>
        tx.recordUsage([
          { key: 'restarts', actionId: inFlight.id, at: AT },
          { key: 'restarts', actionId: done.id, at: AT },
          { key: 'restarts', actionId: done.id, at: AT },
        ]),
      );
      assert.strictEqual(await a.countUsage('restarts', '2026-11-24T09:00:00.000Z'), 2);
      assert.strictEqual(await a.countUsage('restarts', AT), 0);
      assert.strictEqual(await a.countInFlight('restarts'), 1);
      assert.strictEqual(await a.countDenied('counter', '2026-11-24T09:00:00.000Z'), 1);
      assert.deepEqual(await a.unclaimedActions(100), [inFlight.id]);
    });

    it('lists actions newest first and pages through them without gaps or duplicates, in byte order', async () => {
      // Ids whose order differs between byte order and a locale's (case, punctuation).
      const ids = ['act-a', 'act_B', 'act.Z', 'ACT-1', 'act-b', 'act_a', 'Act.2', 'act~9', 'act-A', 'act0'];
      const times = ['2026-11-24T11:00:00.000Z', '2026-11-24T11:00:00.001Z', '2026-11-24T12:00:00.000Z'];
      const actions: ActionRecord[] = [];
      for (const [t, time] of times.entries())
        for (const id of ids) actions.push(actionRecord(`${id}-${t}`, { agentId: 'pager', createdAt: time }));
      await a.commit(actions.map((action) => ({ kind: 'propose' as const, action })));

      const expected = actions
        .map((x) => [x.createdAt, x.id] as const)
        .sort(([t1, i1], [t2, i2]) => (t1 === t2 ? (i1 < i2 ? 1 : -1) : t1 < t2 ? 1 : -1))
        .map(([, id]) => id);
      const seen: string[] = [];
      let before: { createdAt: string; id: string } | undefined;
      for (;;) {
        const page = await b.listActions({ agentId: 'pager', limit: 7, before });
        seen.push(...page.map((x) => x.id));
        const last = page[page.length - 1];
        if (page.length < 7 || last === undefined) break;
        before = { createdAt: last.createdAt, id: last.id };
      }
      assert.deepEqual(seen, expected);
      const window = await b.listActions({
        agentId: 'pager',
        since: times[1],
        until: times[2],
        limit: 100,
      });
      assert.equal(window.length, ids.length);
      assert.ok(window.every((x) => x.createdAt === times[1]));
    });

    it('the chain still verifies after everything above, from a store opened afresh', async () => {
      const fresh = await openStore(url);
      try {
        assert.ok((await assertChainVerifies(fresh)) > 300);
      } finally {
        await fresh.close();
      }
    });
  });
}
