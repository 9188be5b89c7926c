/**
 * Moving the whole state of a store to another database (SQLite to PostgreSQL, say): `exportLines`
 * writes every table as JSON Lines, one header line and then one line per row, table by table in a
 * fixed order and each table in primary-key order, so the same data always gives the same bytes
 * whatever database it came from. `importLines` reads such a dump into an empty database in one
 * transaction, and keeps it only when the row counts and the audit chain (head included) come out
 * exactly as the header says. Both stream: pages of rows out, batches of rows in.
 */

import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Expression, ExpressionBuilder, Kysely, SqlBool, Transaction } from 'kysely';
import { z } from 'zod';
import type { AuditRecord } from '../audit/audit-event.ts';
import { ChainVerifier } from '../audit/chain-verifier.ts';
import {
  type ColumnKind,
  columnKinds,
  MIGRATION_ROWS,
  TABLE_NAMES,
  type TableName,
  tableColumns,
  tableKey,
  tablesOf,
} from './dump-tables.ts';
import type { DialectKind } from './migrations.ts';
import {
  describeStorage,
  openKysely,
  parseStorageUrl,
  postgresSettings,
  type StoreOptions,
} from './open-store.ts';
import { postgresHooks } from './postgres-dialect.ts';
import type { Database } from './schema.ts';
import {
  assertNotNewer,
  type MigrationStatus,
  migrationStatus,
  runMigrations,
  SchemaTooNewError,
  StoreError,
} from './schema-migrations.ts';

export const DUMP_FORMAT = 'airlock-dump';
/** The dump format this version writes and reads. */
export const DUMP_VERSION = 1;

/** A dump refused (or a database that cannot be exported), with where in the dump if known. */
export class TransferError extends StoreError {
  override readonly name = 'TransferError';
  /** 1-based line of the dump, when the problem is on one line. */
  readonly line: number | null;
  readonly table: string | null;

  constructor(reason: string, where: { line?: number; table?: string } = {}, options?: ErrorOptions) {
    const place =
      where.line === undefined
        ? ''
        : `line ${where.line}${where.table === undefined ? '' : ` (${where.table})`}: `;
    super(`${place}${reason}`, options);
    this.line = where.line ?? null;
    this.table = where.table ?? null;
  }
}

// A loosely typed view of the database, for code that goes over every table by name.
type LooseDb = Record<string, Record<string, unknown>>;
const loose = (db: Kysely<Database>): Kysely<LooseDb> => db as unknown as Kysely<LooseDb>;

const INT32 = z
  .number()
  .int()
  .min(-(2 ** 31))
  .max(2 ** 31 - 1);
const VALUE: Record<ColumnKind, z.ZodType> = {
  text: z.string(),
  'text?': z.string().nullable(),
  int: INT32,
  bigint: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  'real?': z.number().nullable(),
};

const rowSchemas = new Map<string, z.ZodType<unknown[]>>();

/** A row of `table` with these columns, as a tuple of their values. */
function rowSchema(table: TableName, columns: readonly string[]): z.ZodType<unknown[]> {
  const id = `${table}(${columns.join(',')})`;
  let schema = rowSchemas.get(id);
  if (schema === undefined) {
    const kinds = columnKinds(table);
    const values = columns.map((c) => VALUE[kinds[c] ?? 'text']) as [z.ZodType, ...z.ZodType[]];
    schema = z.tuple(values) as z.ZodType<unknown[]>;
    rowSchemas.set(id, schema);
  }
  return schema;
}

const headerSchema = z.strictObject({
  format: z.literal(DUMP_FORMAT),
  version: z.literal(DUMP_VERSION),
  schema: z.strictObject({
    /** The newest migration the source database had run (null: none). */
    migration: z.string().nullable(),
    migrations: z.array(z.string()),
  }),
  tables: z.array(
    z.strictObject({
      name: z.string(),
      columns: z.array(z.string()),
      rows: z.number().int().nonnegative(),
    }),
  ),
  rows: z.number().int().nonnegative(),
  /** The audit chain's head: its last event (seq 0 and hash null for an empty chain). */
  audit: z.strictObject({
    seq: z.number().int().nonnegative(),
    hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable(),
  }),
});

