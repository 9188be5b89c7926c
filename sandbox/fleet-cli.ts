/**
 * Run the sandbox fleet on its own, for the demo or a Prometheus to scrape:
 * `node sandbox/fleet-cli.ts [--port 4650] [--host 127.0.0.1]`. With FLEET_TOKEN set, mutating
 * calls need that bearer token.
 */

import { parseArgs } from 'node:util';
import { startFleet } from './fleet.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4650' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port must be a port number, not ${values.port}`);
  process.exit(2);
}
const token = process.env.FLEET_TOKEN;
const fleet = await startFleet({
  host: values.host,
  port,
  ...(token === undefined || token === '' ? {} : { requireToken: token }),
});
console.log(`sandbox fleet listening on ${fleet.url}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    fleet.close().then(() => process.exit(0));
  });
}
