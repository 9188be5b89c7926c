/**
 * The console end to end, in real headless Chromium against a real `airlock serve` (the demo's
 * stack: the sandbox fleet, a copy of the quickstart wired to it, incident-bot and alice): sign in,
 * approve a pending action and watch it execute live, read its decision path, see a demotion arrive
 * on the trust page, and every page at phone width.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AGENT, type Stack, startStack } from '../scripts/demo-stack.ts';
import { launchBrowser } from './browser.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const WAIT = { timeout: 30_000 };

/** A restart proposal as incident-bot makes them in the demo (the fleet runs it on `staging-<service>`). */
function restart(service: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'service.restart',
    environment: 'staging',
    targets: [{ id: service }],
    params: { reason: 'memory leak after deploy 2026.11.3', graceSeconds: 30 },
    confidence: 0.95,
    anomalyScore: 0.1,
    reasoning: 'RSS grows 40 MB/h since the deploy; a restart clears it.',
    incident: 'INC-E2E',
    ...extra,
  };
}

describe('the console in headless Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;

  const api = async (method: string, route: string, token: string, body?: unknown) => {
    const response = await fetch(`${stack.server.url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${route}: ${response.status} ${text}`);
    return JSON.parse(text);
  };
  const setLevel = (scope: string, level: number) =>
    api('PUT', `/v1/agents/${AGENT}/trust`, stack.adminToken, {
      scope,
      level,
      reason: 'end-to-end test',
      override: true,
    });
  const propose = (body: unknown) => api('POST', '/v1/actions', stack.agentToken, body);

  /** A new tab at `route`, signed in as alice (the token is kept per tab). */
  async function signedIn(route: string, into: BrowserContext = context): Promise<Page> {
    const page = await into.newPage();
    await page.goto(`${stack.server.url}${route}`);
    await page.getByTestId('token-input').fill(stack.adminToken);
    await page.getByTestId('sign-in-submit').click();
    await page.getByTestId('signed-in-person').waitFor(WAIT);
    return page;
  }

  before(async () => {
    if (!existsSync(path.join(ROOT, 'web/dist/index.html')))
      execFileSync(path.join(ROOT, 'node_modules/.bin/vite'), ['build', 'web'], {
        cwd: ROOT,
        stdio: 'ignore',
      });
    stack = await startStack(
      { fast: true, keep: false, port: 0, portGiven: true, prometheus: false },
      () => {},
    );
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await stack?.stop();
  });

  it('signs in with a person token; an agent token or a wrong one is refused with a message', async () => {
    const page = await context.newPage();
    await page.goto(stack.server.url);
    await page.getByTestId('sign-in-form').waitFor(WAIT);
    await page.getByTestId('token-input').fill(stack.agentToken);
    await page.getByTestId('sign-in-submit').click();
    await page.getByTestId('sign-in-message').waitFor(WAIT);
    assert.match((await page.getByTestId('sign-in-message').textContent()) ?? '', /agent/i);

    await page.getByTestId('token-input').fill('alk_person_not-a-token');
    await page.getByTestId('sign-in-submit').click();
    await page.getByTestId('api-error').or(page.getByTestId('sign-in-message')).first().waitFor(WAIT);
    assert.equal(await page.getByTestId('signed-in-person').count(), 0);

    await page.getByTestId('token-input').fill(stack.adminToken);
    await page.getByTestId('sign-in-submit').click();
    await page.getByTestId('signed-in-person').waitFor(WAIT);
    assert.match((await page.getByTestId('signed-in-person').textContent()) ?? '', /Alice/);
    await page.getByTestId('live-indicator').and(page.locator('[data-status="live"]')).waitFor(WAIT);
    await page.close();
  });

  let approvedId = '';

  it('approves a pending action in the inbox, and its open action page follows it to success live', async () => {
    await setLevel('service.restart@staging', 1);
    const proposed = await propose(restart('checkout'));
    assert.equal(proposed.status, 'pending_approval');
    approvedId = proposed.id;

    // The action's page, opened before the vote: it must change without a reload.
    const watcher = await signedIn(`/actions/${proposed.id}`);
    const badge = watcher.locator('h1 + [data-testid="status-badge"]');
    await badge.filter({ hasText: 'pending approval' }).waitFor(WAIT);
    // A marker that a reload would lose, and the layout shifts the page makes while updates arrive.
    await watcher.evaluate(() => {
      const page = globalThis as unknown as {
        marker?: string;
        shift?: number;
        PerformanceObserver: new (
          callback: (list: { getEntries(): { value: number; hadRecentInput: boolean }[] }) => void,
        ) => { observe(options: { type: string; buffered: boolean }): void };
      };
      page.marker = 'same document';
      page.shift = 0;
      new page.PerformanceObserver((list) => {
        for (const entry of list.getEntries())
          if (!entry.hadRecentInput) page.shift = (page.shift ?? 0) + entry.value;
      }).observe({ type: 'layout-shift', buffered: false });
    });

    const inbox = await signedIn('/inbox');
    const item = inbox.locator(`[data-testid="inbox-item"][data-action-id="${proposed.id}"]`);
    await item.waitFor(WAIT);
    await item.click();
    await inbox.locator(`[data-testid="approval-detail"]`).waitFor(WAIT);
    await inbox.getByTestId('vote-comment').fill('go ahead: the leak is confirmed');
    await inbox.getByTestId('approve-button').click();
    await item.waitFor({ state: 'detached', ...WAIT });

    await badge.filter({ hasText: 'succeeded' }).waitFor(WAIT);
    assert.equal(await watcher.evaluate(() => (globalThis as { marker?: string }).marker), 'same document');
    // Live updates must not make the page jump: a cumulative layout shift under 0.1 (a "good" score).
    const shift = await watcher.evaluate(() => (globalThis as { shift?: number }).shift ?? -1);
    assert.ok(shift >= 0 && shift < 0.1, `layout shift while the action went to succeeded: ${shift}`);
    const stored = await api('GET', `/v1/actions/${proposed.id}`, stack.adminToken);
    assert.equal(stored.status, 'succeeded');
    assert.equal(stored.approval.votes[0].comment, 'go ahead: the leak is confirmed');
    await inbox.close();
    await watcher.close();
  });

  it("shows the action's decision path: each step with its audit sequence number, and the bundle hash", async () => {
    const page = await signedIn(`/actions/${approvedId}`);
    await page.getByTestId('timeline').waitFor(WAIT);
    const entries = page.getByTestId('timeline-entry');
    const kinds = await entries.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    const seqs = await entries.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
    for (const kind of [
      'action.proposed',
      'action.decided',
      'approval.opened',
      'approval.voted',
      'approval.resolved',
      'execution.started',
      'execution.finished',
      'verification.sample',
      'verification.passed',
    ])
      assert.ok(kinds.includes(kind), `${kind} in ${kinds.join(', ')}`);
    assert.ok(
      seqs.every((seq, i) => Number.isInteger(seq) && seq > 0 && (i === 0 || seq > (seqs[i - 1] ?? 0))),
      `increasing sequence numbers: ${seqs.join(', ')}`,
    );
    const stored = await api('GET', `/v1/actions/${approvedId}`, stack.adminToken);
    assert.deepEqual(
      seqs,
      stored.path.map((p: { seq: number }) => p.seq),
    );
    const text = (await page.getByTestId('timeline').textContent()) ?? '';
    assert.match(text, /alice approved/);
    assert.match(text, /health endpoint answers 200/, 'a verification sample shows its check');
    const { hash } = await api('GET', '/v1/policy', stack.adminToken);
    const bundle = (await page.getByTestId('policy-bundle').textContent()) ?? '';
    assert.ok(
      bundle.includes(hash.replace(/^sha256:/, '').slice(0, 12)),
      `bundle ${hash} shown as "${bundle}"`,
    );
    await page.close();
  });

  it('shows a demotion on the open trust page when a restart fails verification and is rolled back', async () => {
    await setLevel('service.restart@staging', 2);
    const page = await signedIn(`/agents/${AGENT}`);
    const level = page.locator(
      '[data-testid="scope-card"][data-scope="service.restart@staging"] [data-testid="trust-level"]',
    );
    await level.and(page.locator('[data-level="2"]')).waitFor(WAIT);

    const fault = await fetch(`${stack.fleet.url}/services/staging-search/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ onRestart: { errorRate: 0.5, latencyMs: 900 } }),
    });
    assert.equal(fault.status < 300, true, await fault.text());
    const proposed = await propose(restart('search'));
    assert.equal(proposed.decision.effect, 'execute', JSON.stringify(proposed.decision.reasons));

    await page
      .locator('[data-testid="scope-card"][data-scope="service.restart@staging"] [data-testid="trust-level"]')
      .and(page.locator('[data-level="0"], [data-level="1"]'))
      .waitFor(WAIT);
    const stored = await api('GET', `/v1/actions/${proposed.id}`, stack.adminToken);
    assert.equal(stored.status, 'rolled_back');
    const trust = await api('GET', `/v1/agents/${AGENT}/trust`, stack.adminToken);
    const staging = trust.scopes.find((s: { scope: string }) => s.scope === 'service.restart@staging');
    assert.ok(staging.level < 2, `demoted to ${staging.level}`);
    assert.equal(
      await level.getAttribute('data-level'),
      String(staging.level),
      'the page shows the level in force',
    );
    await page.close();
  });

  it('is driven from the keyboard in the inbox: j and k move, c writes a comment, a approves, ? lists the keys', async () => {
    await setLevel('service.restart@production', 1);
    const first = await propose(restart('payments', { environment: 'production' }));
    const second = await propose(restart('search', { environment: 'production' }));
    const page = await signedIn('/inbox');
    const item = (id: string) => page.locator(`[data-testid="inbox-item"][data-action-id="${id}"]`);
    await item(first.id).waitFor(WAIT);
    await item(second.id).waitFor(WAIT);
    const selected = () =>
      page.locator('[data-testid="inbox-item"][data-selected="true"]').getAttribute('data-action-id');
    await page.keyboard.press('j');
    const afterJ = await selected();
    await page.keyboard.press('k');
    const afterK = await selected();
    assert.notEqual(afterJ, afterK, 'j and k select different approvals');
    // Typing in the comment never triggers a shortcut: the text keeps its j, k and a.
    await page.keyboard.press('c');
    await page.keyboard.type('ok, jk a');
    assert.equal(await page.getByTestId('vote-comment').inputValue(), 'ok, jk a');
    await page.getByTestId('vote-comment').blur();
    const target = afterK ?? '';
    await page.keyboard.press('a');
    await item(target).waitFor({ state: 'detached', ...WAIT });
    const voted = await api('GET', `/v1/actions/${target}`, stack.adminToken);
    assert.equal(voted.approval.votes[0]?.verdict, 'approve');
    assert.equal(voted.approval.votes[0]?.comment, 'ok, jk a');
    await page.keyboard.press('?');
    await page.getByTestId('shortcut-help').waitFor(WAIT);
    await page.close();
  });

  it('every page fits a phone: main content shown, nothing wider than the screen, the nav reachable', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true });
    try {
      const page = await signedIn('/inbox', phone);
      const routes: [string, string][] = [
        ['/inbox', 'inbox-summary'],
        ['/actions', 'actions-table'],
        [`/actions/${approvedId}`, 'timeline'],
        ['/agents', 'agent-card'],
        [`/agents/${AGENT}`, 'scope-card'],
        ['/policies', 'policy-rules'],
        ['/audit', 'audit-head'],
      ];
      for (const [route, testId] of routes) {
        await page.goto(`${stack.server.url}${route}`);
        await page.getByTestId(testId).first().waitFor(WAIT);
        const { scrollWidth, innerWidth } = await page.evaluate(() => {
          const view = globalThis as unknown as {
            document: { documentElement: { scrollWidth: number } };
            innerWidth: number;
          };
          return { scrollWidth: view.document.documentElement.scrollWidth, innerWidth: view.innerWidth };
        });
        assert.ok(scrollWidth <= innerWidth, `${route}: ${scrollWidth} px wide on a ${innerWidth} px screen`);
        for (const nav of ['nav-inbox', 'nav-actions', 'nav-agents', 'nav-policies', 'nav-audit'])
          assert.equal(await page.getByTestId(nav).isVisible(), true, `${nav} on ${route}`);
      }
    } finally {
      await phone.close();
    }
  });
});
