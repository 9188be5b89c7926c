/** Audit events and the hash that chains each to the one before (pure; no I/O). */

import { hash } from 'node:crypto';
import type { JsonValue } from '../domain/json.ts';
import { canonicalJson } from './canonical-json.ts';

export const GENESIS_HASH = '0'.repeat(64);

export type ActorKind = 'agent' | 'person' | 'system';

export interface Actor {
  readonly kind: ActorKind;
  readonly id: string;
}

/** An event before it is placed in the chain. */
export interface NewAuditEvent {
  readonly kind: string;
  readonly actor: Actor;
  /** What the event is about, e.g. an action id or an agent id. */
  readonly subject: string | null;
  readonly data: JsonValue;
  /** When it happened; defaults to the time given to the append. */
  readonly at?: string;
}

/** An event as stored: `data` is kept as canonical JSON text, so that the hash covers the exact bytes. */
export interface AuditRecord {
  readonly seq: number;
  readonly at: string;
  readonly kind: string;
  readonly actor: Actor;
  readonly subject: string | null;
  readonly data: string;
  readonly prevHash: string;
  readonly hash: string;
}

/** An event without its data: what callers need to point at it (the decision path, say). */
export type AuditRef = Omit<AuditRecord, 'data'>;

export function sha256Hex(text: string): string {
  return hash('sha256', text);
}

/**
 * The SHA-256 of the event's canonical JSON, which includes the previous event's hash.
 * `data` is embedded as already-canonical text; any change to its bytes changes the hash.
 */
export function hashEvent(event: Omit<AuditRecord, 'hash'>): string {
  const text =
    `{"actor":${canonicalJson(event.actor)},"at":${JSON.stringify(event.at)},"data":${event.data},` +
    `"kind":${JSON.stringify(event.kind)},"prevHash":${JSON.stringify(event.prevHash)},` +
    `"seq":${event.seq},"subject":${JSON.stringify(event.subject)}}`;
  return sha256Hex(text);
}

/** Place new events after `head` (the last stored event, or null for an empty chain). */
export function chainEvents(
  head: { readonly seq: number; readonly hash: string } | null,
  events: readonly NewAuditEvent[],
  at: string,
): AuditRecord[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  return events.map((event) => {
    seq += 1;
    const unhashed = {
      seq,
      at: event.at ?? at,
      kind: event.kind,
      actor: event.actor,
      subject: event.subject,
      data: canonicalJson(event.data),
      prevHash,
    };
    const record = { ...unhashed, hash: hashEvent(unhashed) };
    prevHash = record.hash;
    return record;
  });
}
