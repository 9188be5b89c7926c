/** The replay report as Markdown: summary, transitions, rules and limits, unrecorded counters, examples, skipped. Pure. */

import type { Counted, Example, ReplayReport } from './replay-report.ts';

const n = (value: number) => value.toLocaleString('en-US');

function share(part: number, whole: number): string {
  return whole === 0 ? '' : `${(Math.round((part / whole) * 1000) / 10).toFixed(1)}%`;
}

/** `sha256:1a2b3c4d5e6f`: enough of a bundle hash for people. */
function short(hash: string): string {
  return `\`${hash.startsWith('sha256:') ? hash.slice(0, 19) : hash.slice(0, 12)}\``;
}

/** Table cells may hold messages: keep their pipes and line breaks from breaking the table. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function ids(actions: readonly string[], total: number): string {
  if (actions.length === 0) return '';
  const listed = actions.map((id) => `\`${id}\``).join(', ');
  return total > actions.length ? `${listed}, …` : listed;
}

function table(header: readonly string[], align: string, rows: readonly (readonly string[])[]): string[] {
  return [`| ${header.join(' | ')} |`, align, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)];
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${n(count)} ${count === 1 ? one : many}`;
}

/**
 * Render a report for people (and pull requests).
 *
 * @example
 * process.stdout.write(renderMarkdown(report));
 */
export function renderMarkdown(report: ReplayReport): string {
  const { totals } = report;
  const lines: string[] = [`# Replay of ${plural(totals.replayed, 'decision')}`, ''];
  lines.push(...header(report), '');
  if (totals.replayed + totals.skipped === 0) lines.push('No recorded decision matches the selection.', '');
  lines.push('## Summary', '', ...summary(report), '');
  lines.push('## Changes by transition', '');
  if (report.transitions.length === 0) lines.push('No decision changed its effect.');
  else
    lines.push(
      ...table(
        ['before', 'after', 'change', 'decisions'],
        '| --- | --- | --- | ---: |',
        report.transitions.map((t) => [t.from, t.to, t.change, n(t.decisions)]),
      ),
    );
  lines.push('', '## Rules and limits', '');
  if (report.rules.length === 0) lines.push('No rule or limit newly matches or stops matching any decision.');
  else {
    lines.push(
      ...table(
        ['rule or limit', 'newly matches', 'stops matching', 'e.g.'],
        '| --- | ---: | ---: | --- |',
        report.rules.map((r) => [
          `\`${r.name}\``,
          n(r.newlyMatched.decisions),
          n(r.noLongerMatched.decisions),
          ids(
            examplesOf(r.newlyMatched, r.noLongerMatched),
            r.newlyMatched.decisions + r.noLongerMatched.decisions,
          ),
        ]),
      ),
      '',
      '`limit:` names a limit the decision exceeds.',
    );
  }
  lines.push(...unrecorded(report));
  lines.push('', '## Examples', '');
  const kinds = [
    ['Stricter', report.examples.stricter, totals.stricter],
    ['Looser', report.examples.looser, totals.looser],
    [
      'Same effect, different rules',
      report.examples.sameEffectDifferentRules,
      totals.sameEffectDifferentRules,
    ],
  ] as const;
  for (const [title, examples, total] of kinds) {
    lines.push(`### ${title} (${n(total)})`, '');
    if (examples.length === 0) lines.push('None.');
    for (const e of examples) lines.push(...exampleLines(e));
    lines.push('');
  }
  lines.push('## Skipped', '');
  if (report.skipped.length === 0) lines.push('None: every selected decision was replayed.');
  else
    lines.push(
      ...table(
        ['reason', 'decisions', 'e.g.'],
        '| --- | ---: | --- |',
        report.skipped.map((s) => [s.reason, n(s.decisions), ids(s.actions, s.decisions)]),
      ),
    );
  return `${lines.join('\n')}\n`;
}

