/**
 * The README's screenshots of the console: brings up the demo's stack (the sandbox fleet, a copy of
 * the quickstart, `airlock serve`), makes a believable history through the HTTP API (advice,
 * approved and autonomous restarts, one rolled back and the demotion that follows, one approval
 * waiting), then photographs the inbox, an action's decision path and the trust page in headless
 * Chromium at 1280×800.
 *
 *   node scripts/screenshots.ts [--out docs/images]
 */

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchBrowser } from '../test/browser.ts';
import { AGENT, startStack } from './demo-stack.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
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

const stack = await startStack({ fast: true, keep: false, port: 0, portGiven: true, prometheus: false }, say);
const browser = await launchBrowser();
try {
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
  const level = (scope: string, to: number, reason: string) =>
    api('PUT', `/v1/agents/${AGENT}/trust`, stack.adminToken, { scope, level: to, reason, override: true });
  let serial = 0;
  const restart = (service: string, environment: string, confidence: number, reasoning: string) => {
    serial += 1;
    return api('POST', '/v1/actions', stack.agentToken, {
      type: 'service.restart',
      environment,
      targets: [{ id: service }],
      params: { reason: 'memory leak after deploy 2026.11.3', graceSeconds: 30 },
      confidence,
      anomalyScore: 0.12,
      reasoning,
      incident: 'INC-4711',
      context: { alert: 'CheckoutMemoryHigh', deploy: '2026.11.3', rssGrowthMbPerHour: 40 },
      idempotencyKey: `INC-4711-${serial}`,
    });
  };
  const settled = async (id: string) => {
    for (let i = 0; i < 200; i++) {
      const action = await api('GET', `/v1/actions/${id}`, stack.adminToken);
      if (['succeeded', 'rolled_back', 'failed', 'unknown', 'advised', 'denied'].includes(action.status))
        return action;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${id} did not settle`);
  };

  say('making a history: advice, an approved restart, autonomous restarts, a rollback and a demotion…');
  await settled(
    (await restart('checkout', 'staging', 0.91, 'RSS of checkout grows 40 MB/h since the deploy.')).id,
  );
  await level('service.restart@staging', 1, 'trial: restarts with a human in the loop');
  const approved = await restart(
    'checkout',
    'staging',
    0.9,
    'RSS of checkout grows 40 MB/h since deploy 2026.11.3; a restart clears it until the fix ships.',
  );
  await api('POST', `/v1/approvals/${approved.approval.id}/decisions`, stack.adminToken, {
    verdict: 'approve',
    comment: 'Leak confirmed on the dashboard; go ahead.',
  });
  await settled(approved.id);
  await level('service.restart@staging', 2, 'ten clean assisted restarts');
  for (const service of ['search', 'payments', 'checkout'])
    await settled((await restart(service, 'staging', 0.93, `The ${service} pods leak since the deploy.`)).id);
  await fetch(`${stack.fleet.url}/services/staging-search/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ onRestart: { errorRate: 0.5, latencyMs: 900 } }),
  });
  const rolledBack = await settled(
    (await restart('search', 'staging', 0.95, 'search leaks again after the restart.')).id,
  );
  await level('service.restart@production', 1, 'production restarts need a human');
  await restart(
    'checkout',
    'production',
    0.88,
    'Production checkout shows the same leak: RSS +38 MB/h since 09:12, p99 latency up 30%. A rolling restart clears it; the fix ships tomorrow.',
  );

  await mkdir(out, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(`${stack.server.url}/inbox`);
  await page.getByTestId('token-input').fill(stack.adminToken);
  await page.getByTestId('sign-in-submit').click();
  await page.getByTestId('inbox-item').first().click();
  await page.getByTestId('approval-detail').waitFor();
  await page.screenshot({ path: path.join(out, 'console-inbox.png') });

  // The restart that failed verification: executed alone, sampled, rolled back.
  await page.goto(`${stack.server.url}/actions/${rolledBack.id}`);
  await page.getByTestId('timeline-entry').last().waitFor();
  await page.screenshot({ path: path.join(out, 'console-decision-path.png'), fullPage: true });

  // The staging scope: its evidence, calibration and what blocks the next level, after the demotion.
  await page.goto(`${stack.server.url}/agents/${AGENT}`);
  const staging = page.locator('[data-testid="scope-card"][data-scope="service.restart@staging"]');
  await staging.getByTestId('reliability-diagram').waitFor();
  await staging.screenshot({ path: path.join(out, 'console-trust.png') });
  await context.close();
  say(`wrote console-inbox.png, console-decision-path.png and console-trust.png into ${out}`);
} finally {
  await browser.close();
  await stack.stop();
}
