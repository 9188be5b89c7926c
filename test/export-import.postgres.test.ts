/**
 * `airlock export` and `airlock import` end to end, from SQLite to a real PostgreSQL: a server
 * builds real state on SQLite (advice reviewed, an approval voted on, a permit reported, denials,
 * shadow disagreements, a limit counted, a webhook queued, a freeze), the CLI exports it and imports
 * it into an empty PostgreSQL database, and then the audit chain verifies there with the same head,
 * every table has the same rows (the PostgreSQL copy exports to the same bytes), and a server on it
 * serves the imported actions and chains new events after the imported head. Also: what the import
 * refuses, leaving the target as it was.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { Kysely } from 'kysely';
import { Client } from 'pg';
import { columnKinds, MIGRATION_ROWS, TABLE_NAMES, tableColumns } from '../src/store/dump-tables.ts';
import { NodeSqliteDialect } from '../src/store/node-sqlite-dialect.ts';
import type { Database } from '../src/store/schema.ts';
import { runMigrations } from '../src/store/schema-migrations.ts';
import { exportStore, importStore } from '../src/store/transfer.ts';
import { assertFails, cli } from './cli-helpers.ts';
import { type Harness, makeProject, restart, startHarness } from './harness.ts';
import { pgSkipReason, usePgServer } from './pg-server.ts';
import { shadowProject } from './shadow-helpers.ts';
import { dumpLines, lineOf, seedEveryTable } from './transfer-fixtures.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const HOOK_SECRET_ENV = 'AIRLOCK_EXPORT_TEST_HOOK_SECRET';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `bin/airlock` as a real process (or a shell pipeline of them, with `shell`). */
async function run(args: readonly string[], options: { shell?: string } = {}): Promise<Run> {
  const env = { ...process.env };
  delete env.AIRLOCK_CONFIG;
  delete env.AIRLOCK_AS;
  const child =
    options.shell === undefined
      ? spawn(path.join(ROOT, 'bin/airlock'), args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('sh', ['-c', options.shell], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, stdout, stderr };
}

function ok(result: Run): Run {
  assert.equal(result.code, 0, `exit code; stderr: ${result.stderr}`);
  return result;
}

/** A failure: exit 1 and a one-line reason on stderr, nothing on stdout. */
function failed(result: Run, reason: RegExp): void {
  assert.equal(result.code, 1, `exit code; stdout: ${result.stdout}; stderr: ${result.stderr}`);
  assert.equal(result.stdout, '');
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0] ?? '', reason);
}

/** Rows per table, read past Airlock. */
async function pgCounts(url: string): Promise<Record<string, number>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const counts: Record<string, number> = {};
    for (const table of TABLE_NAMES) {
      const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${table}`);
      counts[table] = rows[0]?.n ?? -1;
    }
    return counts;
  } finally {
    await client.end();
  }
}

function sqliteCounts(file: string): Record<string, number> {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return Object.fromEntries(
      TABLE_NAMES.map((t) => [t, Number(db.prepare(`select count(*) as n from ${t}`).get()?.n)]),
    );
  } finally {
    db.close();
  }
}

/** A migrated database with nothing in it yet. */
const EMPTY = Object.fromEntries(TABLE_NAMES.map((t) => [t, MIGRATION_ROWS[t]?.length ?? 0]));

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

async function* each(lines: readonly string[]): AsyncGenerator<string> {
  yield* lines;
}

const LIVE_LIMITS = `limits:
  - name: restart-rate
    match: { types: [service.restart] }
    rate: { count: 50, per: 1h, by: [agent, type] }
    effect: escalate
    reason: at most 50 restarts an hour without a human
`;

/** The quickstart routes, with a webhook the first route notifies (never delivered here). */
function routesWithWebhook(original: string): string {
  const text = original
    .replace(
      '\nroutes:\n',
      `\nwebhooks:\n  - name: chat\n    url: http://127.0.0.1:9/hook\n    secretEnv: ${HOOK_SECRET_ENV}\nroutes:\n`,
    )
    .replace('  - name: sre-on-call\n', '  - name: sre-on-call\n    notify: [chat]\n');
  if (!text.includes('notify: [chat]')) throw new Error('routes.yaml changed: no sre-on-call route');
  return text;
}

