/**
 * Export and import on SQLite: the table list against the migrated schema, a round trip that gives
 * the same bytes back, a snapshot that holds up no writer, and every kind of bad dump refused with
 * its line number and nothing kept. (PostgreSQL, and the CLI: test/export-import.test.ts.)
 */

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { Kysely } from 'kysely';
import { dumpLines, lineOf, linesFrom, seedEveryTable, TRICKY_TEXTS } from '../../test/transfer-fixtures.ts';
import {
  type ColumnKind,
  columnKinds,
  MIGRATION_ROWS,
  TABLE_NAMES,
  TABLES,
  type TableName,
  tableColumns,
} from './dump-tables.ts';
import { migrationProvider } from './migrations.ts';
import { NodeSqliteDialect } from './node-sqlite-dialect.ts';
import type { Database } from './schema.ts';
import { runMigrations } from './schema-migrations.ts';
import { DUMP_VERSION, exportLines, importLines, TransferError } from './transfer.ts';

let dir: string;
let databases = 0;
/** Every migration this version knows, oldest first, and the newest. */
const KNOWN = Object.keys(await migrationProvider('sqlite').getMigrations()).sort();
const NEWEST = KNOWN[KNOWN.length - 1] ?? '';

function openSqlite(file: string): Kysely<Database> {
  return new Kysely<Database>({ dialect: new NodeSqliteDialect({ path: file }) });
}

/** A new database file: migrated (and seeded) unless told otherwise. */
async function database(
  options: { migrate?: boolean; seed?: boolean } = {},
): Promise<{ db: Kysely<Database>; file: string }> {
  const file = path.join(dir, `db-${++databases}.db`);
  const db = openSqlite(file);
  if (options.migrate ?? true) await runMigrations(db as Kysely<unknown>, 'sqlite');
  if (options.seed ?? true) await seedEveryTable(db);
  return { db, file };
}

async function exportAll(db: Kysely<Database>, pageSize?: number): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of exportLines(db, 'sqlite', pageSize === undefined ? {} : { pageSize })) {
    lines.push(line);
  }
  return lines;
}

/** Row counts of every table that exists. */
async function counts(db: Kysely<Database>): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const table of TABLE_NAMES) {
    const row = await (db as unknown as Kysely<Record<string, Record<string, unknown>>>)
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    result[table] = Number(row.n);
  }
  return result;
}

/** What a migrated database holds before anything happened in it. */
const EMPTY = Object.fromEntries(TABLE_NAMES.map((t) => [t, MIGRATION_ROWS[t]?.length ?? 0]));

async function assertEmpty(db: Kysely<Database>): Promise<void> {
  assert.deepEqual(await counts(db), EMPTY);
  const meta = await db.selectFrom('meta').selectAll().execute();
  assert.deepEqual(
    meta.map((row) => ({ ...row })),
    MIGRATION_ROWS.meta,
  );
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-transfer-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the transfer table list', () => {
  it('names every table and column of the migrated schema, in order, with their types, nullability and keys', async () => {
    const { db, file } = await database({ seed: false });
    await db.destroy();
    const sqlite = new DatabaseSync(file);
    try {
      const tables = sqlite
        .prepare(
          "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%' order by name",
        )
        .all()
        .map((r) => String(r.name));
      assert.deepEqual(tables, [...TABLE_NAMES].sort());
      const kindOf = (type: string, nullable: boolean): ColumnKind => {
        const base = { TEXT: 'text', INTEGER: 'int', BIGINT: 'bigint', 'DOUBLE PRECISION': 'real' }[
          type.toUpperCase()
        ];
        return `${base}${nullable ? '?' : ''}` as ColumnKind;
      };
      for (const table of TABLE_NAMES) {
        const info = sqlite.prepare(`pragma table_info(${table})`).all() as {
          name: string;
          type: string;
          notnull: number;
          pk: number;
        }[];
        const spec = TABLES[table];
        assert.deepEqual(
          info.map((c) => c.name),
          tableColumns(table),
          `columns of ${table}`,
        );
        const key = info
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name);
        assert.deepEqual(key, spec.key, `primary key of ${table}`);
        for (const column of info) {
          // SQLite's INTEGER PRIMARY KEY is the 64-bit rowid; PostgreSQL's audit seq is a bigint.
          const declared = table === 'audit_events' && column.name === 'seq' ? 'bigint' : column.type;
          const nullable = column.notnull === 0 && column.pk === 0;
          assert.equal(
            columnKinds(table)[column.name],
            kindOf(declared, nullable),
            `${table}.${column.name}`,
          );
        }
      }
    } finally {
      sqlite.close();
    }
  });

  it('knows the rows the migrations insert', async () => {
    const { db } = await database({ seed: false });
    try {
      await assertEmpty(db);
    } finally {
      await db.destroy();
    }
  });
});

