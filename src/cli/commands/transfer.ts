/** `airlock export` and `airlock import`: the whole state of a store, carried to another database. */

import { once } from 'node:events';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { ProblemsError } from '../../config/problems.ts';
import { loadStorage } from '../../project/project-loader.ts';
import type { StorageSettings } from '../../project/storage-config.ts';
import { describeStorage } from '../../store/open-store.ts';
import {
  type DumpHeader,
  exportStore,
  importStore,
  parseHeader,
  summaryOf,
  type TableProgress,
  TransferError,
  type TransferSummary,
} from '../../store/transfer.ts';
import { CliError, type Command, type CommandContext, option, requiredOption } from '../command.ts';
import { asCliError } from '../open-airlock.ts';
import { json } from '../output.ts';

const STORAGE_OPTION = {
  storage: {
    type: 'string',
    description: "Storage URL (sqlite:<file> or postgres://…) instead of the project's storage.url",
  },
} as const;

/** The database to work on: --storage as given, else the project's storage settings. */
async function storageOf(context: CommandContext): Promise<StorageSettings> {
  const url = option(context, 'storage');
  if (url !== undefined) {
    if (typeof context.values.config === 'string') {
      throw new CliError('give --config or --storage, not both', { exitCode: 2 });
    }
    if (url.trim() === '') throw new CliError('--storage takes a storage URL', { exitCode: 2 });
    return { url, options: {} };
  }
  const storage = await loadStorage(context.configPath);
  if (!storage.ok) throw asCliError(new ProblemsError(context.configPath, storage.problems));
  return storage.value;
}

const TICK = 100_000;

/**
 * Progress on standard error: a line every 100,000 rows of a table, and once the run has taken a
 * second, a line per table done. Short runs stay quiet.
 */
function progressPrinter(context: CommandContext, verb: string): (progress: TableProgress) => void {
  const started = performance.now();
  const ticks = new Map<string, number>();
  return ({ table, rows, done }) => {
    if (done) {
      if (rows >= TICK || performance.now() - started >= 1_000) context.err(`${verb} ${table}: ${rows} rows`);
      return;
    }
    const tick = Math.floor(rows / TICK);
    if (tick > (ticks.get(table) ?? 0)) {
      ticks.set(table, tick);
      context.err(`… ${table}: ${rows} rows ${verb}`);
    }
  };
}

/** Where the dump goes: written in chunks, and for a file, renamed into place only once complete. */
interface Sink {
  write(text: string): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

const CHUNK = 1 << 20;

function buffered(flush: (text: string) => Promise<void>): Pick<Sink, 'write'> & { drain(): Promise<void> } {
  let pending: string[] = [];
  let size = 0;
  const drain = async () => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    size = 0;
    await flush(text);
  };
  return {
    async write(text) {
      pending.push(text);
      size += text.length;
      if (size >= CHUNK) await drain();
    },
    drain,
  };
}

function stdoutSink(): Sink {
  const out = buffered(async (text) => {
    if (!process.stdout.write(text)) await once(process.stdout, 'drain');
  });
  return { write: out.write, close: out.drain, abort: async () => {} };
}

async function fileSink(file: string): Promise<Sink> {
  const partial = `${file}.partial-${process.pid}`;
  let handle: FileHandle;
  try {
    handle = await open(partial, 'w');
  } catch (error) {
    throw new CliError(`cannot write ${file}: ${(error as Error).message}`);
  }
  const out = buffered(async (text) => {
    await handle.write(text);
  });
  return {
    write: out.write,
    async close() {
      await out.drain();
      await handle.sync();
      await handle.close();
      await rename(partial, file);
    },
    async abort() {
      await handle.close().catch(() => {});
      await rm(partial, { force: true });
    },
  };
}

/** A summary for --json: tables as name → rows. */
function summaryJson(summary: TransferSummary, extra: Record<string, string>) {
  return {
    ...extra,
    format: summary.format,
    version: summary.version,
    schema: summary.schema.migration,
    tables: Object.fromEntries(summary.tables.map((t) => [t.name, t.rows])),
    rows: summary.rows,
    audit: summary.audit,
  };
}

