/**
 * `npm run demo`: Airlock's story told to a newcomer in a few minutes. A scripted agent works one
 * incident against a real server, sandbox fleet and (when installed) Prometheus, from advice to
 * autonomy to a rollback and the demotion that follows, narrated step by step while the console
 * shows the same. `--help` lists the options.
 */

import { AirlockClient } from 'airlock/sdk';
import type { Story } from './demo-moves.ts';
import { createNarrator, type Narrator } from './demo-narrator.ts';
import { HELP, parseDemoOptions } from './demo-options.ts';
import { ADMIN, AGENT, AGENT_OWNER, type Stack, startStack } from './demo-stack.ts';
import { tellStory } from './demo-story.ts';
import { printSummary, summarize } from './demo-summary.ts';

const started = Date.now();
let parsed: ReturnType<typeof parseDemoOptions>;
try {
  parsed = parseDemoOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message} (see --help)\n`);
  process.exit(2);
}
if (parsed === 'help') {
  process.stdout.write(HELP);
  process.exit(0);
}
const options = parsed;
const stopping = new AbortController();
const n = createNarrator(options.json ? process.stderr : process.stdout, {
  fast: options.fast,
  signal: stopping.signal,
});

let signalled = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (signalled) process.exit(130); // a second Ctrl-C: do not wait for the shutdown
    signalled = true;
    n.raw(`\n${signal}: stopping the server, the fleet and Prometheus…`);
    stopping.abort();
  });

n.raw(n.style('bold', 'Airlock — a guided demo'));
n.say(n.style('dim', 'Starting the sandbox fleet, Prometheus, a copy of the quickstart and airlock serve…'));
let stack: Stack | null = null;
let finished = false;
let code = 0;
try {
  stack = await startStack(options, (line) => n.say(n.style('dim', `· ${line}`)));
  await banner(n, stack);
  const story: Story = {
    url: stack.server.url,
    agent: new AirlockClient({ url: stack.server.url, token: stack.agentToken }),
    agentId: AGENT,
    admin: new AirlockClient({ url: stack.server.url, token: stack.adminToken }),
    n,
    approveAfter: options.approveAfter,
    signal: stopping.signal,
  };
  await n.pause(5_000);
  const result = await tellStory(story, {
    fleet: stack.fleet,
    checks: stack.project.checks,
    window: stack.project.window,
  });
  const summary = await summarize(story, {
    url: stack.server.url,
    console: `${stack.server.url}/`,
    agent: AGENT,
    incident: result.incident,
    project: { dir: stack.project.dir, kept: options.keep, log: stack.project.logFile },
    prometheus: { url: stack.prometheus?.url ?? null, missing: stack.prometheusMissing },
    story: result,
    durationMs: Date.now() - started,
  });
  printSummary(story, summary);
  if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  finished = true;
  if (!options.exit && !stopping.signal.aborted) {
    n.raw();
    n.callout(
      `Airlock keeps running at ${stack.server.url}/ — explore the console; Ctrl-C stops everything.`,
    );
    await new Promise((resolve) => stopping.signal.addEventListener('abort', resolve, { once: true }));
  }
} catch (error) {
  if (!stopping.signal.aborted) {
    code = 1;
    n.raw(n.style('red', `\nThe demo failed: ${error instanceof Error ? error.message : String(error)}`));
    if (stack !== null) n.raw(`The server's log: ${stack.project.logFile} (kept with --keep)`);
  }
} finally {
  await stack?.stop();
  if (stack !== null && options.keep) n.raw(`The project is kept in ${stack.project.dir}`);
}
process.exit(signalled && !finished ? 130 : code);

async function banner(n: Narrator, stack: Stack): Promise<void> {
  const url = stack.server.url;
  const rule = n.style('bold', '━'.repeat(78));
  n.raw();
  n.raw(rule);
  n.raw(`  ${'Console'.padEnd(12)} ${n.style(['bold', 'underline'], `${url}/`)}`);
  n.raw(`  ${'Sign in as'.padEnd(12)} ${ADMIN} (admin) with the token  ${n.style('bold', stack.adminToken)}`);
  n.raw(`  ${'Agent'.padEnd(12)} ${AGENT} (owner ${AGENT_OWNER}), the scripted agent of this demo`);
  n.raw(rule);
  const home = await fetch(`${url}/`).catch(() => null);
  await home?.body?.cancel();
  if (home === null || home.status >= 400)
    n.say(
      n.style(
        'yellow',
        `The console is not built (GET / answers ${home?.status ?? 'nothing'}): run npm run build:web, or use the API.`,
      ),
    );
  if (stack.prometheus === null)
    n.say(
      n.style(
        'yellow',
        `Prometheus: ${stack.prometheusMissing}. Restarts are verified by the fleet's health endpoint alone; the error-ratio check is skipped.`,
      ),
    );
}
