/** The guided demo's command line: options, their defaults and the help text. */

import { parseArgs } from 'node:util';

export interface DemoOptions {
  /** No pauses, short verification windows, approvals by the script at once; implies `exit`. */
  readonly fast: boolean;
  /** Stop everything after the summary instead of serving until Ctrl-C. */
  readonly exit: boolean;
  /** Print the summary as JSON on stdout; the narration goes to stderr. */
  readonly json: boolean;
  /** Keep the temporary project (config, database, server log) instead of removing it. */
  readonly keep: boolean;
  /** Seconds a pending approval waits for a person in the console before the script approves it. */
  readonly approveAfter: number;
  /** The server's port; 0 picks a free one. */
  readonly port: number;
  /** Whether `port` was given (else a busy default port falls back to a free one). */
  readonly portGiven: boolean;
  /** Start a Prometheus for verification when the binary is installed. */
  readonly prometheus: boolean;
}

export const HELP = `Airlock's guided demo: one incident, from advice to autonomy to an automatic demotion.

Usage: npm run demo -- [options]      (or: node scripts/demo.ts [options])

It copies examples/quickstart into a temporary directory, wires its service.restart action to a
sandbox fleet (executor, verification, rollback), starts Prometheus when it is installed, runs
\`airlock serve\` on the copy, and lets a scripted agent (incident-bot) work through one incident
over the HTTP API, narrating what it proposes and what Airlock decides:

  1. level 0, advisory      a restart is recorded as advice, never executed
  2. level 1, assisted      a restart waits for a human approval, then runs and is verified
  3. level 2, conditional   restarts in staging run alone, each verified
  4. level 3, scoped        a production restart fails verification and is rolled back
  5. demotion               the trust ledger lowers the production scope at once

Open the console URL it prints and sign in with alice's token to watch and approve.

Options:
  --fast                no pauses, short verification windows, approvals by the script at once
                        (implies --exit)
  --exit                stop after the summary (default: keep serving until Ctrl-C)
  --json                print the summary as JSON on stdout; the narration goes to stderr
  --keep                keep the temporary project (config, database, server log) and print
                        where it is
  --approve-after <s>   seconds an approval waits for you in the console before the script
                        approves it as alice (default 30; 0 at once)
  --port <n>            the server's port (default 8080, or a free one if 8080 is busy;
                        0 always picks a free one)
  --no-prometheus       do not start Prometheus even when it is installed
  -h, --help            show this help

Ctrl-C stops the server, the fleet and Prometheus, and removes the temporary project unless --keep.
`;

/** Parse argv; throws an Error with a one-line reason on bad input. */
export function parseDemoOptions(argv: readonly string[]): DemoOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      fast: { type: 'boolean', default: false },
      exit: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'approve-after': { type: 'string' },
      port: { type: 'string' },
      'no-prometheus': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const approveAfter = values['approve-after'] === undefined ? 30 : Number(values['approve-after']);
  if (!Number.isFinite(approveAfter) || approveAfter < 0)
    throw new Error(`--approve-after takes a number of seconds, not ${values['approve-after']}`);
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port takes a port number, not ${values.port}`);
  return {
    fast: values.fast,
    exit: values.exit || values.fast,
    json: values.json,
    keep: values.keep,
    approveAfter: values.fast ? 0 : approveAfter,
    port,
    portGiven: values.port !== undefined,
    prometheus: !values['no-prometheus'],
  };
}
