/** Tokens for agents and people: issued (returned once, stored as a hash) and revoked, inside a transaction, audited. */

import type { Actor } from '../audit/audit-event.ts';
import type { StoreTx } from '../store/store.ts';
import { hashToken, newToken, type TokenKind } from './tokens.ts';

/** Issue a token for a principal; the token is returned once and only its hash is stored. */
export async function issueToken(
  tx: StoreTx,
  kind: TokenKind,
  principalId: string,
  by: Actor,
  at: string,
): Promise<string> {
  const token = newToken(kind);
  const hash = hashToken(token);
  await tx.insertCredential({ hash, principalKind: kind, principalId, createdAt: at, revokedAt: null });
  await tx.appendAudit(
    [
      {
        kind: `${kind}.token_issued`,
        actor: by,
        subject: principalId,
        data: { tokenHash: hash.slice(0, 12) },
      },
    ],
    at,
  );
  return token;
}

/** Revoke every live token of a principal at once; returns how many there were. */
export async function revokeTokens(
  tx: StoreTx,
  kind: TokenKind,
  principalId: string,
  by: Actor,
  at: string,
): Promise<number> {
  const revoked = await tx.revokeCredentials(kind, principalId, at);
  await tx.appendAudit(
    [{ kind: `${kind}.tokens_revoked`, actor: by, subject: principalId, data: { revoked } }],
    at,
  );
  return revoked;
}
