/**
 * Three `airlock serve` processes on one PostgreSQL database, behind no load balancer but the test
 * spreading its calls over them. Hundreds of proposals and racing votes; approvals timing out while
 * replicas are killed and restarted; a rate limit and an in-flight limit hit from every replica; a
 * freeze and a policy reload made on one replica and obeyed by the others; live events from the
 * others' writes. At the end every approval has exactly one outcome, every execution ran once, the
 * counters match, and the chain verifies.
 */

import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Fleet, startFleet } from '../sandbox/fleet.ts';
import { counterKey } from '../src/policy/limits.ts';
import { openStore } from '../src/store/open-store.ts';
import type { Store } from '../src/store/store.ts';
import { routesYaml } from './approval-helpers.ts';
import { cliJson } from './cli-helpers.ts';
import { catalogWith, fleetTypes } from './execution-helpers.ts';
import { type Loose, makeProject, restart } from './harness.ts';
import { pgSkipReason, usePgServer } from './pg-server.ts';
import { until } from './policy-reload-helpers.ts';
import { call, EventStream, killAll, type Server, serve, stop } from './serve-process.ts';

const SERVICES = 400;

const ROUTES = routesYaml({
  owners: { slow: 'slow-review', pair: 'pair-review', quick: 'quick' },
  routes: `
  - name: slow-review
    steps:
      - { group: sre, quorum: 1, timeout: 1h }
    fallback: expire
  - name: pair-review
    steps:
      - { group: sre, quorum: 2, timeout: 1h }
    fallback: deny
  - name: quick
    steps:
      - { group: sre, quorum: 1, timeout: 2s }
      - { group: platform, quorum: 1, timeout: 2s }
    fallback: deny
`,
});

const LIMITS = `limits:
  - name: restart-rate
    match: { types: [service.restart] }
    rate: { count: 10, per: 1h, by: [agent, type] }
    effect: escalate
    reason: at most 10 restarts an hour without a human
  - name: three-flushes-in-flight
    match: { types: [cache.flush] }
    inFlight: { max: 3 }
    effect: escalate
    reason: at most three cache flushes at a time
`;

/** Run `work` over `items`, `width` at a time; the results in order. */
async function spread<T, R>(items: readonly T[], width: number, work: (item: T, i: number) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: width }, async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i] as T, i);
  });
  await Promise.all(lanes);
  return results;
}

