/**
 * Shared helpers of the shadow policy tests: a live bundle and a shadow one that is stricter for
 * restarts and looser for full cache flushes, and reading the metrics and audit events they leave.
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Harness, QUICKSTART } from './harness.ts';

/** Live: the quickstart, plus a rule denying full cache flushes. */
export const NO_FULL_FLUSH = `rules:
  - name: no-full-flush
    match: { types: [cache.flush] }
    when: has(request.params.keyPattern) && request.params.keyPattern == "*"
    effect: deny
    reason: A full flush empties every cache at once.
`;

/**
 * Shadow: the quickstart's routine rules with restarts escalated (stricter), no no-full-flush rule
 * (looser), a deny limit on restart targets, and a flush rate only the shadow counts.
 */
export async function shadowFiles(): Promise<Record<string, string>> {
  const guardrails = await readFile(path.join(QUICKSTART, 'policies', 'guardrails.yaml'), 'utf8');
  const routine = await readFile(path.join(QUICKSTART, 'policies', 'routine.yaml'), 'utf8');
  const stricter = routine.replace(/(- name: restart-services[\s\S]*?effect: )allow/, '$1escalate');
  if (stricter === routine) throw new Error('routine.yaml no longer has restart-services');
  return {
    'policies-next/guardrails.yaml': guardrails,
    'policies-next/routine.yaml': stricter,
    'policies-next/limits.yaml': `limits:
  - name: restart-targets
    match: { types: [service.restart] }
    targets: { max: 1 }
    effect: deny
    reason: one instance at a time
  - name: flush-rate
    match: { types: [cache.flush] }
    rate: { count: 1, per: 1h, by: [agent, type] }
    effect: escalate
    reason: one flush an hour without a human
`,
    'policies-next/routine.test.yaml': '# a policy test suite travels with its policies\n',
  };
}

/** The project files of a shadow test: the live extra rule, the shadow directory, and `policy.shadow`. */
export async function shadowProject(
  shadow = true,
): Promise<Record<string, string | ((s: string) => string)>> {
  return {
    'policies/no-full-flush.yaml': NO_FULL_FLUSH,
    ...(await shadowFiles()),
    ...(shadow
      ? {
          'airlock.yaml': (text: string) =>
            text.replace('  defaultEffect: escalate', '  defaultEffect: escalate\n  shadow: policies-next'),
        }
      : {}),
  };
}

/** A counter or gauge sample from /metrics; 0 when absent. */
export async function metric(h: Harness, name: string, labels: string): Promise<number> {
  const response = await h.request('GET', '/metrics');
  const line = response.text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

/** The audit events of a subject, with their data parsed. */
export async function eventsOf(h: Harness, subject: string) {
  return (await h.airlock.store.auditForSubject(subject)).map((e) => ({
    kind: e.kind,
    actor: e.actor,
    data: JSON.parse(e.data) as Record<string, unknown>,
  }));
}
