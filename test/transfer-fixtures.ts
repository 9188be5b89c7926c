/**
 * For the export/import tests: a database with rows in every table, holding the values that are
 * easy to get wrong when moving between SQLite and PostgreSQL (text that sorts differently in UTF-8
 * and UTF-16, empty strings, nulls, 32-bit and 53-bit integer extremes, doubles that need all 17
 * digits), a real audit chain, and helpers to read and edit dumps.
 */

import type { Kysely } from 'kysely';
import { chainEvents } from '../src/audit/audit-event.ts';
import type { Database } from '../src/store/schema.ts';

const AT = '2026-11-24T10:00:00.000Z';

/** Texts whose order differs between UTF-16 (JavaScript) and UTF-8 (both databases), and friends. */
export const TRICKY_TEXTS = [
  '',
  'A',
  'a',
  'é',
  '\uffff',
  '😀',
  'line\nbreak\ttab "quote" \\ backslash',
  '\u2028\u2029 zero\u200bwidth',
  'ﬀ ligature',
];

export const TRICKY_REALS = [
  0.1,
  1 / 3,
  5e-324,
  1.7976931348623157e308,
  1,
  -0.5,
  0.93,
  1e-7,
  123456789.12345679,
];

/** Fill a migrated, empty database with rows in every table. */
export async function seedEveryTable(db: Kysely<Database>): Promise<void> {
  await db.updateTable('meta').set({ value: 7 }).where('key', '=', 'access_version').execute();
  await db
    .insertInto('meta')
    .values([
      { key: 'test_max', value: Number.MAX_SAFE_INTEGER },
      { key: 'test_min', value: Number.MIN_SAFE_INTEGER },
    ])
    .execute();
  await db
    .insertInto('agents')
    .values(
      TRICKY_TEXTS.map((text, i) => ({
        id: `agent-${text}`,
        owner: 'sre',
        status: i % 2 === 0 ? 'active' : 'suspended',
        description: i % 3 === 0 ? null : text,
        created_at: AT,
        updated_at: AT,
      })),
    )
    .execute();
  await db
    .insertInto('credentials')
    .values([
      { hash: 'h1', principal_kind: 'agent', principal_id: 'agent-A', created_at: AT, revoked_at: null },
      { hash: 'h2', principal_kind: 'person', principal_id: 'alice', created_at: AT, revoked_at: AT },
    ])
    .execute();
  const levels = [-(2 ** 31), 2 ** 31 - 1, 0, 3];
  await db
    .insertInto('grants')
    .values(
      TRICKY_TEXTS.flatMap((text, i) =>
        ['production', 'staging'].map((environment) => ({
          agent_id: 'bot',
          type_pattern: text,
          environment,
          level: levels[i % levels.length] ?? 0,
          granted_by: 'alice',
          reason: text,
          granted_at: AT,
        })),
      ),
    )
    .execute();
  await db
    .insertInto('actions')
    .values(
      ['act_1', 'act_2', 'act_3'].map((id, i) => ({
        id,
        agent_id: 'bot',
        type: 'service.restart',
        environment: 'staging',
        status: 'approved',
        request_hash: `hash-${id}`,
        idempotency_key: i === 0 ? null : `key-${i}`,
        incident: i === 1 ? 'INC-7' : null,
        effect: 'execute',
        trust_level: i,
        policy_version: 'sha256:abc',
        created_at: AT,
        updated_at: AT,
      })),
    )
    .execute();
  const events = chainEvents(
    null,
    TRICKY_TEXTS.map((text, i) => ({
      kind: 'test.event',
      actor: { kind: 'system', id: 'test' },
      subject: i % 2 === 0 ? null : `act_${i}`,
      data: { text, n: TRICKY_REALS[i] ?? i, nested: { list: [1, 'two', null, true] } },
    })),
    AT,
  );
  await db
    .insertInto('audit_events')
    .values(
      events.map((e) => ({
        seq: e.seq,
        at: e.at,
        kind: e.kind,
        actor_kind: e.actor.kind,
        actor_id: e.actor.id,
        subject: e.subject,
        data: e.data,
        prev_hash: e.prevHash,
        hash: e.hash,
      })),
    )
    .execute();
  await db
    .insertInto('approvals')
    .values({
      id: 'apv_1',
      action_id: 'act_2',
      agent_id: 'bot',
      status: 'pending',
      step: 1,
      deadline: AT,
      route: 'sre-on-call',
      state: JSON.stringify({ route: { name: 'sre-on-call' }, text: TRICKY_TEXTS }),
      version: 3,
      created_at: AT,
      updated_at: AT,
      resolved_at: null,
    })
    .execute();
  // Steps 2 and 10: numbers order by value, not as text.
  await db
    .insertInto('approval_votes')
    .values(
      [10, 2, 1].flatMap((step) =>
        ['dave', 'bob'].map((person_id, i) => ({
          approval_id: 'apv_1',
          person_id,
          step,
          verdict: i === 0 ? 'approve' : 'reject',
          comment: i === 0 ? null : `step ${step} ${TRICKY_TEXTS[step % TRICKY_TEXTS.length]}`,
          override: i,
          request_hash: 'hash-act_2',
          at: AT,
        })),
      ),
    )
    .execute();
  await db
    .insertInto('outbox')
    .values({
      id: 'ntf_1',
      subject: 'act_2',
      webhook: 'chat',
      event: 'approval.opened',
      payload: '{"text":"Approval needed"}',
      status: 'pending',
      attempts: 2,
      next_attempt_at: AT,
      last_error: 'HTTP 503',
      created_at: AT,
      updated_at: AT,
    })
    .execute();
  await db
    .insertInto('executions')
    .values({
      action_id: 'act_1',
      mode: 'agent',
      phase: 'permitted',
      deadline: null,
      attempts: 0,
      state: '{}',
      version: 1,
      created_at: AT,
      updated_at: AT,
    })
    .execute();
  // More rows than a small page, under a two-column key.
  await db
    .insertInto('limit_usage')
    .values(
      Array.from({ length: 25 }, (_, i) => ({
        key: `restart-rate|bot|${i % 3}`,
        action_id: `act_${String(i).padStart(3, '0')}`,
        at: AT,
      })),
    )
    .execute();
  await db
    .insertInto('freezes')
    .values([
      { scope: '*', reason: 'incident', frozen_by: 'alice', frozen_at: AT },
      { scope: 'agent-😀', reason: TRICKY_TEXTS[6] ?? '', frozen_by: 'alice', frozen_at: AT },
    ])
    .execute();
  await db
    .insertInto('settings')
    .values([
      { key: 'permit_key', value: 'k'.repeat(64) },
      { key: 'large', value: 'x'.repeat(100_000) },
    ])
    .execute();
  await db
    .insertInto('evidence')
    .values(
      [...TRICKY_REALS, null].map((confidence, i) => ({
        id: `evd_${String(i).padStart(2, '0')}`,
        agent_id: 'bot',
        action_id: `act_${i}`,
        type: 'service.restart',
        environment: 'staging',
        kind: 'outcome',
        level: i,
        confidence,
        by: 'bot',
        detail: i % 2 === 0 ? null : `{"n":${i}}`,
        at: AT,
      })),
    )
    .execute();
  await db
    .insertInto('shadow_decisions')
    .values({
      action_id: 'act_3',
      agent_id: 'bot',
      type: 'service.restart',
      environment: 'staging',
      live_bundle: 'sha256:live',
      shadow_bundle: 'sha256:shadow',
      live_effect: 'execute',
      shadow_effect: 'escalate',
      change: 'stricter',
      reasons: '[]',
      rules: '{"newly_matched":["x"]}',
      created_at: AT,
    })
    .execute();
  await db
    .insertInto('shadow_decision_rules')
    .values(
      ['b', 'a', 'é'].map((rule) => ({
        action_id: 'act_3',
        rule,
        difference: 'newly_matched',
        shadow_bundle: 'sha256:shadow',
        created_at: AT,
      })),
    )
    .execute();
}

/** The lines of a dump text (without the empty string after its last newline). */
export function dumpLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Async iterable over lines, as a file would give them. */
export async function* linesFrom(lines: readonly string[]): AsyncGenerator<string> {
  yield* lines;
}

/** The 1-based line number of the first row line of `table` (plus `offset`). */
export function lineOf(lines: readonly string[], table: string, offset = 0): number {
  const index = lines.findIndex((l) => l.startsWith(`{"table":${JSON.stringify(table)},`));
  if (index === -1) throw new Error(`no rows of ${table} in the dump`);
  return index + 1 + offset;
}
