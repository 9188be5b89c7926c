/**
 * Run once before every test file (`node --test --test-global-setup`): with
 * `AIRLOCK_TEST_STORAGE=postgres`, start one throwaway PostgreSQL server for the whole run and hand
 * its admin URL to the test files (`AIRLOCK_TEST_PG_URL`); each harness then creates its own
 * database on it instead of starting a server per file.
 */

import { type PgServer, startPgServer } from './pg-server.ts';

let server: PgServer | null = null;

export async function globalSetup(): Promise<void> {
  if (process.env.AIRLOCK_TEST_STORAGE !== 'postgres' || process.env.AIRLOCK_TEST_PG_URL) return;
  server = await startPgServer();
  process.env.AIRLOCK_TEST_PG_URL = server.adminUrl;
  const { initdbMs, startMs } = server.timings;
  process.stderr.write(
    `PostgreSQL for this run at ${server.adminUrl} (initdb ${Math.round(initdbMs)} ms, ready ${Math.round(startMs)} ms later)\n`,
  );
}

export async function globalTeardown(): Promise<void> {
  await server?.stop();
  server = null;
}