export type DumpHeader = z.infer<typeof headerSchema>;

const rowLineSchema = z.strictObject({ table: z.string(), row: z.array(z.unknown()) });

/** What a dump holds, without its column lists: for summaries. */
export interface TransferSummary {
  readonly format: string;
  readonly version: number;
  readonly schema: DumpHeader['schema'];
  readonly tables: readonly { readonly name: string; readonly rows: number }[];
  readonly rows: number;
  readonly audit: DumpHeader['audit'];
}

export function summaryOf(header: DumpHeader): TransferSummary {
  return {
    format: header.format,
    version: header.version,
    schema: header.schema,
    tables: header.tables.map(({ name, rows }) => ({ name, rows })),
    rows: header.rows,
    audit: header.audit,
  };
}

/** Rows of one table done so far (`done` once it is complete). */
export interface TableProgress {
  readonly table: string;
  readonly rows: number;
  readonly done: boolean;
}

export interface ExportOptions {
  /** Rows per page read (default 1,000). */
  readonly pageSize?: number;
  readonly onProgress?: (progress: TableProgress) => void;
}

const rowsText = (n: number) => `${n} row${n === 1 ? '' : 's'}`;

const PAGE_SIZE = 1_000;
const INSERT_BATCH = 500;
const VERIFY_PAGE = 2_000;

function describeIssues(error: z.ZodError, columns: readonly string[] | null): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const [first, second] = issue.path;
      let where = issue.path.join('.');
      if (columns !== null && first === 'row' && typeof second === 'number') {
        where = `column ${columns[second] ?? `#${second + 1}`}`;
      } else if (columns !== null && typeof first === 'number') {
        where = `column ${columns[first] ?? `#${first + 1}`}`;
      }
      return where === '' ? issue.message : `${where}: ${issue.message}`;
    })
    .join('; ');
}

/** Compare primary keys as both databases order them: numbers by value, text bytewise (UTF-8). */
function compareKeys(a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    let order: number;
    if (typeof x === 'number' && typeof y === 'number') order = x - y;
    else order = Buffer.compare(Buffer.from(String(x), 'utf8'), Buffer.from(String(y), 'utf8'));
    if (order !== 0) return order;
  }
  return 0;
}

/**
 * Rows after `last` in key order. For a key of several columns a row-value comparison, `(a, b) > (x, y)`:
 * standard SQL, which both databases answer from the key's index.
 */
function keyAfter(
  key: readonly string[],
  last: readonly unknown[],
): (eb: ExpressionBuilder<LooseDb, string>) => Expression<SqlBool> {
  return (eb) => {
    if (key.length === 1) return eb(key[0] as string, '>', last[0]);
    // Kysely types these for 2 to 5 items; they take any number.
    const refs = eb.refTuple as unknown as (...columns: string[]) => Expression<unknown>;
    const values = eb.tuple as unknown as (...values: unknown[]) => Expression<unknown>;
    return eb(refs(...key), '>', values(...last));
  };
}

