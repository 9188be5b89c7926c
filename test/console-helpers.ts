/**
 * What the console's end-to-end tests share: the demo's stack (the sandbox fleet, a copy of the
 * quickstart wired to it, incident-bot and alice) with `airlock serve` on a random port, headless
 * Chromium, alice's and the agent's HTTP calls, and tabs signed in as alice.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AGENT, type Stack, startStack } from '../scripts/demo-stack.ts';
import { launchBrowser } from './browser.ts';

export { AGENT };

const ROOT = path.resolve(import.meta.dirname, '..');

/** How long a condition may take to appear; generous, since nothing here is a timing assertion. */
export const WAIT = { timeout: 30_000 } as const;

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 375, height: 812 } as const;

export const STAGING_RESTART = 'service.restart@staging';

/** An answer of the API, read field by field by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: the tests check the fields they use
export type Json = any;

export interface ConsoleFixture {
  readonly stack: Stack;
  readonly browser: Browser;
  /** A desktop-sized context; each tab in it signs in on its own (the token is kept per tab). */
  readonly desktop: BrowserContext;
  /** An API call with `token` (alice's by default); fails the test on a non-2xx answer. */
  api(method: string, route: string, body?: unknown, token?: string): Promise<Json>;
  /** alice sets incident-bot's level for `scope`, overriding the promotion criteria. */
  setLevel(scope: string, level: number): Promise<void>;
  /** incident-bot proposes an action. */
  propose(body: unknown): Promise<Json>;
  /** The next restart of the fleet's `service` comes back failing its health checks. */
  armFault(service: string): Promise<void>;
  /** A new tab at `route`, signed in as alice. */
  signedIn(route: string, into?: BrowserContext): Promise<Page>;
  /** Close the browser and stop the stack; safe after a partial start or a failure. */
  close(): Promise<void>;
}

/** Build the console when it has not been built yet (`npm test` builds it first). */
export function buildConsoleIfMissing(): void {
  if (existsSync(path.join(ROOT, 'web/dist/index.html'))) return;
  execFileSync(path.join(ROOT, 'node_modules/.bin/vite'), ['build', 'web'], { cwd: ROOT, stdio: 'ignore' });
}

export async function openConsole(): Promise<ConsoleFixture> {
  buildConsoleIfMissing();
  const stack = await startStack(
    { fast: true, keep: false, port: 0, portGiven: true, prometheus: false },
    () => {},
  );
  let browser: Browser | null = null;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    await stack.stop();
  };
  try {
    browser = await launchBrowser();
    const desktop = await browser.newContext({ viewport: DESKTOP });
    return fixture(stack, browser, desktop, close);
  } catch (error) {
    await close();
    throw error;
  }
}

function fixture(
  stack: Stack,
  browser: Browser,
  desktop: BrowserContext,
  close: () => Promise<void>,
): ConsoleFixture {
  const api = async (method: string, route: string, body?: unknown, token = stack.adminToken) => {
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
  return {
    stack,
    browser,
    desktop,
    api,
    async setLevel(scope, level) {
      await api('PUT', `/v1/agents/${AGENT}/trust`, {
        scope,
        level,
        reason: 'end-to-end test',
        override: true,
      });
    },
    propose: (body) => api('POST', '/v1/actions', body, stack.agentToken),
    async armFault(service) {
      const response = await fetch(`${stack.fleet.url}/services/${service}/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ onRestart: { errorRate: 0.5, latencyMs: 900 } }),
      });
      assert.ok(response.ok, `arming a fault on ${service}: ${response.status} ${await response.text()}`);
    },
    async signedIn(route, into = desktop) {
      const page = await into.newPage();
      await page.goto(`${stack.server.url}${route}`);
      await page.getByTestId('token-input').fill(stack.adminToken);
      await page.getByTestId('sign-in-submit').click();
      await page.getByTestId('signed-in-person').waitFor(WAIT);
      return page;
    },
    close,
  };
}

/** A restart proposal as incident-bot makes them in the demo (the fleet runs `<environment>-<service>`). */
export function restart(service: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
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

/** The level badge of `scope`'s card on an agent's page; `levels` narrows it to badges showing one of them. */
export function scopeLevel(page: Page, scope: string, ...levels: number[]) {
  const shown = levels.length === 0 ? '' : `:is(${levels.map((l) => `[data-level="${l}"]`).join(', ')})`;
  return page.locator(
    `[data-testid="scope-card"][data-scope="${scope}"] [data-testid="trust-level"]${shown}`,
  );
}

/** The document's width against the window's: wider means the page scrolls sideways. */
export function widths(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate<{ scrollWidth: number; innerWidth: number }>(
    '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
  );
}

/**
 * Leave a mark in the page's document (it survives everything but a navigation or a reload) and
 * start adding up the layout shifts the page makes on its own from now on.
 */
export async function mark(page: Page): Promise<void> {
  await page.evaluate(`
    window.consoleTestMark = 'same document';
    window.consoleTestShift = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries())
        if (!entry.hadRecentInput) window.consoleTestShift += entry.value;
    }).observe({ type: 'layout-shift', buffered: false });
  `);
}

/** The cumulative layout shift since `mark`, or -1 for a page that was never marked. */
export async function layoutShift(page: Page): Promise<number> {
  return page.evaluate<number>('window.consoleTestShift ?? -1');
}

export async function marked(page: Page): Promise<boolean> {
  return (await page.evaluate<unknown>('window.consoleTestMark')) === 'same document';
}
