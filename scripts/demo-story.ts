/**
 * The story the demo tells: incident-bot works one incident (checkout leaks memory after a
 * deploy) while its trust grows from advisory to scoped autonomy, until a production restart
 * fails verification, is rolled back, and the scope is demoted at once.
 */

import type { Proposal } from 'airlock/sdk';
import type { Fleet } from '../sandbox/fleet.ts';
import {
  type ActionReport,
  approve,
  follow,
  promote,
  propose,
  reportOf,
  type Story,
  scopes,
} from './demo-moves.ts';

export const INCIDENT = 'INC-4711';
const STAGING = 'service.restart@staging';
const PRODUCTION = 'service.restart@production';
const BEAT_MS = 2_500;

export interface StoryResult {
  readonly incident: string;
  readonly advisory: ActionReport;
  readonly assisted: ActionReport;
  readonly autonomous: readonly ActionReport[];
  readonly production: ActionReport;
  /** The production scope before and after the rollback. */
  readonly demotion: {
    readonly scope: string;
    readonly from: number | null;
    readonly to: number | null;
    readonly reason: string | null;
  };
  /** The agent's next production restart, after the demotion: it waits for a human. */
  readonly retry: ActionReport;
}

export interface StoryDeps {
  readonly fleet: Fleet;
  /** The verification checks of service.restart, by name, and their window. */
  readonly checks: readonly string[];
  readonly window: string;
}

export async function tellStory(story: Story, deps: StoryDeps): Promise<StoryResult> {
  const advisory = await advisoryChapter(story);
  const assisted = await assistedChapter(story, deps);
  const autonomous = await conditionalChapter(story);
  const { production, before } = await scopedChapter(story, deps);
  const { after, retry } = await demotionChapter(story, before);
  return {
    incident: INCIDENT,
    advisory: reportOf(advisory),
    assisted: reportOf(assisted),
    autonomous: autonomous.map(reportOf),
    production: reportOf(production),
    demotion: {
      scope: PRODUCTION,
      from: before,
      to: after?.level ?? null,
      reason: after?.reason ?? null,
    },
    retry: reportOf(retry),
  };
}

let proposals = 0;

/** A restart of `service` in `environment`, as part of the incident. */
function restart(
  environment: string,
  service: string,
  stated: { confidence: number; anomalyScore: number },
  reasoning: string,
): Proposal {
  proposals += 1;
  return {
    type: 'service.restart',
    environment,
    targets: [{ id: service }],
    params: { reason: 'memory leak after deploy 2026.11.3', graceSeconds: 30 },
    ...stated,
    reasoning,
    incident: INCIDENT,
    context: { alert: 'CheckoutMemoryHigh', deploy: '2026.11.3', rssGrowthMbPerHour: 40 },
    idempotencyKey: `${INCIDENT}-${proposals}`,
  };
}

async function advisoryChapter(story: Story) {
  const { n } = story;
  n.chapter(
    'Level 0 — advisory',
    'An agent starts as an advisor: what it proposes is recorded, never executed.',
  );
  n.say(`${story.agentId} holds no level for ${STAGING}: an unlisted scope is level 0.`);
  await n.pause(BEAT_MS);
  const advised = await propose(
    story,
    restart(
      'staging',
      'checkout',
      { confidence: 0.93, anomalyScore: 0.1 },
      'RSS of checkout grows 40 MB/h since deploy 2026.11.3; a restart clears it.',
    ),
  );
  await story.admin.request('POST', `/v1/actions/${advised.id}/review`, {
    body: { verdict: 'agree', comment: 'right call: the leak is in 2026.11.3' },
    signal: story.signal,
  });
  n.person('alice reviews the advice: agree — agreement with its advice is how an agent earns level 1');
  await n.pause(BEAT_MS);
  return advised;
}

