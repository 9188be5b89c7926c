/**
 * `airlock migrate` on SQLite and on a real PostgreSQL: it applies pending migrations and lists
 * them; `explicit` migrations keep other commands off a database that needs them; and every
 * command, `serve` included, refuses a schema newer than it knows.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { loadStorage } from '../src/project/project-loader.ts';
import { parseStorageUrl } from '../src/store/open-store.ts';
import { assertFails, cli, cliJson } from './cli-helpers.ts';
import { makeProject } from './harness.ts';
import { type PgServer, pgSkipReason, startPgServer } from './pg-server.ts';

const MIGRATIONS = [
  '0001_initial',
  '0002_approvals',
  '0003_execution',
  '0004_trust',
  '0005_shadow',
  '0006_replicas',
];
const NEWEST = MIGRATIONS[MIGRATIONS.length - 1];
const FUTURE = '0099_from_the_future';
const ROOT = path.resolve(import.meta.dirname, '..');

/** Run one statement on the database a project points at, from outside Airlock. */
async function execute(configPath: string, statement: string): Promise<void> {
  const storage = await loadStorage(configPath);
  assert.ok(storage.ok);
  const target = parseStorageUrl(storage.value.url);
  if (target.kind === 'sqlite') {
    const db = new DatabaseSync(target.path);
    try {
      db.exec(statement);
    } finally {
      db.close();
    }
    return;
  }
  const client = new Client({ connectionString: target.url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** `airlock serve` as a real process: its exit code and what it printed on stderr. */
async function serve(configPath: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(path.join(ROOT, 'bin/airlock'), ['serve', '--config', configPath, '--port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stderr };
}

const BACKENDS = [
  { name: 'SQLite', skip: undefined },
  { name: 'PostgreSQL', skip: pgSkipReason() },
] as const;

for (const backend of BACKENDS) {
  describe(`airlock migrate on ${backend.name}`, { skip: backend.skip }, () => {
    let server: PgServer | null = null;
    const dirs: string[] = [];

    /** A fresh project on a fresh database of this backend. */
    async function project(files: Record<string, (original: string) => string> = {}): Promise<string> {
      const storage = backend.name === 'SQLite' ? 'sqlite' : await (server as PgServer).createDatabase();
      const made = await makeProject(files, storage);
      dirs.push(made.dir);
      return made.configPath;
    }

    before(async () => {
      if (backend.name === 'PostgreSQL') server = await startPgServer();
    });
    after(async () => {
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
      await server?.stop();
    });

    it('--status on a new database lists every migration as pending and changes nothing', async () => {
      const cfg = await project();
      for (let i = 0; i < 2; i++) {
        const status = await cliJson('migrate', '--status', '--config', cfg);
        assert.equal(status.storage, backend.name === 'SQLite' ? 'sqlite' : 'postgres');
        assert.deepEqual(status.applied, []);
        assert.deepEqual(status.pending, MIGRATIONS);
        assert.deepEqual(status.ran, []);
        assert.equal(status.newestKnown, NEWEST);
      }
    });

    it('applies the pending migrations and names each; a second run has nothing to do', async () => {
      const cfg = await project();
      const run = await cli('migrate', '--config', cfg);
      assert.equal(run.code, 0, run.err.join('\n'));
      assert.deepEqual(
        run.out.slice(0, -1),
        MIGRATIONS.map((m) => `applied ${m}`),
      );
      assert.match(run.out.at(-1) ?? '', new RegExp(`schema now at ${NEWEST}$`));
      const again = await cliJson('migrate', '--config', cfg);
      assert.deepEqual([again.applied, again.pending, again.ran], [MIGRATIONS, [], []]);
      assert.equal((await cli('agents', 'list', '--config', cfg)).code, 0);
    });

    it('with explicit migrations, commands refuse a database that needs them until airlock migrate ran', async () => {
      const cfg = await project({
        'airlock.yaml': (original) => original.replace(/^storage:\n/m, 'storage:\n  migrations: explicit\n'),
      });
      assertFails(
        await cli('agents', 'list', '--config', cfg),
        1,
        new RegExp(
          `needs migrations ${MIGRATIONS.join(', ')}: run \`airlock migrate\` first \\(storage.migrations is explicit\\)$`,
        ),
      );
      assert.equal((await cli('migrate', '--config', cfg)).code, 0);
      assert.equal((await cli('agents', 'list', '--config', cfg)).code, 0);
    });

    it('every command, serve included, refuses a schema newer than it knows, naming both migrations', async () => {
      const cfg = await project();
      assert.equal((await cli('migrate', '--config', cfg)).code, 0);
      await execute(
        cfg,
        `insert into kysely_migration (name, timestamp) values ('${FUTURE}', '2027-01-01T00:00:00.000Z')`,
      );
      const reason = `airlock: the database schema is newer than this version of Airlock: the newest migration it knows is ${NEWEST}, the database has ${FUTURE}; use the newer Airlock that migrated it`;
      assertFails(await cli('agents', 'list', '--config', cfg), 1, reason);
      assertFails(await cli('audit', 'verify', '--config', cfg), 1, reason);
      assertFails(await cli('migrate', '--config', cfg), 1, reason);
      assertFails(await cli('migrate', '--status', '--config', cfg), 1, reason);
      const served = await serve(cfg);
      assert.equal(served.code, 1);
      assert.equal(served.stderr.trim(), reason);
    });
  });
}