function describeHead(audit: DumpHeader['audit']): string {
  return audit.hash === null ? 'empty chain' : `head ${audit.seq} ${audit.hash}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const exportCommand: Command = {
  name: 'export',
  summary: 'Write the whole database (every table, the audit chain) as a dump that airlock import reads',
  usage: '[--out <file>|-] [--storage <url>]',
  help: [
    'The dump is JSON Lines: a header line (format and version, the schema migration, the tables',
    'with their columns and row counts, the audit head), then one line per row, table by table in a',
    'fixed order, each table in primary-key order: the same data gives the same bytes, whichever',
    'database it came from. Reads one consistent snapshot, in pages, and holds up no writer.',
    '',
    'Moving to PostgreSQL:',
    '  airlock export --out airlock.dump',
    '  airlock import --in airlock.dump --storage postgres://airlock@db.internal/airlock',
    '  airlock export --storage sqlite:data/airlock.db | airlock import --in - --storage postgres://…',
    '',
    'Progress goes to standard error; with --out <file>, --json prints a summary on standard output.',
  ],
  json: true,
  options: {
    out: { type: 'string', description: 'File to write; - (the default) for standard output' },
    ...STORAGE_OPTION,
  },
  async run(context) {
    const out = option(context, 'out') ?? '-';
    if (out.trim() === '')
      throw new CliError('--out takes a file, or - for standard output', { exitCode: 2 });
    if (out === '-' && context.json) {
      throw new CliError('--json prints a summary on standard output: give --out <file> for the dump', {
        exitCode: 2,
      });
    }
    const { url, options } = await storageOf(context);
    const where = describeStorage(url);
    const sink = out === '-' ? stdoutSink() : await fileSink(out);
    let header: DumpHeader | null = null;
    try {
      for await (const line of exportStore(url, {
        ...options,
        onProgress: progressPrinter(context, 'exported'),
      })) {
        header ??= parseHeader(line);
        await sink.write(`${line}\n`);
      }
      await sink.close();
    } catch (error) {
      await sink.abort();
      if (error instanceof CliError) throw error;
      throw new CliError(`export from ${where} failed: ${(error as Error).message}`);
    }
    if (header === null) throw new CliError(`export from ${where} wrote nothing`);
    const summary = summaryOf(header);
    if (context.json) {
      context.out(json(summaryJson(summary, { storage: where, out })));
    } else {
      context.err(
        `exported ${plural(summary.rows, 'row')} of ${plural(summary.tables.length, 'table')} from ${where} to ${out === '-' ? 'standard output' : out} (schema ${summary.schema.migration}, audit ${describeHead(summary.audit)})`,
      );
    }
    return 0;
  },
};

/**
 * The lines of `input`. The iterator is taken at once: readline drops the lines it reads before
 * anyone iterates, and the import opens the database before it reads on.
 */
function linesOf(input: NodeJS.ReadableStream): AsyncIterable<string> {
  const iterator = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]();
  return { [Symbol.asyncIterator]: () => iterator };
}

/** The lines of a dump file (or of standard input for `-`), and how to let go of it. */
async function dumpLines(input: string): Promise<{ lines: AsyncIterable<string>; close(): Promise<void> }> {
  if (input === '-') {
    return { lines: linesOf(process.stdin), close: async () => {} };
  }
  let handle: FileHandle;
  try {
    handle = await open(input, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT' ? `${input}: no such file` : `${input}: ${(error as Error).message}`,
    );
  }
  const stream = handle.createReadStream();
  return {
    lines: linesOf(stream),
    async close() {
      stream.destroy();
      await handle.close().catch(() => {});
    },
  };
}

export const importCommand: Command = {
  name: 'import',
  summary: 'Load a dump made by airlock export into a new, empty database; verifies it, or keeps nothing',
  usage: '--in <file>|- [--storage <url>]',
  help: [
    'Checks the header (a dump from a newer schema is refused), applies the migrations, refuses a',
    'database that holds any data, then inserts every row in one transaction. It commits only when',
    "every table has the header's row count and the audit chain verifies up to the header's head",
    '(same event, same hash); otherwise nothing is kept, and the error names the line of the dump.',
    '',
    '  airlock import --in airlock.dump --storage postgres://airlock@db.internal/airlock',
    '',
    'Then `airlock audit verify` on the new database reports the same head as on the old one.',
  ],
  json: true,
  options: {
    in: { type: 'string', description: 'The dump to read; - for standard input' },
    ...STORAGE_OPTION,
  },
  async run(context) {
    const input = requiredOption(context, 'in');
    const { url, options } = await storageOf(context);
    const where = describeStorage(url);
    const source = await dumpLines(input);
    const name = input === '-' ? 'standard input' : input;
    let summary: TransferSummary;
    try {
      summary = await importStore(url, source.lines, {
        ...options,
        onProgress: progressPrinter(context, 'imported'),
      });
    } catch (error) {
      const located = error instanceof TransferError && error.line !== null ? `${name}, ` : '';
      throw new CliError(
        `import into ${where} failed, nothing was imported: ${located}${(error as Error).message}`,
      );
    } finally {
      await source.close();
    }
    if (context.json) {
      context.out(json(summaryJson(summary, { storage: where, in: input })));
    } else {
      context.out(
        `imported ${plural(summary.rows, 'row')} of ${plural(summary.tables.length, 'table')} into ${where} (schema ${summary.schema.migration})`,
      );
      context.out(
        `ok: the audit chain verifies, ${plural(summary.audit.seq, 'event')}; ${describeHead(summary.audit)}`,
      );
    }
    return 0;
  },
};