function auditRecord(row: Readonly<Record<string, unknown>>): AuditRecord {
  const r = row as unknown as Database['audit_events'];
  return {
    seq: Number(r.seq),
    at: r.at,
    kind: r.kind,
    actor: { kind: r.actor_kind as AuditRecord['actor']['kind'], id: r.actor_id },
    subject: r.subject,
    data: r.data,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

async function countRows(db: Kysely<Database>, table: TableName): Promise<number> {
  const row = await loose(db)
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function auditHead(db: Kysely<Database>): Promise<DumpHeader['audit']> {
  const head = await db
    .selectFrom('audit_events')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return head === undefined ? { seq: 0, hash: null } : { seq: Number(head.seq), hash: head.hash };
}

/** A table's rows in key order, as tuples of its columns, read a page at a time. */
async function* tableRows(
  db: Kysely<Database>,
  table: TableName,
  columns: readonly string[],
  pageSize: number,
): AsyncGenerator<unknown[]> {
  const key = tableKey(table);
  let last: unknown[] | null = null;
  for (;;) {
    let query = loose(db).selectFrom(table).select(columns);
    if (last !== null) query = query.where(keyAfter(key, last));
    for (const k of key) query = query.orderBy(k);
    const rows = await query.limit(pageSize).execute();
    for (const row of rows) yield columns.map((c) => row[c]);
    const lastRow = rows[rows.length - 1];
    if (rows.length < pageSize || lastRow === undefined) return;
    last = key.map((k) => lastRow[k]);
  }
}

/**
 * The dump of the database: a header line, then every row. Reads one consistent snapshot (a
 * read-only transaction: repeatable read on PostgreSQL, a deferred one on SQLite), so a live
 * database may be exported; writers are not held up. Changes nothing. Refuses a database migrated
 * by a newer version, or one with no Airlock schema at all.
 */
export async function* exportLines(
  db: Kysely<Database>,
  kind: DialectKind,
  options: ExportOptions = {},
): AsyncGenerator<string> {
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const trx = await db
    .startTransaction()
    .setAccessMode('read only')
    .setIsolationLevel('repeatable read')
    .execute();
  let ended = false;
  try {
    const status = await migrationStatus(trx as unknown as Kysely<unknown>, kind);
    assertNotNewer(status);
    if (status.applied.length === 0) {
      throw new TransferError(
        'the database has no Airlock schema (no migration ever ran): nothing to export',
      );
    }
    const tables = tablesOf(status.applied);
    const columnsOf = (table: TableName) => tableColumns(table, status.applied);
    const counts: number[] = [];
    for (const table of tables) counts.push(await countRows(trx, table));
    const header: DumpHeader = {
      format: DUMP_FORMAT,
      version: DUMP_VERSION,
      schema: {
        migration: status.applied[status.applied.length - 1] ?? null,
        migrations: [...status.applied],
      },
      tables: tables.map((name, i) => ({ name, columns: columnsOf(name), rows: counts[i] ?? 0 })),
      rows: counts.reduce((sum, n) => sum + n, 0),
      audit: await auditHead(trx),
    };
    yield JSON.stringify(header);

    for (const [i, table] of tables.entries()) {
      const columns = columnsOf(table);
      const schema = rowSchema(table, columns);
      const key = tableKey(table);
      let rows = 0;
      for await (const row of tableRows(trx, table, columns, pageSize)) {
        const checked = schema.safeParse(row);
        if (!checked.success) {
          const id = key.map((k) => JSON.stringify(row[columns.indexOf(k)])).join(', ');
          throw new TransferError(
            `cannot export table ${table}, row with key (${id}): ${describeIssues(checked.error, columns)}`,
          );
        }
        yield JSON.stringify({ table, row });
        rows += 1;
        if (rows % pageSize === 0) options.onProgress?.({ table, rows, done: false });
      }
      if (rows !== counts[i]) {
        throw new TransferError(`table ${table} gave ${rows} rows, its count was ${counts[i]}`);
      }
      options.onProgress?.({ table, rows, done: true });
    }
    ended = true;
    await trx.commit().execute();
  } finally {
    if (!ended) await trx.rollback().execute();
  }
}

/** Parse and check a dump's first line. */
export function parseHeader(text: string | null): DumpHeader {
  if (text === null) throw new TransferError('the dump is empty (no header line)', { line: 1 });
  const where = { line: 1 };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TransferError(`the header is not valid JSON (${(error as Error).message})`, where);
  }
  const envelope = z.looseObject({ format: z.unknown(), version: z.unknown() }).safeParse(value);
  if (!envelope.success || envelope.data.format !== DUMP_FORMAT) {
    throw new TransferError(`not an Airlock dump (the header's format is not "${DUMP_FORMAT}")`, where);
  }
  const { version } = envelope.data;
  if (typeof version === 'number' && version > DUMP_VERSION) {
    throw new TransferError(
      `the dump's format version ${version} is newer than this version of Airlock reads (${DUMP_VERSION}); use the newer Airlock that wrote it`,
      where,
    );
  }
  const parsed = headerSchema.safeParse(value);
  if (!parsed.success) throw new TransferError(`bad header: ${describeIssues(parsed.error, null)}`, where);
  return parsed.data;
}

/**
 * Refuse a header this version cannot import: a schema newer than it knows, tables that do not match
 * what its schema says, or counts that do not add up.
 */
function checkHeader(header: DumpHeader, known: readonly string[]): void {
  const where = { line: 1 };
  const knownSet = new Set(known);
  const unknown = header.schema.migrations.filter((m) => !knownSet.has(m));
  if (unknown.length > 0) {
    throw new SchemaTooNewError(
      `line 1: the dump comes from a database schema newer than this version of Airlock: the newest migration it knows is ${known[known.length - 1] ?? '(none)'}, the dump has ${unknown[unknown.length - 1]}; import it with the newer Airlock that exported it`,
    );
  }
  const expected = tablesOf(header.schema.migrations);
  const listed = header.tables.map((t) => t.name);
  if (listed.join(',') !== expected.join(',')) {
    throw new TransferError(
      `the header lists tables ${listed.join(', ') || '(none)'}; a database at ${header.schema.migration ?? '(no migration)'} has ${expected.join(', ') || '(none)'}, in that order`,
      where,
    );
  }
  for (const table of header.tables) {
    const columns = tableColumns(table.name as TableName, header.schema.migrations);
    if (table.columns.join(',') !== columns.join(',')) {
      throw new TransferError(
        `the header gives table ${table.name} the columns ${table.columns.join(', ')}; at ${header.schema.migration} it has ${columns.join(', ')}`,
        where,
      );
    }
  }
  const total = header.tables.reduce((sum, t) => sum + t.rows, 0);
  if (total !== header.rows) {
    throw new TransferError(
      `the header's tables add up to ${total} rows, not the ${header.rows} it says`,
      where,
    );
  }
  const events = header.tables.find((t) => t.name === 'audit_events')?.rows ?? 0;
  if (events !== header.audit.seq || (events === 0) !== (header.audit.hash === null)) {
    throw new TransferError(
      `the header's audit head (event ${header.audit.seq}) does not match its ${events} audit events`,
      where,
    );
  }
}

/** Tables of `tables` that hold anything beyond the rows migrations insert, with their counts. */
async function occupiedTables(
  db: Kysely<Database>,
  tables: readonly TableName[],
): Promise<{ table: TableName; rows: number }[]> {
  const occupied: { table: TableName; rows: number }[] = [];
  for (const table of tables) {
    const defaults = MIGRATION_ROWS[table];
    if (defaults === undefined) {
      const rows = await countRows(db, table);
      if (rows > 0) occupied.push({ table, rows });
      continue;
    }
    const columns = Object.keys(defaults[0] ?? {});
    const rows = await loose(db)
      .selectFrom(table)
      .select(columns)
      .limit(defaults.length + 1_000)
      .execute();
    const canonical = (row: Record<string, unknown>) => JSON.stringify(columns.map((c) => row[c]));
    const expected = new Set(defaults.map(canonical));
    const extra = rows.filter((row) => !expected.has(canonical(row)));
    if (extra.length > 0 || rows.length > defaults.length) occupied.push({ table, rows: rows.length });
  }
  return occupied;
}

function refuseOccupied(occupied: readonly { table: string; rows: number }[]): void {
  if (occupied.length === 0) return;
  const list = occupied.map((o) => `${o.table}: ${rowsText(o.rows)}`).join(', ');
  throw new TransferError(
    `the target database is not empty (${list}); import only into a new, empty database`,
  );
}

export interface ImportOptions {
  /** Rows per insert (default 500). */
  readonly batchSize?: number;
  readonly onProgress?: (progress: TableProgress) => void;
  /**
   * Run first in the import's transaction: queue behind (and hold off) every other writer of the
   * audit chain. SQLite's write transaction already does; PostgreSQL takes the chain lock.
   */
  readonly lockChain?: (trx: Transaction<Database>) => Promise<void>;
}

/** Where the import stands in the dump: the table whose rows come now, and what it has seen. */
interface TableCursor {
  readonly index: number;
  readonly name: TableName;
  readonly columns: readonly string[];
  readonly schema: z.ZodType<unknown[]>;
  readonly expected: number;
  rows: number;
  lastKey: unknown[] | null;
  lastKeyLine: number;
}

/**
 * Import a dump (the lines of `lines`) into the empty database `db`: check the header, apply the
 * migrations, then insert every row in one transaction and keep it only if every table has the
 * header's row count and the audit chain verifies up to the header's head. Anything wrong (a bad
 * line, a row out of order, a table cut short, a changed audit event, a database that refuses a
 * row) rolls everything back, and the error names the line. Refuses a database that holds data.
 *
 * No column draws from a sequence (the audit chain numbers its own events), so there is no
 * sequence to move past the imported rows afterwards. A dump from an older schema is imported into
 * the newest one, the tables and columns it predates left empty: every migration so far only adds
 * tables and columns. One that rewrote rows would need the import to stop at the dump's schema,
 * insert, then migrate on (kysely's `Migrator.migrateTo`).
 */
export async function importLines(
  db: Kysely<Database>,
  kind: DialectKind,
  lines: AsyncIterable<string>,
  options: ImportOptions = {},
): Promise<TransferSummary> {
  const iterator = lines[Symbol.asyncIterator]();
  let lineNo = 0;
  const nextLine = async (): Promise<string | null> => {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return null;
      lineNo += 1;
      if (next.value !== '') return next.value;
    }
  };

  try {
    const header = parseHeader(await nextLine());
    let status: MigrationStatus;
    try {
      status = await migrationStatus(db as Kysely<unknown>, kind);
    } catch (error) {
      throw new StoreError(`cannot open the target database: ${(error as Error).message}`, { cause: error });
    }
    checkHeader(header, status.known);
    assertNotNewer(status);
    // Refuse a database with data before migrating it: a refused import changes nothing.
    refuseOccupied(await occupiedTables(db, tablesOf(status.applied)));
    await runMigrations(db as Kysely<unknown>, kind);

    return await db.transaction().execute(async (trx) => {
      await options.lockChain?.(trx);
      refuseOccupied(await occupiedTables(trx, TABLE_NAMES));
      for (const table of header.tables) {
        if (MIGRATION_ROWS[table.name as TableName] !== undefined)
          await loose(trx).deleteFrom(table.name).execute();
      }
      await insertRows(trx, kind, header, nextLine, () => lineNo, options);
      await verifyImported(trx, header);
      return summaryOf(header);
    });
  } finally {
    await iterator.return?.();
  }
}

async function insertRows(
  trx: Transaction<Database>,
  kind: DialectKind,
  header: DumpHeader,
  nextLine: () => Promise<string | null>,
  currentLine: () => number,
  options: ImportOptions,
): Promise<void> {
  const batchSize = options.batchSize ?? INSERT_BATCH;
  const plan = header.tables.map((t) => ({ name: t.name as TableName, columns: t.columns, rows: t.rows }));
  const verifier = new ChainVerifier();
  let cursor: TableCursor | null = null;
  let batch: { line: number; row: unknown[] }[] = [];

  const flush = async ({ name: table, columns }: TableCursor): Promise<void> => {
    if (batch.length === 0) return;
    const first = batch[0]?.line;
    const last = batch[batch.length - 1]?.line;
    try {
      await loose(trx)
        .insertInto(table)
        .values(batch.map(({ row }) => Object.fromEntries(columns.map((c, i) => [c, row[i]]))))
        .execute();
    } catch (error) {
      throw new TransferError(
        `the database refused rows of lines ${first}-${last}: ${(error as Error).message}`,
        { line: first ?? 0, table },
        { cause: error },
      );
    }
    batch = [];
  };

  /** Close the current table: its rows must be all the header promised. */
  const finish = async (line: number): Promise<void> => {
    if (cursor === null) return;
    await flush(cursor);
    if (cursor.rows !== cursor.expected) {
      throw new TransferError(
        `table ${cursor.name} ends with ${rowsText(cursor.rows)}, the header says ${cursor.expected} (the dump was cut short or changed)`,
        { line },
      );
    }
    options.onProgress?.({ table: cursor.name, rows: cursor.rows, done: true });
  };

  /** Move on to `table`, which must come later in the header's order; tables skipped must be empty. */
  const advance = async (table: string, line: number): Promise<TableCursor> => {
    const index = plan.findIndex((t) => t.name === table);
    if (index === -1) throw new TransferError(`table "${table}" is not in the header`, { line });
    const from = cursor === null ? 0 : cursor.index + 1;
    if (index < from) {
      throw new TransferError(
        `a row of table ${table} after the rows of ${cursor?.name}: tables come in the header's order, each table's rows together`,
        { line },
      );
    }
    await finish(line);
    for (const skipped of plan.slice(from, index)) {
      if (skipped.rows > 0) {
        throw new TransferError(
          `rows of table ${table} come where the header's ${skipped.rows} rows of table ${skipped.name} should be`,
          { line },
        );
      }
      options.onProgress?.({ table: skipped.name, rows: 0, done: true });
    }
    const { name, columns, rows } = plan[index] as (typeof plan)[number];
    return {
      index,
      name,
      columns,
      schema: rowSchema(name, columns),
      expected: rows,
      rows: 0,
      lastKey: null,
      lastKeyLine: 0,
    };
  };

  for (let text = await nextLine(); text !== null; text = await nextLine()) {
    const line = currentLine();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new TransferError(`not valid JSON (${(error as Error).message})`, { line });
    }
    const parsed = rowLineSchema.safeParse(value);
    if (!parsed.success) {
      throw new TransferError(
        `not a row line ({"table": …, "row": […]}): ${describeIssues(parsed.error, null)}`,
        { line },
      );
    }
    const { table } = parsed.data;
    if (cursor === null || cursor.name !== table) cursor = await advance(table, line);
    const where = { line, table };
    const { columns } = cursor;
    const checked = cursor.schema.safeParse(parsed.data.row);
    if (!checked.success)
      throw new TransferError(`bad row: ${describeIssues(checked.error, columns)}`, where);
    const row = checked.data;
    if (kind === 'postgres') {
      const nul = row.findIndex((v) => typeof v === 'string' && v.includes('\u0000'));
      if (nul !== -1) {
        throw new TransferError(
          `column ${columns[nul]} holds a NUL character, which PostgreSQL cannot store in text`,
          where,
        );
      }
    }
    const key = tableKey(cursor.name).map((k) => row[columns.indexOf(k)]);
    if (cursor.lastKey !== null && compareKeys(key, cursor.lastKey) <= 0) {
      throw new TransferError(
        `the row's key (${key.map((k) => JSON.stringify(k)).join(', ')}) does not come after the key on line ${cursor.lastKeyLine}: rows come in primary key order, each once`,
        where,
      );
    }
    cursor.lastKey = key;
    cursor.lastKeyLine = line;
    cursor.rows += 1;
    if (cursor.rows > cursor.expected) {
      throw new TransferError(`more rows of table ${table} than the header's ${cursor.expected}`, where);
    }
    if (cursor.name === 'audit_events') {
      verifier.push(auditRecord(Object.fromEntries(columns.map((c, i) => [c, row[i]]))));
      const report = verifier.report();
      if (!report.ok) throw new TransferError(`the audit chain breaks here: ${report.problem}`, where);
    }
    batch.push({ line, row });
    if (batch.length >= batchSize) {
      await flush(cursor);
      options.onProgress?.({ table: cursor.name, rows: cursor.rows, done: false });
    }
  }

  const end = currentLine();
  await finish(end);
  const from = cursor === null ? 0 : cursor.index + 1;
  for (const missing of plan.slice(from)) {
    if (missing.rows > 0) {
      throw new TransferError(
        `the dump ends after line ${end}, before the ${rowsText(missing.rows)} of table ${missing.name} the header lists: it was cut short`,
      );
    }
    options.onProgress?.({ table: missing.name, rows: 0, done: true });
  }
}

