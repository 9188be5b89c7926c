/** What a benchmark left in its store, read back as a fresh process would after the server stopped. */

import { DatabaseSync } from 'node:sqlite';
import { Client } from 'pg';
import { createAirlock } from '../src/gateway/airlock.ts';

export interface StoreCheck {
  readonly actionsStored: number;
  readonly succeededActions: number;
  /** Actions by status. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly auditOk: boolean;
  readonly auditEvents: number;
  readonly auditProblem: string | null;
  /** How the acknowledged actions were stored; present when their ids were given. */
  readonly acknowledged: AcknowledgedCheck | null;
}

/** Each acknowledged action stored exactly once: one row, one `action.proposed` and one `action.decided` event. */
export interface AcknowledgedCheck {
  readonly acknowledged: number;
  /** Acknowledged ids without a row in `actions`. */
  readonly missing: number;
  /** Stored actions whose `action.proposed` or `action.decided` event is not there exactly once. */
  readonly notOnceInAudit: number;
  /** Stored actions no 2xx acknowledged: in flight when the load stopped, or answered with an error. */
  readonly unacknowledgedStored: number;
  /** Up to three offending ids, for the message. */
  readonly examples: readonly string[];
  /** No acknowledged action missing and every stored one in the audit log exactly once. */
  readonly ok: boolean;
}

/**
 * Reopen the project as a fresh process would: verify the chain and count the actions by status.
 * `storage` is the project's database: a SQLite file path or a `postgres://` URL. With
 * `acknowledged` (action ids of 2xx answers), also check each of them was stored exactly once.
 */
export async function checkStore(
  configPath: string,
  storage: string,
  acknowledged?: ReadonlySet<string>,
): Promise<StoreCheck> {
  const airlock = await createAirlock({ configPath, logLevel: 'warn' });
  let report: Awaited<ReturnType<typeof airlock.audit.verify>>;
  try {
    report = await airlock.audit.verify();
  } finally {
    await airlock.close();
  }
  const db = await openReader(storage);
  try {
    const rows = await db.all('SELECT status, count(*) AS n FROM actions GROUP BY status');
    const statuses = Object.fromEntries(rows.map((r) => [String(r.status), Number(r.n)]));
    return {
      actionsStored: rows.reduce((sum, r) => sum + Number(r.n), 0),
      succeededActions: statuses.succeeded ?? 0,
      statuses,
      auditOk: report.ok,
      auditEvents: report.events,
      auditProblem: report.problem,
      acknowledged: acknowledged === undefined ? null : await checkAcknowledged(db, acknowledged),
    };
  } finally {
    await db.close();
  }
}

async function checkAcknowledged(db: Reader, acknowledged: ReadonlySet<string>): Promise<AcknowledgedCheck> {
  const stored = new Set((await db.all('SELECT id FROM actions')).map((r) => String(r.id)));
  const missingIds = [...acknowledged].filter((id) => !stored.has(id));
  // Per stored action, its proposal and decision events: exactly one of each.
  const events = await db.all(
    `SELECT subject, kind, count(*) AS n FROM audit_events
     WHERE kind IN ('action.proposed', 'action.decided') GROUP BY subject, kind`,
  );
  const counts = new Map<string, { proposed: number; decided: number }>();
  for (const row of events) {
    const subject = String(row.subject);
    const entry = counts.get(subject) ?? { proposed: 0, decided: 0 };
    if (row.kind === 'action.proposed') entry.proposed = Number(row.n);
    else entry.decided = Number(row.n);
    counts.set(subject, entry);
  }
  const notOnce = [...stored].filter((id) => {
    const entry = counts.get(id);
    return entry === undefined || entry.proposed !== 1 || entry.decided !== 1;
  });
  // Events about actions that are not stored would be duplicates or strays too.
  const strays = [...counts.keys()].filter((subject) => !stored.has(subject));
  const unacknowledgedStored = [...stored].filter((id) => !acknowledged.has(id)).length;
  return {
    acknowledged: acknowledged.size,
    missing: missingIds.length,
    notOnceInAudit: notOnce.length + strays.length,
    unacknowledgedStored,
    examples: [...missingIds, ...notOnce, ...strays].slice(0, 3),
    ok: missingIds.length === 0 && notOnce.length === 0 && strays.length === 0,
  };
}

type Row = Record<string, unknown>;

/** Plain SQL both backends understand, read-only. */
interface Reader {
  all(query: string): Promise<Row[]>;
  close(): Promise<void>;
}

async function openReader(storage: string): Promise<Reader> {
  if (storage.startsWith('postgres://') || storage.startsWith('postgresql://')) {
    const client = new Client({ connectionString: storage });
    await client.connect();
    return {
      all: async (query) => (await client.query<Row>(query)).rows,
      close: () => client.end(),
    };
  }
  const db = new DatabaseSync(storage, { readOnly: true });
  return {
    all: async (query) => db.prepare(query).all() as Row[],
    close: async () => db.close(),
  };
}
