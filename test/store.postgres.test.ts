/**
 * What only PostgreSQL has: replicas that start at once on a new database, appends announced to
 * every other process (LISTEN/NOTIFY), and a connection that breaks while COMMIT is on its way. Such a write may or may not have committed, so the store
 * reports its outcome as unknown, never as a plain failure (which callers could retry, recording
 * the same thing twice).
 */

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { openStore } from '../src/store/open-store.ts';
import type { Store } from '../src/store/store.ts';
import { OutcomeUnknownError } from '../src/store/write-ops.ts';
import { pgSkipReason, usePgServer } from './pg-server.ts';
import { AT, assertChainVerifies } from './store-fixtures.ts';

/**
 * A TCP proxy to the server that, once armed, forwards the next COMMIT and then cuts the client
 * off before the answer comes back.
 */
async function cuttingProxy(target: URL): Promise<{ url: string; arm(): void; close(): Promise<void> }> {
  let armed = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => {
      upstream.write(chunk);
      if (armed && chunk.includes('commit\u0000')) {
        armed = false;
        client.destroy();
      }
    });
    upstream.on('data', (chunk) => {
      if (!client.destroyed) client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => upstream.end());
    client.on('error', end);
    upstream.on('error', end);
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(target);
  url.port = String(port);
  return {
    url: url.toString(),
    arm: () => {
      armed = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function runQuery(url: string, text: string): Promise<{ rows: Record<string, unknown>[] }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

describe('the store on PostgreSQL', { skip: pgSkipReason() }, () => {
  const pg = usePgServer();
  let direct: Store;
  let proxied: Store;
  let proxy: Awaited<ReturnType<typeof cuttingProxy>>;

  before(async () => {
    const url = await pg.server().createDatabase();
    direct = await openStore(url);
    proxy = await cuttingProxy(new URL(url));
    proxied = await openStore(proxy.url);
  });
  after(async () => {
    await proxied?.close();
    await direct?.close();
    await proxy?.close();
  });

  it('replicas starting at once on a new database migrate it once, and all open', async () => {
    const url = await pg.server().createDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(url)));
    try {
      await Promise.all(stores.map((store) => store.ping()));
      const { rows } = await runQuery(url, 'select name from kysely_migration order by name');
      assert.deepEqual(
        rows.map((r) => r.name),
        ['0001_initial', '0002_approvals', '0003_execution', '0004_trust', '0005_shadow', '0006_replicas'],
      );
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('appends are announced to other stores once committed, also after the listening connection is cut', async () => {
    const event = { kind: 'test.notified', actor: { kind: 'system' as const, id: 'test' }, subject: null };
    const url = await pg.server().createDatabase();
    const [writer, listener] = await Promise.all([openStore(url), openStore(url)]);
    let heard = 0;
    const stop = listener.watchAppends(() => {
      heard += 1;
    });
    try {
      const hear = async (what: string, atLeast: number) => {
        const deadline = Date.now() + 10_000;
        while (heard < atLeast) {
          if (Date.now() > deadline) assert.fail(`not told of ${what} (heard ${heard})`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      await hear('the listening connection opening', 1);
      const before = heard;
      // A write that rolls back announces nothing; reads announce nothing.
      await assert.rejects(
        writer.write(async (tx) => {
          await tx.appendAudit([{ ...event, data: { n: 0 } }], AT);
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      await writer.auditHead();
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(heard, before, 'nothing committed, nothing announced');
      await writer.commit([{ kind: 'append', at: AT, events: [{ ...event, data: { n: 1 } }] }]);
      await hear('an append', before + 1);

      // The server drops the listening connection: it comes back, says so, and hears appends again.
      const { rows } = await runQuery(
        url,
        "select pg_terminate_backend(pid) as ended from pg_stat_activity where query = 'listen airlock_chain'",
      );
      assert.deepEqual(rows, [{ ended: true }]);
      await hear('the reconnection', before + 2);
      const reconnected = heard;
      await writer.commit([{ kind: 'append', at: AT, events: [{ ...event, data: { n: 2 } }] }]);
      await hear('an append after the reconnection', reconnected + 1);
      stop();
      const stopped = heard;
      await writer.commit([{ kind: 'append', at: AT, events: [{ ...event, data: { n: 3 } }] }]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(heard, stopped, 'a stopped listener hears nothing');
    } finally {
      stop();
      await Promise.all([writer.close(), listener.close()]);
    }
  });

  it('a COMMIT without an answer is an unknown outcome; the next write goes through', async () => {
    const event = { kind: 'test.event', actor: { kind: 'system' as const, id: 'test' }, subject: null };
    proxy.arm();
    await assert.rejects(
      proxied.commit([{ kind: 'append', at: AT, events: [{ ...event, data: { n: 1 } }] }]),
      (error: unknown) => {
        assert.ok(error instanceof OutcomeUnknownError, String(error));
        assert.match((error as Error).message, /during commit .*the outcome of this write is unknown/);
        return true;
      },
    );
    // Here the server did commit it: "unknown" meant exactly that.
    const [result] = await proxied.commit([
      { kind: 'append', at: AT, events: [{ ...event, data: { n: 2 } }] },
    ]);
    assert.equal(result?.kind, 'appended');
    const events = await direct.auditRange(0, 10);
    assert.deepEqual(
      events.map((e) => e.data),
      ['{"n":1}', '{"n":2}'],
    );
    await assertChainVerifies(direct);
  });
});