describe('airlock export and import, SQLite to PostgreSQL', { skip: pgSkipReason() }, () => {
  const pg = usePgServer();
  const dirs: string[] = [];
  let work: string;
  let files: Record<string, string | ((original: string) => string)>;
  /** The SQLite project the server wrote, and its database file. */
  let sourceConfig: string;
  let sourceDb: string;
  let dumpFile: string;
  let dump: string;
  let exported: Record<string, unknown>;
  let sqliteHead: { ok: boolean; events: number; head: string };
  const tokens = { advisor: '', assistant: '', flusher: '', restarter: '' };
  const actions = { advised: '', escalated: '', cleared: '', denied: '', restarted: '' };

  /** A new PostgreSQL database, and a project (the same files as the source) on it. */
  async function pgProject(): Promise<{ url: string; configPath: string }> {
    const url = await pg.server().createDatabase();
    const project = await makeProject(files, url);
    dirs.push(project.dir);
    return { url, configPath: project.configPath };
  }

  before(async () => {
    process.env[HOOK_SECRET_ENV] = 'whsec-export-import';
    work = await mkdtemp(path.join(os.tmpdir(), 'airlock-export-'));
    dirs.push(work);
    files = {
      ...(await shadowProject()),
      'policies/limits.yaml': LIVE_LIMITS,
      'routes.yaml': routesWithWebhook,
    };
    const h: Harness = await startHarness({ storage: 'sqlite', files });
    dirs.push(h.dir);
    sourceConfig = h.configPath;
    sourceDb = path.join(h.dir, 'data', 'airlock.db');
    try {
      const alice = await h.person('alice');
      const bob = await h.person('bob');

      // Advice at level 0, reviewed by a person: evidence.
      tokens.advisor = await h.agent('advisor');
      const advised = await h.propose(tokens.advisor, restart({ idempotencyKey: 'advice-1' }));
      assert.equal(advised.body.status, 'advised', advised.text);
      actions.advised = advised.body.id;
      const review = await h.request('POST', `/v1/actions/${actions.advised}/review`, {
        token: alice,
        body: { verdict: 'agree', comment: 'good call — ✓' },
      });
      assert.equal(review.status, 200, review.text);

      // Escalated at level 1, approved by a vote: an approval, a vote, a webhook queued, a permit.
      tokens.assistant = await h.agent('assistant');
      await h.grant('assistant', 'service.restart@staging', 1);
      const escalated = await h.propose(tokens.assistant, restart({ incident: 'INC-42' }));
      assert.equal(escalated.body.status, 'pending_approval', escalated.text);
      actions.escalated = escalated.body.id;
      const approval = await h.request('GET', `/v1/approvals/${actions.escalated}`, { token: bob });
      assert.equal(approval.status, 200, approval.text);
      const vote = await h.request('POST', `/v1/approvals/${approval.body.id}/decisions`, {
        token: bob,
        body: { verdict: 'approve', comment: 'go ahead', requestHash: approval.body.requestHash },
      });
      assert.equal(vote.status, 200, vote.text);

      // Cleared at level 2 with a permit, and reported: an execution, outcome evidence.
      tokens.flusher = await h.agent('flusher');
      await h.grant('flusher', 'cache.flush@staging', 2);
      const flush = {
        type: 'cache.flush',
        environment: 'staging',
        targets: [{ id: 'redis-1' }],
        params: { keyPattern: 'session:*' },
        confidence: 0.95,
        anomalyScore: 0.05,
      };
      const cleared = await h.propose(tokens.flusher, flush);
      assert.equal(cleared.body.status, 'approved', cleared.text);
      actions.cleared = cleared.body.id;
      const reported = await h.request('POST', `/v1/actions/${actions.cleared}/outcome`, {
        token: tokens.flusher,
        body: { permit: cleared.body.permit.token, outcome: 'succeeded', message: 'flushed 120 keys' },
      });
      assert.equal(reported.status, 200, reported.text);

      // Denied by a live rule (the shadow bundle would allow it: a looser disagreement).
      const denied = await h.propose(tokens.flusher, { ...flush, params: { keyPattern: '*' } });
      assert.equal(denied.body.status, 'denied', denied.text);
      actions.denied = denied.body.id;

      // Executed at level 2 under a live limit (counted), escalated by the shadow (stricter).
      tokens.restarter = await h.agent('restarter');
      await h.grant('restarter', 'service.restart@staging', 2);
      const restarted = await h.propose(tokens.restarter, restart({ confidence: 0.875 }));
      assert.equal(restarted.body.status, 'approved', restarted.text);
      actions.restarted = restarted.body.id;

      // The kill switch for one agent.
      const frozen = await h.request('POST', '/v1/freeze', {
        token: alice,
        body: { agent: 'advisor', reason: 'looking into its advice' },
      });
      assert.equal(frozen.status, 200, frozen.text);

      const verified = await h.request('GET', '/v1/audit/verify', { token: alice });
      assert.equal(verified.body.ok, true, verified.text);
    } finally {
      // Not h.close(): that removes the project, database included.
      await h.app.close();
      await h.airlock.close();
    }

    dumpFile = path.join(work, 'airlock.dump');
    const result = ok(await run(['export', '--config', sourceConfig, '--out', dumpFile, '--json']));
    exported = JSON.parse(result.stdout);
    dump = await readFile(dumpFile, 'utf8');
    sqliteHead = JSON.parse(ok(await run(['audit', 'verify', '--config', sourceConfig, '--json'])).stdout);
  });

  after(async () => {
    delete process.env[HOOK_SECRET_ENV];
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('exports every table of the SQLite database, with real rows in each the server wrote to', () => {
    const tables = exported.tables as Record<string, number>;
    assert.deepEqual(Object.keys(tables), TABLE_NAMES);
    assert.deepEqual(tables, sqliteCounts(sourceDb));
    for (const table of TABLE_NAMES.filter((t) => t !== 'replicas')) {
      assert.ok((tables[table] ?? 0) > 0, `${table} has rows`);
    }
    assert.equal(exported.rows, dumpLines(dump).length - 1);
    assert.deepEqual(exported.audit, { seq: sqliteHead.events, hash: sqliteHead.head });
    assert.equal(exported.out, dumpFile);
  });

  it('imports into PostgreSQL: same audit head, same rows per table, the same bytes exported back', async () => {
    const target = await pgProject();
    const imported = JSON.parse(
      ok(await run(['import', '--in', dumpFile, '--storage', target.url, '--json'])).stdout,
    );
    assert.deepEqual(imported.tables, exported.tables);
    assert.deepEqual(imported.audit, exported.audit);

    const verify = ok(await run(['audit', 'verify', '--config', target.configPath, '--json']));
    const pgHead = JSON.parse(verify.stdout);
    assert.equal(pgHead.ok, true);
    assert.equal(pgHead.events, sqliteHead.events);
    assert.equal(pgHead.head, sqliteHead.head);
    const text = ok(await run(['audit', 'verify', '--config', target.configPath]));
    assert.equal(text.stdout.trim(), `ok: ${sqliteHead.events} events verify; head ${sqliteHead.head}`);

    assert.deepEqual(await pgCounts(target.url), sqliteCounts(sourceDb));
    const again = path.join(work, 'from-postgres.dump');
    ok(await run(['export', '--storage', target.url, '--out', again]));
    assert.equal(await readFile(again, 'utf8'), dump, 'PostgreSQL exports the same bytes as SQLite did');
  });

  it('a server on the PostgreSQL copy serves the imported actions and chains new events after the imported head', async () => {
    const target = await pgProject();
    ok(await run(['import', '--in', dumpFile, '--storage', target.url]));
    const h = await startHarness({ storage: target.url, files });
    dirs.push(h.dir);
    try {
      const alice = await h.person('alice');
      for (const [name, id] of Object.entries(actions)) {
        const got = await h.request('GET', `/v1/actions/${id}`, { token: alice });
        assert.equal(got.status, 200, `${name}: ${got.text}`);
      }
      const escalated = await h.request('GET', `/v1/actions/${actions.escalated}`, { token: alice });
      assert.equal(escalated.body.status, 'approved');
      assert.equal(escalated.body.approval.votes[0].person, 'bob');
      const cleared = await h.request('GET', `/v1/actions/${actions.cleared}`, { token: alice });
      assert.equal(cleared.body.status, 'succeeded');
      const list = await h.request('GET', '/v1/actions?limit=100', { token: alice });
      assert.equal(list.body.actions.length, Object.keys(actions).length);
      // The agents' tokens came along (only their hashes are stored).
      const own = await h.request('GET', `/v1/actions/${actions.restarted}`, { token: tokens.restarter });
      assert.equal(own.status, 200, own.text);
      const freezes = await h.request('GET', '/v1/freeze', { token: alice });
      assert.deepEqual(
        freezes.body.freezes.map((f: { scope: string }) => f.scope),
        ['advisor'],
      );

      const proposed = await h.propose(
        tokens.restarter ?? '',
        restart({ params: { reason: 'after the move' } }),
      );
      assert.equal(proposed.status, 201, proposed.text);
      assert.equal(proposed.body.status, 'approved');
      const [next] = await h.airlock.store.auditRange(sqliteHead.events, 1);
      assert.equal(next?.seq, sqliteHead.events + 1);
      assert.equal(next?.prevHash, sqliteHead.head, 'the first new event links to the imported head');
      const events = await h.airlock.store.auditForSubject(proposed.body.id);
      assert.ok(events.length > 0 && events.every((e) => e.seq > sqliteHead.events));
      const verified = await h.request('GET', '/v1/audit/verify', { token: alice });
      assert.equal(verified.body.ok, true, verified.text);
    } finally {
      await h.close();
    }
  });

  it('refuses a target that holds data, and changes nothing in it', async () => {
    const target = await pgProject();
    ok(await run(['import', '--in', dumpFile, '--storage', target.url]));
    const before = await pgCounts(target.url);
    failed(
      await run(['import', '--in', dumpFile, '--storage', target.url]),
      /^airlock: import into postgres:\/\/.* failed, nothing was imported: the target database is not empty \(meta: 1 row, agents: \d+ rows, .*audit_events: \d+ rows.*\); import only into a new, empty database$/,
    );
    assert.deepEqual(await pgCounts(target.url), before);
  });

  it('refuses a dump cut short, or with a changed audit event, and leaves the target empty', async () => {
    const lines = dumpLines(dump);
    const cut = path.join(work, 'cut.dump');
    await writeFile(cut, `${lines.slice(0, -2).join('\n')}\n`);
    const target = await pgProject();
    failed(
      await run(['import', '--in', cut, '--storage', target.url]),
      /failed, nothing was imported: .*cut\.dump, line \d+: table \w+ ends with \d+ rows?, the header says \d+ \(the dump was cut short or changed\)$/,
    );
    assert.deepEqual(await pgCounts(target.url), EMPTY);

    // A vote changed in the audit chain: the JSON is fine, the hash is not.
    const at = lines.findIndex((l) => l.includes('approval.voted'));
    assert.ok(at > 0);
    const changed = [...lines];
    changed[at] = (changed[at] ?? '').replace('go ahead', 'go ahead!');
    assert.notEqual(changed[at], lines[at]);
    const tampered = path.join(work, 'tampered.dump');
    await writeFile(tampered, `${changed.join('\n')}\n`);
    failed(
      await run(['import', '--in', tampered, '--storage', target.url]),
      new RegExp(
        `failed, nothing was imported: .*tampered\\.dump, line ${at + 1} \\(audit_events\\): the audit chain breaks here: event \\d+ does not match its hash \\(it was changed\\)$`,
      ),
    );
    assert.deepEqual(await pgCounts(target.url), EMPTY);

    // The same dump, intact, then imports into that database.
    ok(await run(['import', '--in', dumpFile, '--storage', target.url]));
  });

  it('names the line of a line that is not a row', async () => {
    const lines = dumpLines(dump);
    const bad = path.join(work, 'bad.dump');
    const at = lineOf(lines, 'agents', 1);
    await writeFile(
      bad,
      [...lines.slice(0, at - 1), '{"table":"agents","row":["x"]', ...lines.slice(at)].join('\n'),
    );
    const target = await pgProject();
    failed(
      await run(['import', '--in', bad, '--storage', target.url]),
      new RegExp(`bad\\.dump, line ${at}: not valid JSON`),
    );
    await writeFile(
      bad,
      [...lines.slice(0, at - 1), '{"table":"agents","row":["x",1]}', ...lines.slice(at)].join('\n'),
    );
    failed(
      await run(['import', '--in', bad, '--storage', target.url]),
      new RegExp(`bad\\.dump, line ${at} \\(agents\\): bad row: `),
    );
    failed(
      await run(['import', '--in', path.join(work, 'missing.dump'), '--storage', target.url]),
      /missing\.dump: no such file$/,
    );
    assert.deepEqual(await pgCounts(target.url), EMPTY);
  });

  it('SQLite to SQLite: the copy exports to the same bytes', async () => {
    const copy = `sqlite:${path.join(work, 'copy', 'airlock.db')}`;
    ok(await run(['import', '--in', dumpFile, '--storage', copy]));
    const second = ok(await run(['export', '--storage', copy]));
    assert.equal(second.stdout, dump);
  });

  it('export piped into import: standard output to standard input', async () => {
    const target = await pgProject();
    const bin = path.join(ROOT, 'bin/airlock');
    const piped = ok(
      await run([], {
        shell: `'${bin}' export --config '${sourceConfig}' | '${bin}' import --in - --storage '${target.url}' --json`,
      }),
    );
    assert.deepEqual(JSON.parse(piped.stdout).audit, exported.audit);
    assert.deepEqual(await pgCounts(target.url), sqliteCounts(sourceDb));
  });

  it('values hard to carry (text order, extremes, doubles, nulls) come back from PostgreSQL as the same bytes', async () => {
    const file = path.join(work, 'tricky.db');
    const db = new Kysely<Database>({ dialect: new NodeSqliteDialect({ path: file }) });
    try {
      await runMigrations(db as Kysely<unknown>, 'sqlite');
      await seedEveryTable(db);
    } finally {
      await db.destroy();
    }
    const lines = await collect(exportStore(`sqlite:${file}`, { pageSize: 4 }));
    const url = await pg.server().createDatabase();
    await importStore(url, each(lines), { batchSize: 3 });
    assert.deepEqual(await collect(exportStore(url, { pageSize: 4 })), lines);
    assert.deepEqual(await collect(exportStore(url)), await collect(exportStore(`sqlite:${file}`)));

    // A NUL in text: SQLite holds it, PostgreSQL cannot; the import says where.
    const at = lineOf(lines, 'agents', 2);
    const withNul = [...lines];
    const row = JSON.parse(withNul[at - 1] ?? '');
    row.row[3] = 'nul \u0000 here';
    withNul[at - 1] = JSON.stringify(row);
    await assert.rejects(
      importStore(await pg.server().createDatabase(), each(withNul)),
      new RegExp(
        `^TransferError: line ${at} \\(agents\\): column description holds a NUL character, which PostgreSQL cannot store in text$`,
      ),
    );
    await importStore(`sqlite:${path.join(work, 'nul.db')}`, each(withNul));
  });

  it('the PostgreSQL schema has the columns of the table list, and no sequence an import would have to advance', async () => {
    const url = await pg.server().createDatabase();
    await importStore(url, each(dumpLines(dump)));
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{
        table_name: string;
        column_name: string;
        data_type: string;
        is_nullable: string;
        column_default: string | null;
        is_identity: string;
      }>(
        `select table_name, column_name, data_type, is_nullable, column_default, is_identity
           from information_schema.columns where table_schema = 'public' and table_name not like 'kysely_%'
          order by table_name, ordinal_position`,
      );
      const kinds: Record<string, string> = {
        text: 'text',
        integer: 'int',
        bigint: 'bigint',
        'double precision': 'real',
      };
      for (const table of TABLE_NAMES) {
        const columns = rows.filter((r) => r.table_name === table);
        assert.deepEqual(
          columns.map((c) => c.column_name),
          tableColumns(table),
          table,
        );
        for (const c of columns) {
          const kind = columnKinds(table)[c.column_name] ?? '';
          assert.equal(kind.replace('?', ''), kinds[c.data_type], `${table}.${c.column_name}`);
          assert.equal(c.column_default, null, `${table}.${c.column_name} has no default (no sequence)`);
          assert.equal(c.is_identity, 'NO', `${table}.${c.column_name} is no identity column`);
        }
      }
      const sequences = await client.query(
        "select sequence_name from information_schema.sequences where sequence_schema = 'public'",
      );
      assert.deepEqual(sequences.rows, []);
    } finally {
      await client.end();
    }
  });
});

describe('airlock export and import: usage', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'airlock-export-usage-'));
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('--help explains the dump and how to move to PostgreSQL', async () => {
    for (const command of ['export', 'import']) {
      const help = await cli(command, '--help');
      assert.equal(help.code, 0);
      const text = help.out.join('\n');
      assert.match(text, new RegExp(`^usage: airlock ${command} `));
      for (const flag of ['--storage <value>', '--json', '-c, --config <value>'])
        assert.ok(text.includes(flag), flag);
      assert.ok(text.includes('airlock import --in airlock.dump --storage postgres://'), text);
    }
  });

  it('refuses usage mistakes with exit 2', async () => {
    assertFails(await cli('import', '--storage', 'sqlite::memory:'), 2, 'airlock: missing --in');
    assertFails(
      await cli('export', '--json', '--storage', 'sqlite::memory:'),
      2,
      'airlock: --json prints a summary on standard output: give --out <file> for the dump',
    );
    assertFails(
      await cli('export', '--config', 'airlock.yaml', '--storage', 'sqlite:x.db', '--out', 'x'),
      2,
      'airlock: give --config or --storage, not both',
    );
  });

  it('a failed export names the database and leaves no file behind', async () => {
    const missing = path.join(work, 'missing.db');
    const out = path.join(work, 'out.dump');
    assertFails(
      await cli('export', '--storage', `sqlite:${missing}`, '--out', out),
      1,
      `airlock: export from sqlite:${missing} failed: no database at sqlite:${missing} (no such file)`,
    );
    const blank = path.join(work, 'blank.db');
    new DatabaseSync(blank).close();
    assertFails(
      await cli('export', '--storage', `sqlite:${blank}`, '--out', out),
      1,
      `airlock: export from sqlite:${blank} failed: the database has no Airlock schema (no migration ever ran): nothing to export`,
    );
    assert.deepEqual((await readdir(work)).sort(), ['blank.db']);
  });
});
