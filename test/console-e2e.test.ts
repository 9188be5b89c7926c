/**
 * The console end to end, in real headless Chromium against a real `airlock serve` (the demo's
 * stack): sign in, approve a pending action and watch it execute live on its open page, read its
 * decision path, see a demotion arrive on the open trust page, drive the inbox from the keyboard,
 * and every page at phone and desktop width.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  AGENT,
  type ConsoleFixture,
  DESKTOP,
  layoutShift,
  mark,
  marked,
  openConsole,
  PHONE,
  restart,
  STAGING_RESTART,
  scopeLevel,
  WAIT,
  widths,
} from './console-helpers.ts';

/** Each step's kind and audit sequence number, in the order the timeline shows them. */
async function timelineOf(page: Page): Promise<{ kinds: string[]; seqs: number[] }> {
  const entries = page.getByTestId('timeline-entry');
  return {
    kinds: await entries.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind') ?? '')),
    seqs: await entries.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq')))),
  };
}

function assertIncreasing(seqs: readonly number[]): void {
  assert.ok(
    seqs.every((seq, i) => Number.isInteger(seq) && seq > 0 && (i === 0 || seq > (seqs[i - 1] ?? 0))),
    `increasing audit sequence numbers: ${seqs.join(', ')}`,
  );
}