function header(report: ReplayReport): string[] {
  const { candidate, filter } = report;
  const policies =
    candidate.policies === null ? "the project's policies" : `policies from \`${candidate.policies}\``;
  const trust = candidate.trust === null ? 'trust as recorded' : `trust settings from \`${candidate.trust}\``;
  const selection = Object.entries(filter).map(([key, value]) => `${key} ${value}`);
  const recorded = report.recordedBundles.map(
    (b) =>
      `${short(b.bundle)} (${plural(b.decisions, 'decision')}${b.bundle === candidate.bundle ? ', the candidate' : ''})`,
  );
  return [
    `Candidate: bundle ${short(candidate.bundle)} (${policies}); ${trust}.`,
    `Selection: ${selection.length === 0 ? 'every recorded decision' : selection.join(', ')}.`,
    ...(recorded.length === 0 ? [] : [`Recorded under: ${recorded.join(', ')}.`]),
  ];
}

function summary(report: ReplayReport): string[] {
  const { totals, selfCheck } = report;
  const all = totals.replayed;
  const lines = table(['outcome', 'decisions', 'share'], '| --- | ---: | ---: |', [
    ['unchanged', n(totals.unchanged), share(totals.unchanged, all)],
    [
      '… same effect, different rules',
      n(totals.sameEffectDifferentRules),
      share(totals.sameEffectDifferentRules, all),
    ],
    ['stricter', n(totals.stricter), share(totals.stricter, all)],
    ['looser', n(totals.looser), share(totals.looser, all)],
    ['skipped (not replayed)', n(totals.skipped), ''],
  ]);
  if (selfCheck !== null && selfCheck.decisions > 0) {
    const { differing } = selfCheck;
    lines.push(
      '',
      differing.decisions === 0
        ? `Self-check: all ${plural(selfCheck.decisions, 'decision')} recorded under the candidate bundle came out exactly as recorded.`
        : `**Warning:** ${n(differing.decisions)} of the ${plural(selfCheck.decisions, 'decision')} recorded under the candidate bundle ` +
            `came out differently (${ids(differing.actions, differing.decisions)}): their stored facts or the decision logic differ from when they were decided.`,
    );
  }
  return lines;
}

function unrecorded(report: ReplayReport): string[] {
  const u = report.unrecordedCounters;
  if (u.decisions === 0) return [];
  return [
    '',
    '## Limits whose counters were not recorded',
    '',
    `${plural(u.decisions, 'decision')} touch a limit whose counters were not recorded when they were decided ` +
      '(a new limit, or one that now counts differently). Replay cannot know those counts, so the limit counts as ' +
      `exceeded, as the gateway does with a count it cannot read. ${n(u.stricterBecauseOfThem)} of the stricter ` +
      'decisions are stricter only because of this, not because the policy tightened.',
    '',
    ...table(
      ['limit', 'decisions'],
      '| --- | ---: |',
      u.limits.map((l) => [`\`${l.limit}\``, n(l.decisions)]),
    ),
    '',
    `Examples: ${ids(u.actions, u.decisions)}`,
  ];
}

function examplesOf(a: Counted, b: Counted): string[] {
  return [...a.actions, ...b.actions].slice(0, 5);
}

function exampleLines(e: Example): string[] {
  const level =
    e.level.before === e.level.after
      ? `level ${e.level.before}`
      : `level ${e.level.before} → ${e.level.after}`;
  const lines = [
    `- \`${e.action}\` ${e.agent} \`${e.type}@${e.environment}\` at ${e.at}: **${e.before} → ${e.after}** (${level})`,
  ];
  const names = (list: readonly string[]) => list.map((name) => `\`${name}\``).join(', ');
  if (e.newlyMatched.length > 0) lines.push(`  - newly matches ${names(e.newlyMatched)}`);
  if (e.noLongerMatched.length > 0) lines.push(`  - no longer matches ${names(e.noLongerMatched)}`);
  for (const message of e.nowBlocking) lines.push(`  - now held back by: ${message}`);
  for (const message of e.noLongerBlocking) lines.push(`  - no longer cited: ${message}`);
  return lines;
}