describe('three replicas on one PostgreSQL database', { skip: pgSkipReason() }, () => {
  const pg = usePgServer();
  let fleet: Fleet;
  let dir: string;
  let configPath: string;
  let url: string;
  const replicas: Server[] = [];
  const tokens: Record<string, string> = {};
  /** Every approval opened, by action id, with the phase that opened it. */
  const opened = new Map<string, string>();

  before(async () => {
    fleet = await startFleet({
      services: Object.fromEntries(Array.from({ length: SERVICES }, (_, i) => [`svc-${i}`, { replicas: 1 }])),
    });
    url = await pg.server().createDatabase();
    ({ dir, configPath } = await makeProject(
      {
        'routes.yaml': ROUTES,
        'catalog.yaml': (original) => catalogWith(original, fleetTypes(fleet.url)),
        'policies/limits.yaml': LIMITS,
      },
      url,
    ));
    const agents = [
      ['slow-bot', 'slow', 'service.restart@staging', 1],
      ['pair-bot', 'pair', 'service.restart@staging', 1],
      ['quick-bot', 'quick', 'service.restart@staging', 1],
      ['rate-bot', 'sre', 'service.restart@staging', 2],
      ['flush-bot', 'sre', 'cache.flush@staging', 2],
      ['free-bot', 'sre', 'service.restart@staging', 2],
    ] as const;
    for (const [id, owner, scope, level] of agents) {
      tokens[id] = (await cliJson('agents', 'add', id, '--owner', owner, '--config', configPath)).token;
      const args = ['--level', String(level), '--override', '--reason', 'replica test', '--as', 'alice'];
      await cliJson('trust', 'set', id, scope, ...args, '--config', configPath);
    }
    for (const person of ['alice', 'bob', 'dave'])
      tokens[person] = (
        await cliJson('people', 'token', person, '--as', 'alice', '--config', configPath)
      ).token;
    for (let i = 0; i < 3; i++) replicas.push(await serve(configPath));
  });

  after(async () => {
    await killAll();
    await fleet?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const token = (id: string) => tokens[id] ?? assert.fail(`no token for ${id}`);
  /** The i-th live replica, round robin. */
  const replica = (i: number) => replicas[i % replicas.length] as Server;
  let services = 0;
  const propose = async (server: Server, agent: string, body: Record<string, unknown> = {}) => {
    const target = `svc-${services++}`;
    const reason = `replica test ${target}`;
    const response = await call(server, 'POST', '/v1/actions', token(agent), {
      ...restart({ targets: [{ id: target }], params: { reason } }),
      ...body,
    });
    assert.equal(response.status, 201, response.text);
    return response.body as Loose;
  };
  const vote = (server: Server, action: Loose, person: string, verdict: 'approve' | 'deny') =>
    call(server, 'POST', `/v1/approvals/${action.id}/decisions`, token(person), {
      verdict,
      requestHash: action.approval.requestHash,
      ...(verdict === 'deny' ? { comment: 'not during the replica test' } : {}),
    });

  it('votes racing on different replicas resolve each approval once; events reach every replica', async () => {
    const stream = await EventStream.open(replica(2).url, token('alice'));
    try {
      const slow = await spread(Array.from({ length: 150 }), 24, (_, i) => propose(replica(i), 'slow-bot'));
      const pair = await spread(Array.from({ length: 30 }), 24, (_, i) => propose(replica(i), 'pair-bot'));
      for (const action of [...slow, ...pair]) {
        assert.equal(action.status, 'pending_approval');
        opened.set(action.id, 'votes');
      }
      // Two people at once on two replicas: approve and approve, or approve and deny.
      const slowVotes = await spread(slow, 12, (action, i) =>
        Promise.all([
          vote(replica(i), action, 'bob', 'approve'),
          vote(replica(i + 1), action, 'dave', i % 3 === 0 ? 'deny' : 'approve'),
        ]),
      );
      for (const [i, votes] of slowVotes.entries()) {
        const accepted = votes.filter((v) => v.status === 200);
        assert.ok(accepted.length >= 1, `one vote lands: ${votes.map((v) => v.text)}`);
        for (const refused of votes.filter((v) => v.status !== 200))
          assert.equal(refused.status, 409, `${slow[i]?.id}: ${refused.text}`);
      }
      // Three people at once on three replicas for a quorum of two.
      const pairVotes = await spread(pair, 8, (action, i) =>
        Promise.all(
          (['alice', 'bob', 'dave'] as const).map((person, j) =>
            vote(replica(i + j), action, person, 'approve'),
          ),
        ),
      );
      for (const votes of pairVotes)
        assert.equal(votes.filter((v) => v.status === 200).length, 2, votes.map((v) => v.text).join('\n'));

      // Replica 2 streams the outcome of every approval, most of them decided on the other two.
      const ids = new Set([...slow, ...pair].map((a) => a.id as string));
      await stream.readUntil(
        'approval.resolved of all 180 approvals',
        (s) =>
          s.events.filter((e) => e.event === 'approval.resolved' && ids.has(e.data.subject)).length === 180,
        60_000,
      );
      const seqs = stream.events.map((e) => e.id);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        'in chain order',
      );
    } finally {
      stream.close();
    }
  });

  it('a rate limit and an in-flight limit hit from three replicas at once count exactly', async () => {
    const restarts = await spread(Array.from({ length: 40 }), 40, (_, i) => propose(replica(i), 'rate-bot'));
    const effects = restarts.map((a) => a.decision.effect);
    assert.equal(effects.filter((e) => e === 'execute').length, 10, effects.join(' '));
    assert.equal(effects.filter((e) => e === 'escalate').length, 30);
    for (const action of restarts.filter((a) => a.decision.effect === 'escalate'))
      opened.set(action.id, 'limits');

    const flush = (i: number) =>
      propose(replica(i), 'flush-bot', {
        type: 'cache.flush',
        targets: [{ id: `cache-${i}` }],
        params: { keyPattern: `session:${i}:*` },
      });
    const flushes = await spread(Array.from({ length: 20 }), 20, (_, i) => flush(i));
    const cleared = flushes.filter((a) => a.decision.effect === 'execute');
    assert.equal(cleared.length, 3, flushes.map((a) => a.decision.effect).join(' '));
    for (const action of flushes.filter((a) => a.decision.effect === 'escalate'))
      opened.set(action.id, 'limits');
  });

  it('a freeze and a policy reload on one replica apply on the others', async () => {
    const [a, b, c] = replicas as [Server, Server, Server];
    const frozen = await call(a, 'POST', '/v1/freeze', token('alice'), { reason: 'replica test freeze' });
    assert.equal(frozen.status, 200, frozen.text);
    const held = await propose(b, 'free-bot');
    assert.equal(held.decision.effect, 'escalate', JSON.stringify(held.decision));
    assert.match(JSON.stringify(held.decision.reasons), /replica test freeze/);
    opened.set(held.id, 'freeze');
    const lifted = await call(c, 'DELETE', '/v1/freeze', token('alice'), {});
    assert.equal(lifted.status, 204, lifted.text);
    assert.equal((await propose(a, 'free-bot')).decision.effect, 'execute');

    const hash = async (server: Server) =>
      (await call(server, 'GET', '/v1/policy', token('alice'))).body.hash;
    const before = await hash(a);
    await writeFile(
      path.join(dir, 'policies', 'no-scaling.yaml'),
      'rules:\n  - name: no-scaling\n    match: { types: [deployment.scale] }\n    effect: deny\n    reason: scaling is frozen for the replica test\n',
    );
    a.child.kill('SIGHUP'); // Only replica 0 is told; every replica runs with --no-watch.
    const after = await until('replica 0 to reload', async () => {
      const now = await hash(a);
      return now === before ? undefined : now;
    });
    for (const server of [b, c])
      await until('the other replicas to follow', async () =>
        (await hash(server)) === after ? true : undefined,
      );
    const scale = await propose(c, 'free-bot', {
      type: 'deployment.scale',
      targets: [{ id: 'checkout' }],
      params: { replicas: 3 },
    });
    assert.equal(scale.decision.effect, 'deny');
    assert.equal(scale.decision.policyVersion, after);
  });

  it('approvals time out exactly once while replicas are killed and restarted', async () => {
    const quick = await spread(Array.from({ length: 45 }), 15, (_, i) => propose(replica(i), 'quick-bot'));
    for (const action of quick) opened.set(action.id, 'timeouts');
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const [a, b, c] = replicas as [Server, Server, Server];
    await stop(a, 'SIGKILL');
    await pause(1_000);
    // Votes land on whichever replica is up, near the first deadline: before it or after it.
    const votes = Promise.all(
      quick.slice(0, 15).map((action, i) => vote(i % 2 ? b : c, action, 'bob', 'approve')),
    );
    replicas[0] = await serve(configPath);
    await stop(b, 'SIGKILL');
    await votes;
    await pause(1_000);
    replicas[1] = await serve(configPath);
    await stop(c, 'SIGTERM');
    await pause(1_500);
    replicas[2] = await serve(configPath);

    const outcomes = await spread(quick, 8, (action, i) =>
      until(
        `${action.id} to be resolved`,
        async () => {
          const view = (await call(replica(i), 'GET', `/v1/actions/${action.id}`, token('alice'))).body;
          return view.approval.status === 'pending' ? undefined : (view.approval.status as string);
        },
        30_000,
      ),
    );
    for (const outcome of outcomes) assert.ok(['approved', 'denied'].includes(outcome), outcome);
    assert.ok(outcomes.filter((o) => o === 'denied').length >= 30, 'unvoted ones time out to deny');
  });

  it('at the end: one outcome per approval, one execution per cleared action, exact counters, a verified chain', async () => {
    for (const server of replicas) await stop(server, 'SIGTERM');
    const report = await cliJson('audit', 'verify', '--config', configPath);
    assert.equal(report.ok, true, JSON.stringify(report));
    const store: Store = await openStore(url);
    try {
      for (const [id, phase] of opened) {
        const events = (await store.auditForSubject(id)).map((e) => e.kind);
        assert.equal(events.filter((k) => k === 'approval.opened').length, 1, `${phase} ${id}: ${events}`);
        const resolved = events.filter((k) => k === 'approval.resolved').length;
        // Approvals of the votes and timeout phases were all resolved; the limits' and freeze's wait.
        assert.equal(
          resolved,
          phase === 'votes' || phase === 'timeouts' ? 1 : 0,
          `${phase} ${id}: ${events}`,
        );
      }
      const restarts = fleet.calls.filter((c) => c.path.endsWith('/restart')).map((c) => c.path);
      assert.equal(new Set(restarts).size, restarts.length, 'no service restarted twice');
      const actions = await store.listActions({ limit: 10_000 });
      const ran = actions.filter((a) => ['succeeded', 'failed', 'unknown', 'rolled_back'].includes(a.status));
      const succeeded = actions.filter((a) => a.status === 'succeeded' && a.type === 'service.restart');
      assert.ok(restarts.length >= succeeded.length, 'every succeeded restart reached the fleet');
      assert.ok(restarts.length <= ran.length, 'no restart reached the fleet without its action running');
      const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
      const key = counterKey('restart-rate', { agent: 'rate-bot', type: 'service.restart' });
      assert.equal(await store.countUsage(key, hourAgo), 10, 'the rate counter holds the ten it let through');
    } finally {
      await store.close();
    }
  });
});