describe('the console in headless Chromium', () => {
  let c: ConsoleFixture;
  /** The restart approved in the inbox, and the one rolled back: later tests read them. */
  let approvedId = '';
  let rolledBackId = '';

  before(async () => {
    c = await openConsole();
  });
  after(async () => {
    await c?.close();
  });

  it('signs in with a person token and keeps it for the tab; an agent token or a wrong one is refused', async () => {
    const page = await c.desktop.newPage();
    await page.goto(c.stack.server.url);
    await page.getByTestId('sign-in-form').waitFor(WAIT);

    await page.getByTestId('token-input').fill(c.stack.agentToken);
    await page.getByTestId('sign-in-submit').click();
    await page.getByTestId('sign-in-message').waitFor(WAIT);
    assert.match((await page.getByTestId('sign-in-message').textContent()) ?? '', /agent’s token/);
    assert.equal(await page.getByTestId('signed-in-person').count(), 0);

    await page.getByTestId('token-input').fill('alk_person_not-a-token');
    await page.getByTestId('sign-in-submit').click();
    await page.getByTestId('api-error').waitFor(WAIT);
    assert.equal(await page.getByTestId('signed-in-person').count(), 0);

    await page.getByTestId('token-input').fill(c.stack.adminToken);
    await page.getByTestId('sign-in-submit').click();
    const person = page.getByTestId('signed-in-person');
    await person.waitFor(WAIT);
    assert.match((await person.textContent()) ?? '', /Alice.*admin/);
    await page.locator('[data-testid="live-indicator"][data-status="live"]').waitFor(WAIT);
    await page.locator('[data-testid="pending-count"][data-count="0"]').waitFor(WAIT);

    await page.reload();
    await person.waitFor(WAIT);
    await page.getByTestId('sign-out').click();
    await page.getByTestId('sign-in-form').waitFor(WAIT);
    await page.reload();
    await page.getByTestId('sign-in-form').waitFor(WAIT);
    assert.equal(await person.count(), 0, 'signing out forgets the token');
    await page.close();
  });

  it('approves a pending action in the inbox, and its open action page follows it to success live', async () => {
    await c.setLevel(STAGING_RESTART, 1);
    const proposed = await c.propose(restart('checkout'));
    assert.equal(proposed.status, 'pending_approval', JSON.stringify(proposed.decision.reasons));
    approvedId = proposed.id;

    // The action's page, open in its own tab before the vote: it must change without a reload.
    const watcher = await c.signedIn(`/actions/${approvedId}`);
    const badge = watcher.locator('h1 + [data-testid="status-badge"]');
    await badge.filter({ hasText: 'pending approval' }).waitFor(WAIT);
    await mark(watcher);

    const inbox = await c.signedIn('/inbox');
    await inbox.locator('[data-testid="pending-count"][data-count="1"]').waitFor(WAIT);
    const item = inbox.locator(`[data-testid="inbox-item"][data-action-id="${approvedId}"]`);
    await item.click();
    const detail = inbox.locator(
      `[data-testid="approval-detail"][data-approval-id="${proposed.approval.id}"]`,
    );
    await detail.waitFor(WAIT);
    assert.match((await detail.textContent()) ?? '', /RSS grows 40 MB\/h since the deploy/);
    await inbox.getByTestId('approval-countdown').waitFor(WAIT);
    await inbox.getByTestId('vote-comment').fill('go ahead: the leak is confirmed');
    await inbox.getByTestId('approve-button').click();
    await inbox
      .getByTestId('vote-result')
      .filter({ hasText: 'You approved service.restart on checkout' })
      .waitFor(WAIT);
    await item.waitFor({ state: 'detached', ...WAIT });
    await inbox.locator('[data-testid="pending-count"][data-count="0"]').waitFor(WAIT);

    await badge.filter({ hasText: 'succeeded' }).waitFor(WAIT);
    await watcher.locator('[data-testid="timeline-entry"][data-kind="verification.passed"]').waitFor(WAIT);
    assert.equal(await marked(watcher), true, 'the action page updated in place, without a reload');
    // Live updates must not make the page jump: a cumulative layout shift under 0.1 (a "good" score).
    const shift = await layoutShift(watcher);
    assert.ok(shift >= 0 && shift < 0.1, `layout shift while the action went to succeeded: ${shift}`);
    const stored = await c.api('GET', `/v1/actions/${approvedId}`);
    assert.equal(stored.status, 'succeeded');
    assert.equal(stored.approval.votes[0].comment, 'go ahead: the leak is confirmed');
    await inbox.close();
    await watcher.close();
  });

  it("shows the action's decision path: each step with its audit sequence number, and the bundle hash", async () => {
    const page = await c.signedIn(`/actions/${approvedId}`);
    await page.getByTestId('timeline').waitFor(WAIT);
    const { kinds, seqs } = await timelineOf(page);
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
    assertIncreasing(seqs);
    const stored = await c.api('GET', `/v1/actions/${approvedId}`);
    assert.deepEqual(
      seqs,
      stored.path.map((p: { seq: number }) => p.seq),
      'one entry per audit event of the path',
    );
    const seqTexts = await page.getByTestId('timeline-seq').allTextContents();
    assert.deepEqual(
      seqTexts,
      seqs.map((seq) => `#${seq}`),
    );

    const entry = (kind: string) => page.locator(`[data-testid="timeline-entry"][data-kind="${kind}"]`);
    assert.match((await entry('action.proposed').textContent()) ?? '', /Request.*incident-bot proposed/);
    // Every reason of the decision (the rules, limits and trust caps), in the order it was decided.
    const reasonKinds = await entry('action.decided')
      .getByTestId('timeline-reason')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-reason-kind')));
    assert.deepEqual(
      reasonKinds,
      stored.decision.reasons.map((r: { kind: string }) => r.kind),
    );
    assert.ok(reasonKinds.includes('cap'), `trust caps among ${reasonKinds.join(', ')}`);
    assert.match(
      (await entry('approval.voted').textContent()) ?? '',
      /alice approved.*the leak is confirmed/,
    );
    assert.match((await entry('execution.finished').textContent()) ?? '', /Execution succeeded/);
    assert.match(
      (await entry('verification.sample').first().textContent()) ?? '',
      /✓.*health endpoint answers 200/,
    );
    assert.match((await entry('verification.passed').textContent()) ?? '', /every check passed/);

    const { hash } = await c.api('GET', '/v1/policy');
    assert.equal(await page.locator('[data-testid="policy-bundle"] [title]').getAttribute('title'), hash);
    assert.ok(
      ((await page.getByTestId('policy-bundle').textContent()) ?? '').includes(
        hash.replace(/^sha256:/, '').slice(0, 12),
      ),
    );
    await page.close();
  });

  it('shows a demotion on the open trust page when a restart fails verification and is rolled back', async () => {
    await c.setLevel(STAGING_RESTART, 2);
    const page = await c.signedIn(`/agents/${AGENT}`);
    const level = scopeLevel(page, STAGING_RESTART);
    await scopeLevel(page, STAGING_RESTART, 2).waitFor(WAIT);
    await mark(page);

    await c.armFault('staging-search');
    const proposed = await c.propose(restart('search', { confidence: 0.95, anomalyScore: 0.1 }));
    assert.equal(proposed.decision.effect, 'execute', JSON.stringify(proposed.decision.reasons));
    rolledBackId = proposed.id;

    await scopeLevel(page, STAGING_RESTART, 0, 1).waitFor(WAIT);
    assert.equal(await marked(page), true, 'the trust page updated in place, without a reload');
    const stored = await c.api('GET', `/v1/actions/${rolledBackId}`);
    assert.equal(stored.status, 'rolled_back');
    const trust = await c.api('GET', `/v1/agents/${AGENT}/trust`);
    const staging = trust.scopes.find((s: { scope: string }) => s.scope === STAGING_RESTART);
    assert.ok(staging.level < 2, `demoted to ${staging.level}`);
    assert.equal(
      await level.getAttribute('data-level'),
      String(staging.level),
      'the page shows the level in force',
    );
    await page.close();
  });

  it("shows the rolled-back restart's path: the failing sample, the failed verification and the rollback", async () => {
    const page = await c.signedIn(`/actions/${rolledBackId}`);
    await page.locator('h1 + [data-testid="status-badge"]').filter({ hasText: 'rolled back' }).waitFor(WAIT);
    const { kinds, seqs } = await timelineOf(page);
    for (const kind of ['execution.finished', 'verification.failed', 'rollback.started', 'rollback.finished'])
      assert.ok(kinds.includes(kind), `${kind} in ${kinds.join(', ')}`);
    assert.ok(!kinds.includes('approval.opened'), 'at level 2 it ran without a person');
    assertIncreasing(seqs);
    const failed = page.locator('[data-testid="timeline-entry"][data-kind="verification.failed"]');
    assert.match((await failed.textContent()) ?? '', /✗/);
    await page.close();
  });

  it('is driven from the keyboard in the inbox: j and k move, d wants a reason, c comments, a approves', async () => {
    await c.setLevel('service.restart@production', 1);
    const first = await c.propose(restart('payments', { environment: 'production' }));
    const second = await c.propose(restart('search', { environment: 'production' }));
    const page = await c.signedIn('/inbox');
    const item = (id: string) => page.locator(`[data-testid="inbox-item"][data-action-id="${id}"]`);
    await item(first.id).waitFor(WAIT);
    await item(second.id).waitFor(WAIT);
    const selected = () =>
      page.locator('[data-testid="inbox-item"][data-selected="true"]').getAttribute('data-action-id');

    await page.keyboard.press('j');
    await page
      .locator(`[data-testid="inbox-item"][data-selected="true"][data-action-id="${second.id}"]`)
      .waitFor(WAIT);
    await page.keyboard.press('k');
    await page
      .locator(`[data-testid="inbox-item"][data-selected="true"][data-action-id="${first.id}"]`)
      .waitFor(WAIT);

    // A deny without a reason is refused and the comment field is focused for one.
    await page.keyboard.press('d');
    await page.getByTestId('api-error').filter({ hasText: 'A deny needs a reason' }).waitFor(WAIT);
    assert.equal(
      await page.getByTestId('vote-comment').evaluate((e) => e === e.ownerDocument.activeElement),
      true,
    );
    await page.getByTestId('vote-comment').blur();

    // Typing in the comment never triggers a shortcut: the text keeps its j, k, a and d.
    await page.keyboard.press('c');
    await page.keyboard.type('ok, jk ad');
    assert.equal(await page.getByTestId('vote-comment').inputValue(), 'ok, jk ad');
    assert.equal(await selected(), first.id);
    await page.getByTestId('vote-comment').blur();
    await page.keyboard.press('a');
    await item(first.id).waitFor({ state: 'detached', ...WAIT });
    const voted = await c.api('GET', `/v1/actions/${first.id}`);
    assert.equal(voted.approval.votes.length, 1);
    assert.equal(voted.approval.votes[0]?.verdict, 'approve');
    assert.equal(voted.approval.votes[0]?.comment, 'ok, jk ad');

    await page.keyboard.press('?');
    await page.getByTestId('shortcut-help').waitFor(WAIT);
    await page.keyboard.press('Escape');
    await page.getByTestId('shortcut-help').waitFor({ state: 'hidden', ...WAIT });
    await page.close();
  });

  for (const [name, viewport] of [
    ['a phone (375×812)', PHONE],
    ['a desktop (1280×800)', DESKTOP],
  ] as const)
    it(`fits every page on ${name}: main content shown, nothing wider than the screen, the nav reachable`, async () => {
      const context = await c.browser.newContext({ viewport, isMobile: viewport === PHONE });
      try {
        const page = await c.signedIn('/inbox', context);
        const fits = async (where: string) => {
          const { scrollWidth, innerWidth } = await widths(page);
          assert.ok(
            scrollWidth <= innerWidth,
            `${where}: ${scrollWidth} px wide on a ${innerWidth} px screen`,
          );
          for (const nav of ['nav-inbox', 'nav-actions', 'nav-agents', 'nav-policies', 'nav-audit']) {
            const box = await page.getByTestId(nav).boundingBox();
            assert.ok(
              box !== null && box.x >= 0 && box.x + box.width <= innerWidth && box.y >= 0,
              `${nav} on screen on ${where}: ${JSON.stringify(box)}`,
            );
          }
        };

        // The inbox with the approval left from the keyboard test selected: its full context.
        await page.getByTestId('inbox-item').first().click();
        await page.getByTestId('approval-detail').waitFor(WAIT);
        await fits('/inbox with an approval selected');

        // The sections through the nav (the console's own navigation), the detail pages by address.
        for (const [nav, content] of [
          ['nav-actions', 'action-row'],
          ['nav-agents', 'agent-card'],
          ['nav-policies', 'policy-rule'],
          ['nav-audit', 'audit-head-seq'],
          ['nav-inbox', 'inbox-item'],
        ] as const) {
          await page.getByTestId(nav).click();
          await page.getByTestId(content).first().waitFor(WAIT);
          await fits(new URL(page.url()).pathname);
        }
        for (const [route, content] of [
          [`/actions/${rolledBackId}`, 'timeline-entry'],
          [`/agents/${AGENT}`, 'reliability-diagram'],
        ] as const) {
          await page.goto(`${c.stack.server.url}${route}`);
          await page.getByTestId(content).first().waitFor(WAIT);
          await fits(route);
        }
      } finally {
        await context.close();
      }
    });

  it('shows the bundle in force on the policies page and verifies the audit chain on the audit page', async () => {
    const page = await c.signedIn('/policies');
    const { hash, rules } = await c.api('GET', '/v1/policy');
    await page.getByTestId('policy-rule').first().waitFor(WAIT);
    assert.equal(await page.locator('[data-testid="policy-hash"] [title]').getAttribute('title'), hash);
    assert.equal(await page.getByTestId('policy-rule').count(), rules.length);

    await page.getByTestId('nav-audit').click();
    await page.getByTestId('verify-button').click();
    const result = page.locator('[data-testid="verify-result"] [data-ok="true"]');
    await result.waitFor(WAIT);
    assert.match((await result.textContent()) ?? '', /The chain verifies/);
    const head = await c.api('GET', '/v1/audit/head');
    const shown = Number((await page.getByTestId('audit-head-seq').textContent())?.replace(/\D/g, ''));
    assert.ok(shown > 0 && shown <= head.seq, `head #${shown} shown, #${head.seq} now`);
    await page.close();
  });
});
