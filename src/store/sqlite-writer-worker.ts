/**
 * The SQLite writer thread: applies batches of hot-path writes on its own connection, so that
 * inserts, hashing and the fsync of each commit never block the event loop that serves requests.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { Kysely } from 'kysely';
import { KyselyStore } from './kysely-store.ts';
import { NodeSqliteDialect } from './node-sqlite-dialect.ts';
import type { Database } from './schema.ts';
import type { WriterReply, WriterRequest } from './writer-thread.ts';

const { path } = workerData as { path: string };
const store = new KyselyStore(new Kysely<Database>({ dialect: new NodeSqliteDialect({ path }) }), {
  kind: 'sqlite',
  lockChain: async () => {},
});

const port = parentPort;
if (port === null) throw new Error('the SQLite writer runs as a worker thread');

port.on('message', (request: WriterRequest) => {
  if (request.kind === 'close') {
    void store.close().then(() => port.close());
    return;
  }
  store.commit(request.ops).then(
    (results) => port.postMessage({ id: request.id, ok: true, results } satisfies WriterReply),
    (error: unknown) =>
      port.postMessage({
        id: request.id,
        ok: false,
        message: (error as Error).message ?? String(error),
      } satisfies WriterReply),
  );
});
