/** Reading the audit chain: verify (optionally against an anchored head), head, export, per subject. */

import type { AuditRecord } from '../audit/audit-event.ts';
import { ChainVerifier, type VerifyReport } from '../audit/chain-verifier.ts';
import type { StoreReader } from '../store/store.ts';

const PAGE = 2_000;

export class AuditService {
  readonly #store: StoreReader;

  constructor(store: StoreReader) {
    this.#store = store;
  }

  /** Walk the whole chain in pages; `onProgress` gets the count so far. */
  async verify(anchor?: string, onProgress?: (events: number) => void): Promise<VerifyReport> {
    const verifier = new ChainVerifier({ anchor });
    let count = 0;
    for await (const record of this.events()) {
      verifier.push(record);
      count += 1;
      if (count % PAGE === 0) onProgress?.(count);
    }
    return verifier.report();
  }

  async *events(afterSeq = 0): AsyncGenerator<AuditRecord> {
    let after = afterSeq;
    for (;;) {
      const page = await this.#store.auditRange(after, PAGE);
      if (page.length === 0) return;
      yield* page;
      after = page[page.length - 1]?.seq ?? after;
      if (page.length < PAGE) return;
    }
  }

  head() {
    return this.#store.auditHead();
  }

  /** The last event's sequence number, hash and time; null for an empty chain. */
  async headEvent(): Promise<{ seq: number; hash: string; at: string } | null> {
    const head = await this.#store.auditHead();
    if (head === null) return null;
    const [event] = await this.#store.auditRange(head.seq - 1, 1);
    return event === undefined ? null : { seq: event.seq, hash: event.hash, at: event.at };
  }

  forSubject(subject: string): Promise<AuditRecord[]> {
    return this.#store.auditForSubject(subject);
  }
}

/** An event as exported and shown: `data` parsed back into JSON. */
export function eventView(record: AuditRecord) {
  return {
    seq: record.seq,
    at: record.at,
    kind: record.kind,
    actor: record.actor,
    subject: record.subject,
    data: JSON.parse(record.data) as unknown,
    prevHash: record.prevHash,
    hash: record.hash,
  };
}