/** Within the import's transaction: every table holds what the header says, and the chain verifies to its head. */
async function verifyImported(trx: Transaction<Database>, header: DumpHeader): Promise<void> {
  const inDump = new Map(header.tables.map((t) => [t.name, t.rows]));
  for (const table of TABLE_NAMES) {
    const expected = inDump.get(table) ?? MIGRATION_ROWS[table]?.length ?? 0;
    const rows = await countRows(trx, table);
    if (rows !== expected) {
      throw new TransferError(
        `after the import, table ${table} holds ${rowsText(rows)}; the dump's header says ${expected}`,
      );
    }
  }
  const verifier = new ChainVerifier();
  let after = 0;
  for (;;) {
    const page = await trx
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(VERIFY_PAGE)
      .execute();
    for (const r of page) verifier.push(auditRecord(r));
    const last = page[page.length - 1];
    if (page.length < VERIFY_PAGE || last === undefined) break;
    after = Number(last.seq);
  }
  const report = verifier.report();
  if (!report.ok) {
    throw new TransferError(
      `the imported audit chain does not verify: broken at event ${report.firstBad}: ${report.problem}`,
    );
  }
  if (report.events !== header.audit.seq || report.head !== header.audit.hash) {
    throw new TransferError(
      `the imported audit chain ends at event ${report.events} (${report.head ?? 'empty'}); the dump's header says event ${header.audit.seq} (${header.audit.hash ?? 'empty'})`,
    );
  }
}

