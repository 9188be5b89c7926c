/**
 * The README's screenshots of the console: brings up the demo's stack (the sandbox fleet, a copy of
 * the quickstart, `airlock serve`), makes a believable incident through the HTTP API (advice,
 * approved and autonomous restarts, a staging restart rolled back and the demotion that follows, an
 * approved production restart that fails verification and is rolled back, one approval waiting),
 * then photographs the inbox, that production restart's decision path and the demoted scope in
 * headless Chromium at 1280×800.
 *
 *   node scripts/screenshots.ts [--out docs/images]
 */

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../test/browser.ts';
import { airlockCli } from './demo-server.ts';
import { AGENT, type Stack, startStack } from './demo-stack.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const INCIDENT = 'INC-4711';
const SETTLED = ['succeeded', 'rolled_back', 'failed', 'unknown', 'advised', 'denied'];

const { values } = parseArgs({
  options: { out: { type: 'string', default: 'docs/images' }, help: { type: 'boolean', default: false } },
});
if (values.help) {
  console.log('usage: node scripts/screenshots.ts [--out <dir>]   (default docs/images)');
  process.exit(0);
}
const out = path.resolve(values.out);
const say = (line: string) => process.stderr.write(`${line}\n`);

if (!existsSync(path.join(ROOT, 'web/dist/index.html'))) {
  say('building the console…');
  execFileSync(path.join(ROOT, 'node_modules/.bin/vite'), ['build', 'web'], { cwd: ROOT, stdio: 'ignore' });
}

