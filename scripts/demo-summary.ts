/** The demo's closing summary, read back from the API: actions by status, levels per scope, the audit chain. */

import type { Action } from 'airlock/sdk';
import { type ScopeTrust, type Story, scopes } from './demo-moves.ts';
import type { StoryResult } from './demo-story.ts';

export interface Summary {
  readonly url: string;
  readonly console: string;
  readonly agent: string;
  readonly incident: string;
  /** Where the project copy is (config, database, server log); removed on exit unless kept. */
  readonly project: { readonly dir: string; readonly kept: boolean; readonly log: string };
  /** Prometheus's URL, or why there was none. */
  readonly prometheus: { readonly url: string | null; readonly missing: string | null };
  readonly story: StoryResult;
  readonly actions: { readonly total: number; readonly byStatus: Readonly<Record<string, number>> };
  readonly trust: readonly ScopeTrust[];
  readonly audit: {
    readonly ok: boolean;
    readonly events: number;
    readonly head: string | null;
    readonly firstBad: number | null;
  };
  readonly durationMs: number;
}

type Context = Omit<Summary, 'actions' | 'trust' | 'audit'>;

export async function summarize(story: Story, context: Context): Promise<Summary> {
  const { actions } = await story.admin.request<{ actions: Action[] }>('GET', '/v1/actions', {
    query: { incident: context.incident, agent: story.agentId, limit: '500' },
    signal: story.signal,
  });
  const byStatus: Record<string, number> = {};
  for (const action of actions) byStatus[action.status] = (byStatus[action.status] ?? 0) + 1;
  const audit = await story.admin.request<Summary['audit']>('GET', '/v1/audit/verify', {
    signal: story.signal,
  });
  return {
    ...context,
    actions: { total: actions.length, byStatus },
    trust: await scopes(story),
    audit: { ok: audit.ok, events: audit.events, head: audit.head, firstBad: audit.firstBad },
  };
}

export function printSummary(story: Story, summary: Summary): void {
  const { n } = story;
  const statuses = Object.entries(summary.actions.byStatus)
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');
  n.raw();
  n.raw(n.style(['bold', 'cyan'], '── Summary '.padEnd(78, '─')));
  n.say(`incident ${summary.incident}: ${summary.actions.total} actions by ${summary.agent} — ${statuses}`);
  n.say(`${summary.agent}'s levels:`);
  for (const s of summary.trust)
    n.say(`  ${s.scope.padEnd(28)} level ${s.level}  (${s.grantedBy}: ${s.reason})`);
  const { audit } = summary;
  n.say(
    audit.ok
      ? `audit chain verified: ${audit.events} events, head ${audit.head}`
      : n.style('red', `audit chain BROKEN at event #${audit.firstBad}`),
  );
  n.say(`took ${(summary.durationMs / 1000).toFixed(1)} s`);
}
