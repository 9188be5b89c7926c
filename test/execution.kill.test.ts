/**
 * At most once across a crash, on a real `airlock serve` process: the server is SIGKILLed while
 * the executor's call to the sandbox fleet is in flight; on restart the execution is marked
 * `unknown` (audited `execution.interrupted`), shown to people under `attention`, and never run
 * again — the fleet sees exactly one restart call.
 */

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ServerProcess, startServer } from '../bench/server-process.ts';
import { type Fleet, startFleet } from '../sandbox/fleet.ts';
import { createAirlock } from '../src/gateway/airlock.ts';
import { catalogWith, fleetTypes, pathKinds } from './execution-helpers.ts';
import { type Loose, makeProject, restart } from './harness.ts';

async function call(
  server: ServerProcess,
  method: string,
  route: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: Loose }> {
  const response = await fetch(server.url + route, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

const restartCalls = (fleet: Fleet, service: string) =>
  fleet.calls.filter((c) => c.method === 'POST' && c.path === `/services/${service}/restart`);

describe('an execution interrupted by SIGKILL', () => {
  let fleet: Fleet;
  let dir: string;
  let configPath: string;
  let agentToken: string;
  let bobToken: string;
  const servers: ServerProcess[] = [];

  before(async () => {
    fleet = await startFleet();
    const types = fleetTypes(fleet.url);
    const project = await makeProject({
      // The killed server's executions are taken over once its heartbeat is a second old.
      'airlock.yaml': (original) => original.replace('storage:\n', 'storage:\n  replicaTimeout: 1s\n'),
      'catalog.yaml': (original) =>
        catalogWith(original, {
          ...types,
          'service.restart': {
            ...types['service.restart'],
            execution: {
              mode: 'gateway',
              executor: {
                kind: 'http',
                url: `${fleet.url}/services/{{target.id}}/restart?delayMs=30000`,
                perTarget: true,
                timeout: '60s',
              },
            },
          },
        }),
    });
    ({ dir, configPath } = project);
    const setup = await createAirlock({ configPath, logLevel: 'silent' });
    try {
      agentToken = (await setup.agents.add({ id: 'kill-bot', owner: 'sre' }, { kind: 'system', id: 'test' }))
        .token;
      await setup.trust.setLevel(
        { agentId: 'kill-bot', scope: 'service.restart@staging', level: 2, reason: 'test', override: true },
        setup.people.get('alice'),
      );
      bobToken = await setup.people.issueToken('bob', { kind: 'system', id: 'test' });
    } finally {
      await setup.close();
    }
  });

  after(async () => {
    for (const server of servers) {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    }
    await fleet?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('is marked unknown on restart, needs attention, and is never called again', async () => {
    const first = await startServer(configPath, { logFile: path.join(dir, 'serve-1.log') });
    servers.push(first);
    const proposed = await call(
      first,
      'POST',
      '/v1/actions',
      agentToken,
      restart({ targets: [{ id: 'search' }], confidence: 0.95, anomalyScore: 0.1 }),
    );
    assert.equal(proposed.status, 201, JSON.stringify(proposed.body));
    assert.equal(proposed.body.decision.effect, 'execute');
    const id: string = proposed.body.id;

    // The fleet records the call on arrival and answers 30 s later: Airlock is mid-call now.
    const deadline = Date.now() + 10_000;
    while (restartCalls(fleet, 'search').length === 0) {
      assert.ok(Date.now() < deadline, 'the fleet never got the restart call');
      await sleep(20);
    }
    const exited = once(first.child, 'exit');
    first.child.kill('SIGKILL');
    await exited;

    const second = await startServer(configPath, { logFile: path.join(dir, 'serve-2.log') });
    servers.push(second);

    // The restarted server takes over once the killed one's heartbeat is older than replicaTimeout.
    let action = await call(second, 'GET', `/v1/actions/${id}`, bobToken);
    for (const until = Date.now() + 15_000; action.body.status === 'executing' && Date.now() < until; ) {
      await sleep(100);
      action = await call(second, 'GET', `/v1/actions/${id}`, bobToken);
    }
    assert.equal(action.status, 200, JSON.stringify(action.body));
    assert.equal(action.body.status, 'unknown');
    const kinds = pathKinds(action.body);
    const started = kinds.indexOf('execution.started');
    assert.ok(started >= 0, `no execution.started in ${kinds.join(', ')}`);
    assert.ok(kinds.indexOf('execution.interrupted') > started, `path: ${kinds.join(', ')}`);
    assert.equal(kinds.filter((k) => k === 'execution.started').length, 1, `path: ${kinds.join(', ')}`);

    await sleep(2_000);
    assert.equal(restartCalls(fleet, 'search').length, 1, 'the restart was called again');
    const still = await call(second, 'GET', `/v1/actions/${id}`, bobToken);
    assert.equal(still.body.status, 'unknown');
    assert.equal(pathKinds(still.body).filter((k) => k === 'execution.started').length, 1);

    const approvals = await call(second, 'GET', '/v1/approvals', bobToken);
    assert.equal(approvals.status, 200, JSON.stringify(approvals.body));
    const attention = (approvals.body.attention as Loose[]).find((a) => a.action === id);
    assert.ok(attention !== undefined, `not under attention: ${JSON.stringify(approvals.body.attention)}`);
    assert.equal(attention.status, 'unknown');
    assert.match(attention.reason, /interrupted/);

    const verify = await call(second, 'GET', '/v1/audit/verify', bobToken);
    assert.equal(verify.status, 200, JSON.stringify(verify.body));
    assert.equal(verify.body.ok, true, JSON.stringify(verify.body));

    assert.equal(await second.stop(), 0);
  });
});
