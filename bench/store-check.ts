/** What a benchmark left in its store, read back as a fresh process would after the server stopped. */

import { DatabaseSync } from 'node:sqlite';
import { createAirlock } from '../src/gateway/airlock.ts';

export interface StoreCheck {
  readonly actionsStored: number;
  readonly succeededActions: number;
  /** Actions by status. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly auditOk: boolean;
  readonly auditEvents: number;
  readonly auditProblem: string | null;
}

/** Reopen the project as a fresh process would: verify the chain and count the actions by status. */
export async function checkStore(configPath: string, dbPath: string): Promise<StoreCheck> {
  const airlock = await createAirlock({ configPath, logLevel: 'warn' });
  let report: Awaited<ReturnType<typeof airlock.audit.verify>>;
  try {
    report = await airlock.audit.verify();
  } finally {
    await airlock.close();
  }
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    const rows = db.prepare('SELECT status, count(*) AS n FROM actions GROUP BY status').all() as {
      status: string;
      n: number;
    }[];
    const statuses = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    return {
      actionsStored: rows.reduce((sum, r) => sum + r.n, 0),
      succeededActions: statuses.succeeded ?? 0,
      statuses,
      auditOk: report.ok,
      auditEvents: report.events,
      auditProblem: report.problem,
    };
  } finally {
    db.close();
  }
}