/** The dump of the database at `url`, line by line (see `exportLines`). */
export async function* exportStore(
  url: string,
  options: StoreOptions & ExportOptions = {},
): AsyncGenerator<string> {
  const target = parseStorageUrl(url);
  if (target.kind === 'sqlite' && target.path !== ':memory:') {
    // Opening a file that is not there would create it: a mistyped path is not an empty database.
    try {
      await access(target.path);
    } catch {
      throw new TransferError(`no database at ${describeStorage(url)} (no such file)`);
    }
  }
  const db = openKysely(target, options);
  try {
    yield* exportLines(db, target.kind, options);
  } finally {
    await db.destroy();
  }
}

/** Import a dump into the empty database at `url`, creating a SQLite file if missing (see `importLines`). */
export async function importStore(
  url: string,
  lines: AsyncIterable<string>,
  options: StoreOptions & Omit<ImportOptions, 'lockChain'> = {},
): Promise<TransferSummary> {
  const target = parseStorageUrl(url);
  if (target.kind === 'sqlite' && target.path !== ':memory:') {
    await mkdir(path.dirname(target.path), { recursive: true });
  }
  const db = openKysely(target, options);
  const hooks = target.kind === 'postgres' ? postgresHooks(target.url, postgresSettings(options)) : null;
  try {
    return await importLines(db, target.kind, lines, {
      ...options,
      ...(hooks === null ? {} : { lockChain: (trx) => hooks.lockChain(trx) }),
    });
  } finally {
    await hooks?.close?.();
    await db.destroy();
  }
}
