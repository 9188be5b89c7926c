/**
 * The decision load of the HTTP benchmarks: an agent trusted to act alone on `service.restart` in
 * staging, and autocannon POSTing the same restart to /v1/actions over many connections, noting
 * the id of every action a 2xx answer acknowledged (so the store can be checked for each of them).
 */

import autocannon from 'autocannon';
import { createAirlock } from '../src/gateway/airlock.ts';
import { restart } from '../test/harness.ts';

/** Register the benchmark's agent and trust it at level 2 on its scope; returns the agent's token. */
export async function prepareDecisionAgent(configPath: string): Promise<string> {
  const setup = await createAirlock({ configPath, logLevel: 'warn' });
  try {
    const { token } = await setup.agents.add(
      { id: 'bench-bot', owner: 'sre' },
      { kind: 'system', id: 'bench' },
    );
    await setup.trust.setLevel(
      {
        agentId: 'bench-bot',
        scope: 'service.restart@staging',
        level: 2,
        reason: 'benchmark',
        override: true,
      },
      setup.people.get('alice'),
    );
    return token;
  } finally {
    await setup.close();
  }
}

export interface DecisionLoad {
  /** Server base URLs (`http://host:port`); connections go to them in turn (connection i to url i mod n). */
  readonly urls: readonly string[];
  readonly token: string;
  readonly connections: number;
  readonly durationS: number;
  /** Where the action id of every 2xx answer is added. */
  readonly acknowledged: Set<string>;
}

/** An answer's action id: the body starts with it (`{"id":"act_…"`), so no JSON parse per answer. */
const ACTION_ID = /^\{"id":"([^"]+)"/;

/** Run the load for `durationS` seconds; resolves with autocannon's figures. */
export function runDecisionLoad(load: DecisionLoad): Promise<autocannon.Result> {
  const urls = load.urls.map((url) => `${url}/v1/actions`);
  return autocannon({
    // autocannon takes several URLs and spreads the connections over them (README: `url`); its
    // types only know one.
    url: (urls.length === 1 ? urls[0] : urls) as string,
    method: 'POST',
    connections: load.connections,
    duration: load.durationS,
    headers: { authorization: `Bearer ${load.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(restart()),
    requests: [
      {
        onResponse: (status, body) => {
          if (status < 200 || status > 299) return;
          const id = ACTION_ID.exec(body)?.[1];
          // A 2xx without an action id would make the store check fail for it, as it should.
          load.acknowledged.add(id ?? `(2xx without an action id: ${body.slice(0, 80)})`);
        },
      },
    ],
  });
}