async function assistedChapter(story: Story, deps: StoryDeps) {
  const { n } = story;
  n.chapter('Level 1 — assisted execution', 'Every action needs a human approval of its exact params first.');
  await promote(story, STAGING, 1, 'demo: supervised restarts in staging');
  await n.pause(BEAT_MS);
  const proposed = await propose(
    story,
    restart(
      'staging',
      'checkout',
      { confidence: 0.93, anomalyScore: 0.1 },
      'The leak is back on staging checkout; restarting frees the memory.',
    ),
  );
  const approved = proposed.status === 'pending_approval' ? await approve(story, proposed) : proposed;
  if (approved.status !== 'denied' && approved.status !== 'expired')
    n.say(
      `Airlock runs the restart on the sandbox fleet, then verifies it for ${deps.window}: ${deps.checks.join('; ')}.`,
    );
  const done = await follow(story, approved);
  await n.pause(BEAT_MS);
  return done;
}

async function conditionalChapter(story: Story) {
  const { n } = story;
  n.chapter(
    'Level 2 — conditional autonomy',
    'Low-risk, reversible actions outside production run alone when confident.',
  );
  await promote(story, STAGING, 2, 'demo: restarts in staging may run alone');
  n.say(
    'Each proposal states its confidence and how unusual the situation is; the thresholds are in airlock.yaml.',
  );
  await n.pause(BEAT_MS);
  const done = [];
  for (const [service, confidence, anomalyScore] of [
    ['checkout', 0.91, 0.12],
    ['search', 0.88, 0.2],
    ['payments', 0.86, 0.3],
  ] as const) {
    const action = await propose(
      story,
      restart(
        'staging',
        service,
        { confidence, anomalyScore },
        `Staging ${service} runs 2026.11.3 and leaks too; restart it.`,
      ),
    );
    done.push(await follow(story, action));
    await n.pause(BEAT_MS / 2);
  }
  await n.pause(BEAT_MS);
  return done;
}

async function scopedChapter(story: Story, deps: StoryDeps) {
  const { n } = story;
  n.chapter(
    'Level 3 — scoped autonomy in production',
    'Verified low/medium-risk types may run alone in production, inside its change windows.',
  );
  await promote(story, PRODUCTION, 3, 'demo: verified restarts in production');
  const before = (await scopes(story)).find((s) => s.scope === PRODUCTION)?.level ?? null;
  const broken = await fetch(`${deps.fleet.url}/services/production-checkout/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ onRestart: { errorRate: 0.5, latencyMs: 900 } }),
    signal: story.signal,
  });
  if (!broken.ok) throw new Error(`the sandbox fleet refused the fault: ${await broken.text()}`);
  n.say(
    n.style(
      'dim',
      'Behind the scenes, the script breaks the sandbox fleet: production checkout will come back from its next restart failing half its requests.',
    ),
  );
  await n.pause(BEAT_MS);
  let production = await propose(
    story,
    restart(
      'production',
      'checkout',
      { confidence: 0.92, anomalyScore: 0.2 },
      'Production checkout shows the same leak; restart it before it runs out of memory.',
    ),
  );
  if (production.status === 'pending_approval') {
    n.say('Even level 3 needs a human for this one (the ✗ above); once approved, the restart is the same.');
    production = await approve(story, production);
  }
  production = await follow(story, production);
  const checkout = deps.fleet.service('production-checkout');
  if (production.status === 'rolled_back' && checkout !== undefined)
    n.detail(
      `sandbox fleet: production-checkout error rate ${Math.round(checkout.errorRate * 100)}% after the rollback`,
    );
  await n.pause(BEAT_MS);
  return { production, before };
}

async function demotionChapter(story: Story, before: number | null) {
  const { n } = story;
  n.chapter(
    'Automatic demotion',
    'Autonomy is lost on failure: at once, by the rules in airlock.yaml, no human needed.',
  );
  const after = (await scopes(story)).find((s) => s.scope === PRODUCTION);
  n.airlock(
    `${PRODUCTION}: level ${before ?? '?'} → ${after?.level ?? '?'}, set by ${after?.grantedBy ?? '?'}: ${after?.reason ?? ''}`,
  );
  n.say('The rule is in trust.demotion; the level fell in the transaction that recorded the outcome.');
  await n.pause(BEAT_MS);
  const retry = await propose(
    story,
    restart(
      'production',
      'checkout',
      { confidence: 0.92, anomalyScore: 0.2 },
      'Checkout still leaks in production; restart it.',
    ),
  );
  if (retry.status === 'pending_approval')
    n.callout(`it waits in the inbox at ${story.url}/inbox: approve or deny it yourself`);
  return { after, retry };
}
