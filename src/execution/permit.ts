/**
 * Single-use permits: what an agent gets instead of Airlock executing an action of an
 * agent-executed type. A permit is signed by Airlock (HMAC-SHA256 with a key every replica
 * shares) and bound to one action, its exact request (the params hash) and an expiry; the
 * agent presents it once, with the outcome. Pure: the key is passed in.
 *
 *     apt1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(key, "apt1." + claims part))>
 */

import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'apt1';

export interface PermitClaims {
  /** The action it permits. */
  readonly action: string;
  /** SHA-256 of the action's canonical request: other params, other permit. */
  readonly requestHash: string;
  /** ISO 8601; after it, the permit is worthless and the action `unknown`. */
  readonly expiresAt: string;
  /** Random per permit, so two permits for one action never look alike. */
  readonly nonce: string;
}

export function signPermit(claims: PermitClaims, key: Buffer): string {
  const body = `${PREFIX}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${mac(body, key)}`;
}

/** The claims of a well-formed permit signed with `key`, or null (expiry is the caller's to judge). */
export function readPermit(token: string, key: Buffer): PermitClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return null;
  const body = `${parts[0]}.${parts[1]}`;
  const expected = Buffer.from(mac(body, key));
  const given = Buffer.from(parts[2] ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as PermitClaims;
    const fields = [claims.action, claims.requestHash, claims.expiresAt, claims.nonce];
    return fields.every((f) => typeof f === 'string') ? claims : null;
  } catch {
    return null;
  }
}

function mac(body: string, key: Buffer): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}
