/** Bearer tokens: high-entropy random strings, stored only as their SHA-256. */

import { hash, randomBytes } from 'node:crypto';

export type TokenKind = 'agent' | 'person';

const PREFIX: Record<TokenKind, string> = { agent: 'alk_agent_', person: 'alk_person_' };

/** A new token; the prefix only helps people recognise it (the stored kind decides what it may do). */
export function newToken(kind: TokenKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return hash('sha256', token);
}
