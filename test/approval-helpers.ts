/**
 * Shared helpers of the approval tests (test/approvals.*.test.ts): the API types they parse,
 * `expectError`, `kinds`, and `routesYaml`, which writes a routes.yaml with the quickstart's three
 * routes (sre-on-call, capacity-review, two-person; the quickstart policies name the last two)
 * plus a test's own routes and owners.
 */

import assert from 'node:assert/strict';
import { type actionSchema, type approvalSchema, errorSchema } from '../src/api/schemas.ts';
import type { Response } from './harness.ts';

export const MINUTE = 60_000;

export type Action = ReturnType<typeof actionSchema.parse>;
export type ApprovalView = ReturnType<typeof approvalSchema.parse>;
export type PathStep = NonNullable<Action['path']>[number];

/** Check that `response` is an error with this status and code; return the error. */
export function expectError(response: Response, status: number, code: string) {
  assert.equal(response.status, status, response.text);
  const { error } = errorSchema.parse(response.body);
  assert.equal(error.code, code, error.message);
  return error;
}

/** The kinds of an action's path, in order. */
export const kinds = (path: readonly PathStep[] | undefined) => (path ?? []).map((p) => p.kind);

/** The quickstart's owners: agents owned by `platform` take capacity-review. */
export const QUICKSTART_OWNERS: Readonly<Record<string, string>> = { platform: 'capacity-review' };

const QUICKSTART_ROUTES = `  - name: sre-on-call
    steps:
      - { group: sre, quorum: 1, timeout: 15m }
      - { group: platform, quorum: 1, timeout: 30m }
    fallback: deny
  - name: capacity-review
    steps:
      - { group: platform, quorum: 1, timeout: 1h }
    fallback: expire
  - name: two-person
    steps:
      - { group: sre, quorum: 2, timeout: 30m }
    fallback: deny
`;

export interface RoutesYamlOptions {
  /** Agent owner -> route; replaces (does not extend) the quickstart's owners. */
  readonly owners?: Readonly<Record<string, string>>;
  readonly ownerMayApprove?: boolean;
  /** Extra route entries, indented as list items under `routes:` (`  - name: ...`). */
  readonly routes?: string;
  readonly defaultRoute?: string;
}

/** A routes.yaml text: the quickstart's three routes, then `routes`. */
export function routesYaml({
  owners = QUICKSTART_OWNERS,
  ownerMayApprove = false,
  routes = '',
  defaultRoute = 'sre-on-call',
}: RoutesYamlOptions = {}): string {
  const ownerLines = Object.entries(owners).map(([owner, route]) => `  ${owner}: ${route}\n`);
  const extra = routes.trim() === '' ? '' : `${routes.replace(/^\n+/, '').trimEnd()}\n`;
  return (
    `defaultRoute: ${defaultRoute}\n` +
    (ownerLines.length > 0 ? `owners:\n${ownerLines.join('')}` : 'owners: {}\n') +
    `ownerMayApprove: ${ownerMayApprove}\n` +
    `routes:\n${QUICKSTART_ROUTES}${extra}`
  );
}
