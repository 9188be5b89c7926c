/**
 * `airlock policy shadow report|promote`: where the shadow policy bundle disagrees with the live
 * one, and making its files the live ones (admins; audited).
 */

import type { ShadowReport } from '../../gateway/shadow-service.ts';
import type { ShadowDecisionRecord } from '../../store/records.ts';
import { CliError, type Command, option, requiredOption } from '../command.ts';
import { AS_OPTION, actingPerson, withAirlock } from '../open-airlock.ts';
import { json, shortHash, table } from '../output.ts';

function limitOf(text: string | undefined): number {
  if (text === undefined) return 20;
  if (!/^\d{1,3}$/.test(text) || Number(text) > 500)
    throw new CliError('--limit takes a number from 0 to 500', { exitCode: 2 });
  return Number(text);
}

/** What made the difference: `+rule` newly matched, `-rule` no longer, `rule allow→deny`. */
export function differenceText(rules: ShadowDecisionRecord['rules']): string {
  const parts = [
    ...rules.newlyMatched.map((r) => `+${r}`),
    ...rules.noLongerMatched.map((r) => `-${r}`),
    ...rules.effectChanged.map((c) => `${c.rule} ${c.live}→${c.shadow}`),
  ];
  return parts.length === 0 ? '(none)' : parts.join(' ');
}

function reportText(report: ShadowReport): string[] {
  const lines: string[] = [];
  const { shadow, live } = report;
  if (shadow === null) lines.push('no shadow policy bundle is loaded (set policy.shadow in airlock.yaml)');
  else {
    lines.push(
      `shadow ${shortHash(shadow.hash)}: ${shadow.rules} rules and ${shadow.limits} limits in ${shadow.files.length} files` +
        `${shadow.sameAsLive ? ' (the live files: nothing to promote)' : ''}; live ${shortHash(live.hash)}`,
    );
  }
  const scope =
    report.filter.shadowBundle === null ? 'every shadow bundle' : shortHash(report.filter.shadowBundle);
  const since = report.filter.since === null ? '' : ` since ${report.filter.since}`;
  lines.push(
    `${report.disagreements} disagreement${report.disagreements === 1 ? '' : 's'} (${scope}${since})`,
  );
  if (report.disagreements === 0) return lines;
  lines.push(
    '',
    table(
      report.transitions.map((t) => [`${t.live} → ${t.shadow}`, t.change, String(t.count)]),
      ['LIVE → SHADOW', 'CHANGE', 'COUNT'],
    ),
  );
  if (report.rules.length > 0) {
    lines.push(
      '',
      table(
        report.rules.map((r) => [
          r.rule,
          String(r.newlyMatched),
          String(r.noLongerMatched),
          String(r.effectChanged),
        ]),
        ['RULE', 'NEWLY MATCHED', 'NO LONGER MATCHED', 'EFFECT CHANGED'],
      ),
    );
  }
  if (report.latest.length > 0) {
    lines.push(
      '',
      table(
        report.latest.map((d) => [
          d.actionId,
          d.agentId,
          `${d.type}@${d.environment}`,
          `${d.liveEffect} → ${d.shadowEffect}`,
          differenceText(d.rules),
        ]),
        ['ACTION', 'AGENT', 'TYPE@ENV', 'LIVE → SHADOW', 'RULES'],
      ),
    );
  }
  return lines;
}

export const policyShadowCommands: readonly Command[] = [
  {
    name: 'policy shadow report',
    summary: 'Where the shadow policy bundle disagrees with the live one: by transition, by rule, the latest',
    usage: '[--since <time|duration>] [--limit <n>] [--bundle <hash|all>]',
    json: true,
    options: {
      since: { type: 'string', description: 'Only disagreements since a time or a duration ago (24h, 7d)' },
      limit: { type: 'string', description: 'How many of the latest to list (default 20)' },
      bundle: {
        type: 'string',
        description: "Another shadow bundle's disagreements (its hash), or all; default the shadow loaded",
      },
    },
    async run(context) {
      const limit = limitOf(option(context, 'limit'));
      const report = await withAirlock(context, (airlock) =>
        airlock.shadow.report({ since: option(context, 'since'), bundle: option(context, 'bundle'), limit }),
      );
      if (context.json) context.out(json(report));
      else context.out(reportText(report).join('\n'));
      return 0;
    },
  },
  {
    name: 'policy shadow promote',
    summary: 'Make the shadow policy files the live ones (admins; audited); a running server reloads them',
    usage: '--as <admin> --reason <why> [--expect <hash>]',
    json: true,
    options: {
      reason: { type: 'string', description: 'Why (required; recorded with the promotion)' },
      expect: { type: 'string', description: 'Refuse unless this is the shadow bundle loaded (as reviewed)' },
      ...AS_OPTION,
    },
    async run(context) {
      const reason = requiredOption(context, 'reason');
      const result = await withAirlock(context, async (airlock) => {
        const person = actingPerson(context, airlock, ['admin']);
        return airlock.shadow.promote(
          person,
          { reason, expectHash: option(context, 'expect') },
          // A running server reloads the files itself (file watch, or SIGHUP): this process only writes them.
          { reload: false },
        );
      });
      if (context.json) context.out(json(result));
      else {
        context.out(
          `promoted shadow ${shortHash(result.shadow)} (${result.disagreements} disagreement${result.disagreements === 1 ? '' : 's'} recorded): ` +
            `the live bundle is now ${shortHash(result.bundle)}, was ${shortHash(result.previous)}. ` +
            'A running server picks it up by its file watch, or on SIGHUP.',
        );
      }
      return 0;
    },
  },
];
