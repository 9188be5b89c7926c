/** `airlock audit verify|head|export`: the tamper-evident chain, checked and carried out of the database. */

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { AuditRecord } from '../../audit/audit-event.ts';
import { canonicalJson } from '../../audit/canonical-json.ts';
import { ChainVerifier, type VerifyReport } from '../../audit/chain-verifier.ts';
import { eventView } from '../../gateway/audit-service.ts';
import { CliError, type Command, type CommandContext, option } from '../command.ts';
import { withAirlock } from '../open-airlock.ts';
import { json } from '../output.ts';

function printReport(context: CommandContext, report: VerifyReport): number {
  if (context.json) context.out(json(report));
  else if (report.ok)
    context.out(`ok: ${report.events} events verify; head ${report.head ?? '(empty chain)'}`);
  else context.err(`airlock: audit chain broken at event ${report.firstBad}: ${report.problem}`);
  return report.ok ? 0 : 1;
}

function progress(context: CommandContext, what: string): (count: number) => void {
  return (count) => context.err(`… ${count} events ${what}`);
}

/**
 * Verify an exported JSON Lines file without a database. An export made with `--after N` is
 * verified as a segment: from its first event's link onward (say so, since event N is not checked).
 */
async function verifyFile(
  file: string,
  anchor: string | undefined,
  context: CommandContext,
): Promise<VerifyReport> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  let verifier: ChainVerifier | null = null;
  let line = 0;
  const tick = progress(context, 'verified');
  try {
    for await (const text of lines) {
      line += 1;
      if (text.trim() === '') continue;
      const e = JSON.parse(text) as ReturnType<typeof eventView>;
      const record: AuditRecord = { ...e, data: canonicalJson(e.data) };
      if (verifier === null) {
        const segment = record.seq > 1 ? { seq: record.seq - 1, hash: record.prevHash } : undefined;
        if (segment !== undefined) {
          context.err(
            `verifying a segment from event ${record.seq}; its link to event ${segment.seq} (${segment.hash}) is taken as given`,
          );
        }
        verifier = new ChainVerifier({ anchor, from: segment });
      }
      verifier.push(record);
      if (line % 100_000 === 0) tick(line);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT' ? `${file}: no such file` : `${file}:${line}: ${(error as Error).message}`,
    );
  }
  return (verifier ?? new ChainVerifier({ anchor })).report();
}

const anchorOption = {
  anchor: {
    type: 'string',
    description: 'A head hash recorded earlier (audit head); the chain must still contain it',
  },
} as const;

export const auditCommands: readonly Command[] = [
  {
    name: 'audit verify',
    summary: 'Verify the hash chain (or an exported file); exits 1 and names the first bad event if broken',
    usage: '[--file <export.jsonl>] [--anchor <hash>]',
    json: true,
    options: {
      file: { type: 'string', description: 'Verify an exported JSON Lines file instead of the database' },
      ...anchorOption,
    },
    async run(context) {
      const anchor = option(context, 'anchor');
      if (anchor !== undefined && !/^[0-9a-f]{64}$/.test(anchor)) {
        throw new CliError('--anchor takes a 64-character hex hash', { exitCode: 2 });
      }
      const file = option(context, 'file');
      const report =
        file === undefined
          ? await withAirlock(context, (airlock) =>
              airlock.audit.verify(anchor, progress(context, 'verified')),
            )
          : await verifyFile(file, anchor, context);
      return printReport(context, report);
    },
  },
  {
    name: 'audit head',
    summary: 'Print the sequence number and hash of the last event, to anchor outside the database',
    usage: '',
    json: true,
    async run(context) {
      const head = await withAirlock(context, (airlock) => airlock.audit.head());
      if (context.json) context.out(json(head ?? { seq: 0, hash: null }));
      else context.out(head === null ? '0 (empty chain)' : `${head.seq} ${head.hash}`);
      return 0;
    },
  },
  {
    name: 'audit export',
    summary: 'Write the chain as JSON Lines (verifiable offline with audit verify --file)',
    usage: '[--out <file>] [--after <seq>]',
    options: {
      out: { type: 'string', description: 'File to write (default: standard output)' },
      after: { type: 'string', description: 'Only events after this sequence number' },
    },
    async run(context) {
      const after = Number(option(context, 'after') ?? 0);
      if (!Number.isInteger(after) || after < 0)
        throw new CliError('--after takes a sequence number', { exitCode: 2 });
      const out = option(context, 'out');
      const stream = out === undefined ? process.stdout : createWriteStream(out);
      const tick = progress(context, 'exported');
      const count = await withAirlock(context, async (airlock) => {
        let n = 0;
        for await (const record of airlock.audit.events(after)) {
          if (!stream.write(`${JSON.stringify(eventView(record))}\n`)) await once(stream, 'drain');
          n += 1;
          if (n % 100_000 === 0) tick(n);
        }
        return n;
      });
      if (out !== undefined) {
        stream.end();
        await once(stream, 'finish');
        context.err(`exported ${count} events to ${out}`);
      }
      return 0;
    },
  },
];