/** The calls the history is made of: incident-bot proposes, alice sets levels, bob approves. */
function client(stack: Stack, bobToken: string) {
  const api = async (method: string, route: string, token: string, body?: unknown) => {
    const response = await fetch(`${stack.server.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return JSON.parse(text);
  };
  let serial = 0;
  const restart = (environment: string, service: string, confidence: number, reasoning: string) => {
    serial += 1;
    return api('POST', '/v1/actions', stack.agentToken, {
      type: 'service.restart',
      environment,
      targets: [{ id: service }],
      params: { reason: 'memory leak after deploy 2026.11.3', graceSeconds: 30 },
      confidence,
      anomalyScore: 0.12,
      reasoning,
      incident: INCIDENT,
      context: { alert: 'CheckoutMemoryHigh', deploy: '2026.11.3', rssGrowthMbPerHour: 40 },
      idempotencyKey: `${INCIDENT}-${serial}`,
    });
  };
  const settled = async (id: string) => {
    for (let i = 0; i < 300; i++) {
      const action = await api('GET', `/v1/actions/${id}`, stack.adminToken);
      if (SETTLED.includes(action.status)) return action;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${id} did not settle`);
  };
  return {
    settled,
    level: (scope: string, to: number, reason: string) =>
      api('PUT', `/v1/agents/${AGENT}/trust`, stack.adminToken, { scope, level: to, reason, override: true }),
    restart,
    /** A restart that needs nobody, followed to its outcome. */
    async run(environment: string, service: string, confidence: number, reasoning: string) {
      return settled((await restart(environment, service, confidence, reasoning)).id);
    },
    review: (id: string, comment: string) =>
      api('POST', `/v1/actions/${id}/review`, stack.adminToken, { verdict: 'agree', comment }),
    /** bob, an approver in sre, approves the action's approval and waits for its outcome. */
    async approve(action: { id: string; approval: { id: string } }, comment: string) {
      await api('POST', `/v1/approvals/${action.approval.id}/decisions`, bobToken, {
        verdict: 'approve',
        comment,
      });
      return settled(action.id);
    },
    /** The next restart of the fleet's `service` comes back failing its health checks. */
    async fault(service: string) {
      const response = await fetch(`${stack.fleet.url}/services/${service}/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ onRestart: { errorRate: 0.5, latencyMs: 900 } }),
      });
      if (!response.ok) throw new Error(`fault on ${service}: ${response.status} ${await response.text()}`);
    },
  };
}

/** The incident; returns the production restart that was approved, failed verification and was rolled back. */
async function makeHistory(h: ReturnType<typeof client>): Promise<{ id: string }> {
  const staging = 'service.restart@staging';
  const production = 'service.restart@production';
  const advice = await h.run(
    'staging',
    'checkout',
    0.91,
    'RSS of checkout grows 40 MB/h since deploy 2026.11.3.',
  );
  await h.review(advice.id, 'right call: the leak is in 2026.11.3');

  await h.level(staging, 1, 'its advice was right; restarts with a human in the loop');
  await h.approve(
    await h.restart('staging', 'checkout', 0.9, 'RSS of checkout grows 40 MB/h; a restart clears it.'),
    'Leak confirmed on the dashboard; go ahead.',
  );
  await h.level(production, 1, 'production restarts need a human');
  await h.approve(
    await h.restart('production', 'checkout', 0.88, 'Production checkout leaks like staging did.'),
    'Same leak as staging; restart it.',
  );

  await h.level(staging, 2, 'clean assisted restarts in staging');
  for (const service of ['search', 'payments', 'checkout'])
    await h.run('staging', service, 0.93, `The ${service} pods leak since the deploy.`);
  await h.fault('staging-search');
  await h.run('staging', 'search', 0.95, 'search leaks again after the restart.');

  await h.fault('production-payments');
  const failing = await h.approve(
    await h.restart(
      'production',
      'payments',
      0.86,
      'Production payments shows the leak too: RSS +35 MB/h since the deploy; a rolling restart clears it.',
    ),
    'Error budget is fine; restart it and watch the error rate.',
  );

  // staging is back at level 1 after its demotion: the next restart there waits for a person.
  await h.restart(
    'staging',
    'payments',
    0.88,
    'Staging payments shows the same leak: RSS +38 MB/h since 09:12, p99 latency up 30%. A rolling restart clears it; the fix ships tomorrow.',
  );
  return failing;
}

async function signIn(page: Page, stack: Stack, route: string): Promise<void> {
  await page.goto(`${stack.server.url}${route}`);
  await page.getByTestId('token-input').fill(stack.adminToken);
  await page.getByTestId('sign-in-submit').click();
  await page.locator('[data-testid="live-indicator"][data-status="live"]').waitFor();
}

const stack = await startStack({ fast: true, keep: false, port: 0, portGiven: true, prometheus: false }, say);
const browser = await launchBrowser().catch(async (error) => {
  await stack.stop();
  throw error;
});
try {
  const { token: bobToken } = await airlockCli<{ token: string }>(stack.project.configPath, [
    'people',
    'token',
    'bob',
  ]);
  say('making a history: advice, approved and autonomous restarts, two rollbacks and their demotions…');
  const failing = await makeHistory(client(stack, bobToken));

  await mkdir(out, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await signIn(page, stack, '/inbox');
  await page.getByTestId('inbox-item').first().click();
  await page.getByTestId('approval-detail').waitFor();
  await page.screenshot({ path: path.join(out, 'console-inbox.png') });

  // Approved by bob, executed by Airlock, sampled, failed verification, rolled back.
  await page.goto(`${stack.server.url}/actions/${failing.id}`);
  await page.locator('[data-testid="timeline-entry"][data-kind="rollback.finished"]').waitFor();
  await page.screenshot({ path: path.join(out, 'console-decision-path.png'), fullPage: true });

  // The staging scope after its demotion: evidence, calibration and what blocks the next level.
  await page.goto(`${stack.server.url}/agents/${AGENT}`);
  const scope = page.locator('[data-testid="scope-card"][data-scope="service.restart@staging"]');
  await scope.getByTestId('reliability-diagram').waitFor();
  await scope.screenshot({ path: path.join(out, 'console-trust.png') });
  await context.close();
  say(`wrote console-inbox.png, console-decision-path.png and console-trust.png into ${out}`);
} finally {
  await browser.close();
  await stack.stop();
}