describe('export and import on SQLite', () => {
  it('round trip: the import of a dump exports to the same bytes, whatever the page size', async () => {
    const { db: source } = await database();
    const { db: target } = await database({ seed: false });
    try {
      const dump = await exportAll(source);
      assert.deepEqual(await exportAll(source, 2), dump, 'pages of 2 rows give the same dump');
      const summary = await importLines(target, 'sqlite', linesFrom(dump), { batchSize: 3 });
      assert.deepEqual(await exportAll(target), dump);
      assert.deepEqual(await counts(target), await counts(source));
      assert.equal(summary.rows, dump.length - 1);
      assert.equal(summary.audit.seq, 9);
    } finally {
      await source.destroy();
      await target.destroy();
    }
  });

  it('writes a header with the format, schema, tables, counts and audit head, then rows in key order', async () => {
    const { db } = await database();
    try {
      const [first, ...rows] = await exportAll(db);
      const header = JSON.parse(first ?? '');
      assert.equal(header.format, 'airlock-dump');
      assert.equal(header.version, DUMP_VERSION);
      assert.deepEqual(header.schema, { migration: NEWEST, migrations: KNOWN });
      assert.deepEqual(
        header.tables.map((t: { name: string }) => t.name),
        TABLE_NAMES,
      );
      assert.deepEqual(header.tables[0], { name: 'meta', columns: ['key', 'value'], rows: 3 });
      assert.equal(header.rows, rows.length);
      const head = await db
        .selectFrom('audit_events')
        .select(['seq', 'hash'])
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow();
      assert.deepEqual(header.audit, { seq: head.seq, hash: head.hash });

      // Bytewise (UTF-8) order, as both databases sort text keys, which is not JavaScript's (UTF-16).
      const patterns = rows
        .map((l) => JSON.parse(l))
        .filter((l) => l.table === 'grants' && l.row[2] === 'staging')
        .map((l) => l.row[1]);
      const bytewise = [...TRICKY_TEXTS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      assert.deepEqual(patterns, bytewise);
      assert.notDeepEqual(bytewise, [...TRICKY_TEXTS].sort());
      const steps = rows
        .map((l) => JSON.parse(l))
        .filter((l) => l.table === 'approval_votes')
        .map((l) => `${l.row[2]}:${l.row[1]}`);
      assert.deepEqual(steps, ['1:bob', '1:dave', '2:bob', '2:dave', '10:bob', '10:dave']);
    } finally {
      await db.destroy();
    }
  });

  it('exports a snapshot: a write during the export neither waits nor shows up in the dump', async () => {
    const { db, file } = await database();
    const writer = openSqlite(file);
    try {
      const lines = exportLines(db, 'sqlite', { pageSize: 2 });
      const header = JSON.parse(String((await lines.next()).value));
      const wrote = writer
        .insertInto('agents')
        .values({
          id: 'late',
          owner: 'sre',
          status: 'active',
          description: null,
          created_at: 'x',
          updated_at: 'x',
        })
        .execute();
      const timeout = new Promise((_, reject) =>
        setTimeout(() => reject(new Error('the writer waited')), 2_000),
      );
      await Promise.race([wrote, timeout]);
      const rest: string[] = [];
      for await (const line of lines) rest.push(line);
      assert.equal(rest.length, header.rows);
      assert.ok(!rest.some((l) => l.includes('"late"')));
    } finally {
      await writer.destroy();
      await db.destroy();
    }
  });

  it('refuses to export a database without an Airlock schema', async () => {
    const { db } = await database({ migrate: false, seed: false });
    try {
      await assert.rejects(
        exportAll(db),
        /has no Airlock schema \(no migration ever ran\): nothing to export/,
      );
    } finally {
      await db.destroy();
    }
  });

  it('imports a dump of the schema before the newest migration: what it lacks stays empty', async () => {
    const { db: source } = await database();
    const { db: target } = await database({ migrate: false, seed: false });
    try {
      // The dump as the schema before the newest migration had it: without the tables and columns it adds.
      const [first, ...rows] = await exportAll(source);
      const header = JSON.parse(first ?? '');
      const older = KNOWN.slice(0, -1);
      header.schema = { migration: older[older.length - 1], migrations: older };
      const dropped = new Set<string>(TABLE_NAMES.filter((t) => TABLES[t].migration === NEWEST));
      const keptColumns = new Map<string, number[]>();
      header.tables = header.tables
        .filter((t: { name: string }) => !dropped.has(t.name))
        .map((t: { name: TableName; columns: string[]; rows: number }) => {
          const columns = tableColumns(t.name, older);
          keptColumns.set(
            t.name,
            columns.map((c) => t.columns.indexOf(c)),
          );
          return { ...t, columns };
        });
      const kept = rows
        .map((l) => JSON.parse(l) as { table: string; row: unknown[] })
        .filter((l) => !dropped.has(l.table))
        .map((l) =>
          JSON.stringify({ table: l.table, row: (keptColumns.get(l.table) ?? []).map((i) => l.row[i]) }),
        );
      header.rows = kept.length;
      await importLines(target, 'sqlite', linesFrom([JSON.stringify(header), ...kept]));

      const before = await counts(source);
      const after = await counts(target);
      for (const table of TABLE_NAMES)
        assert.equal(after[table], dropped.has(table) ? 0 : before[table], table);
      // And the target is at the newest schema.
      assert.deepEqual(JSON.parse((await exportAll(target))[0] ?? '').schema.migrations, KNOWN);
    } finally {
      await source.destroy();
      await target.destroy();
    }
  });

  it('refuses a target that holds data, and changes nothing in it', async () => {
    const { db: source } = await database();
    const { db: target } = await database({ seed: false });
    try {
      const dump = await exportAll(source);
      await target
        .insertInto('freezes')
        .values({ scope: '*', reason: 'r', frozen_by: 'alice', frozen_at: 'x' })
        .execute();
      await assert.rejects(
        importLines(target, 'sqlite', linesFrom(dump)),
        /^TransferError: the target database is not empty \(freezes: 1 row\); import only into a new, empty database$/,
      );
      assert.deepEqual(await counts(target), { ...EMPTY, freezes: 1 });

      // A changed counter counts as data too.
      await target.deleteFrom('freezes').execute();
      await target.updateTable('meta').set({ value: 1 }).execute();
      await assert.rejects(importLines(target, 'sqlite', linesFrom(dump)), /not empty \(meta: 1 row\)/);
    } finally {
      await source.destroy();
      await target.destroy();
    }
  });

  describe('a bad dump is refused, names its line, and leaves the target empty', () => {
    let dump: string[];
    before(async () => {
      const { db } = await database();
      dump = await exportAll(db);
      await db.destroy();
    });

    const edit = (
      lines: string[],
      line: number,
      change: (value: { table: string; row: unknown[] }) => void,
    ) => {
      const copy = [...lines];
      const value = JSON.parse(copy[line - 1] ?? '');
      change(value);
      copy[line - 1] = JSON.stringify(value);
      return copy;
    };
    const header = (lines: string[], change: (h: Record<string, unknown>) => void) => {
      const copy = [...lines];
      const value = JSON.parse(copy[0] ?? '');
      change(value);
      copy[0] = JSON.stringify(value);
      return copy;
    };

    const cases: readonly [string, (lines: string[]) => string[], RegExp][] = [
      ['an empty dump', () => [], /^line 1: the dump is empty \(no header line\)$/],
      [
        'a header that is not JSON',
        (l) => ['{"format":', ...l.slice(1)],
        /^line 1: the header is not valid JSON/,
      ],
      [
        'another format',
        (l) => header(l, (h) => Object.assign(h, { format: 'pg_dump' })),
        /^line 1: not an Airlock dump/,
      ],
      [
        'a newer format version',
        (l) => header(l, (h) => Object.assign(h, { version: DUMP_VERSION + 1 })),
        new RegExp(
          `^line 1: the dump's format version ${DUMP_VERSION + 1} is newer than this version of Airlock reads \\(${DUMP_VERSION}\\)`,
        ),
      ],
      [
        'a newer schema',
        (l) =>
          header(l, (h) => {
            const schema = h.schema as { migration: string; migrations: string[] };
            h.schema = { migration: '0099_future', migrations: [...schema.migrations, '0099_future'] };
          }),
        /^line 1: the dump comes from a database schema newer than this version of Airlock: the newest migration it knows is \d{4}_\w+, the dump has 0099_future; import it with the newer Airlock that exported it$/,
      ],
      [
        'a column this version does not have',
        (l) =>
          header(l, (h) => {
            const tables = h.tables as { name: string; columns: string[] }[];
            tables[1]?.columns.push('colour');
          }),
        /^line 1: the header gives table agents the columns id, owner, status, description, created_at, updated_at, colour; at \d{4}_\w+ it has id, owner, status, description, created_at, updated_at$/,
      ],
      [
        'an audit head that does not match the audit rows',
        (l) => header(l, (h) => Object.assign(h, { audit: { seq: 9, hash: 'f'.repeat(64) } })),
        /^the imported audit chain ends at event 9 \([0-9a-f]{64}\); the dump's header says event 9 \(f{64}\)$/,
      ],
      [
        'a line that is not JSON',
        (l) => [...l.slice(0, 5), 'garbage', ...l.slice(5)],
        /^line 6: not valid JSON/,
      ],
      [
        'a line that is not a row',
        (l) => [...l.slice(0, 3), '{"agents":[]}', ...l.slice(3)],
        /^line 4: not a row line/,
      ],
      [
        'a value of the wrong type',
        (l) =>
          edit(l, lineOf(l, 'grants', 1), (v) => {
            v.row[3] = '3';
          }),
        /^line \d+ \(grants\): bad row: column level: .*expected number/,
      ],
      [
        'an integer too large for PostgreSQL',
        (l) =>
          edit(l, lineOf(l, 'grants'), (v) => {
            v.row[3] = 2 ** 31;
          }),
        /^line \d+ \(grants\): bad row: column level: /,
      ],
      [
        'a missing column',
        (l) => edit(l, lineOf(l, 'agents'), (v) => v.row.pop()),
        /^line \d+ \(agents\): bad row: /,
      ],
      [
        'a null where none may be',
        (l) =>
          edit(l, lineOf(l, 'agents'), (v) => {
            v.row[1] = null;
          }),
        /^line \d+ \(agents\): bad row: column owner: /,
      ],
      [
        'a row the database refuses (a unique constraint)',
        (l) => {
          const first = JSON.parse(l[lineOf(l, 'evidence') - 1] ?? '');
          return edit(l, lineOf(l, 'evidence', 1), (v) => {
            v.row[2] = first.row[2];
          });
        },
        /^line \d+ \(evidence\): the database refused rows of lines \d+-\d+: UNIQUE constraint failed: evidence\.action_id, evidence\.kind/,
      ],
      [
        'a table the header does not list',
        (l) => [...l.slice(0, 2), '{"table":"secrets","row":[]}', ...l.slice(2)],
        /^line 3: table "secrets" is not in the header$/,
      ],
      [
        'a row repeated',
        (l) => {
          const at = lineOf(l, 'agents');
          return [...l.slice(0, at), l[at - 1] ?? '', ...l.slice(at)];
        },
        /^line \d+ \(agents\): the row's key \("agent-"\) does not come after the key on line \d+: rows come in primary key order, each once$/,
      ],
      [
        'rows out of order',
        (l) => {
          const at = lineOf(l, 'agents');
          const copy = [...l];
          [copy[at - 1], copy[at]] = [copy[at] ?? '', copy[at - 1] ?? ''];
          return copy;
        },
        /^line \d+ \(agents\): the row's key .* does not come after the key on line \d+/,
      ],
      [
        'a table cut short',
        (l) => l.filter((_, i) => i + 1 !== lineOf(l, 'agents')),
        /^line \d+: table agents ends with 8 rows, the header says 9 \(the dump was cut short or changed\)$/,
      ],
      [
        'a table after a later one',
        (l) => [...l, l[lineOf(l, 'agents') - 1] ?? ''],
        /^line \d+: a row of table agents after the rows of shadow_decision_rules: tables come in the header's order/,
      ],
      [
        'a dump cut off at the end',
        (l) => l.slice(0, lineOf(l, 'evidence')),
        /^line \d+: table evidence ends with 1 row, the header says 10 \(the dump was cut short or changed\)$/,
      ],
      [
        'a dump cut off between tables',
        (l) => l.slice(0, lineOf(l, 'evidence') - 1),
        /^the dump ends after line \d+, before the 10 rows of table evidence the header lists: it was cut short$/,
      ],
      [
        'a changed audit event',
        (l) =>
          edit(l, lineOf(l, 'audit_events', 3), (v) => {
            v.row[6] = String(v.row[6]).replace('"two"', '"three"');
          }),
        /^line \d+ \(audit_events\): the audit chain breaks here: event 4 does not match its hash \(it was changed\)$/,
      ],
      [
        'an audit event removed (and the counts fixed)',
        (l) => {
          const at = lineOf(l, 'audit_events', 2);
          const rest = l.filter((_, i) => i + 1 !== at);
          return header(rest, (h) => {
            const tables = h.tables as { name: string; rows: number }[];
            const audit = tables.find((t) => t.name === 'audit_events');
            if (audit !== undefined) audit.rows -= 1;
            h.rows = (h.rows as number) - 1;
            h.audit = { ...(h.audit as object), seq: 8 };
          });
        },
        /^line \d+ \(audit_events\): the audit chain breaks here: expected event 3, found 4 \(an event is missing or moved\)$/,
      ],
    ];

    for (const [name, change, reason] of cases) {
      it(name, async () => {
        const { db } = await database({ migrate: false, seed: false });
        try {
          const error = await importLines(db, 'sqlite', linesFrom(change(dump))).then(
            () => assert.fail('the import should fail'),
            (e: unknown) => e as Error,
          );
          assert.match(error.message, reason);
          assert.ok(error instanceof Error && error.name.endsWith('Error'));
          // A header refused before migrating leaves no tables at all; else the tables stay empty.
          const tables = await db.introspection.getTables();
          if (tables.length > 0) await assertEmpty(db);
        } finally {
          await db.destroy();
        }
      });
    }

    it('a line refused is a TransferError with its line and table', async () => {
      const { db } = await database({ migrate: false, seed: false });
      try {
        const at = lineOf(dump, 'limit_usage', 4);
        const bad = edit(dump, at, (v) => {
          v.row[2] = 7;
        });
        const error = await importLines(db, 'sqlite', linesFrom(bad)).catch((e: unknown) => e);
        assert.ok(error instanceof TransferError);
        assert.equal(error.line, at);
        assert.equal(error.table, 'limit_usage');
      } finally {
        await db.destroy();
      }
    });
  });

  it('a dump read from text with a trailing newline imports', async () => {
    const { db: source } = await database();
    const { db: target } = await database({ migrate: false, seed: false });
    try {
      const text = `${(await exportAll(source)).join('\n')}\n`;
      await importLines(target, 'sqlite', linesFrom(text.split('\n')));
      assert.deepEqual(await exportAll(target), dumpLines(text));
    } finally {
      await source.destroy();
      await target.destroy();
    }
  });
});
