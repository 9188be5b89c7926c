/** Verifies an audit chain read in sequence order; finds the first changed, missing or moved event. */

import { type AuditRecord, GENESIS_HASH, hashEvent } from './audit-event.ts';

export interface VerifyReport {
  readonly ok: boolean;
  readonly events: number;
  /** Hash of the last event that verified, or null when none did. */
  readonly head: string | null;
  /** Sequence number where the chain first breaks, or null when it verifies. */
  readonly firstBad: number | null;
  readonly problem: string | null;
}

/**
 * Incremental verifier: feed records in ascending `seq` order, then read `report()`.
 * Judging stops at the first break: nothing after it can be trusted.
 *
 * @example
 * const verifier = new ChainVerifier();
 * for (const record of records) verifier.push(record);
 * verifier.report(); // { ok: true, events: 3, head: 'ab12…', firstBad: null, problem: null }
 */
export class ChainVerifier {
  readonly #anchor: string | null;
  #anchorSeen = false;
  #events = 0;
  #expectedSeq = 1;
  #start = 1;
  #prevHash = GENESIS_HASH;
  #firstBad: number | null = null;
  #problem: string | null = null;

  /**
   * @param options.anchor a head hash recorded outside the database earlier (`airlock audit head`);
   * the chain must still contain it, so that events deleted from the end are detected too.
   * @param options.from verify a segment that starts after event `seq`, whose hash was `hash`
   * (e.g. an export made with `--after`); by default the chain starts at event 1.
   */
  constructor(
    options: { anchor?: string | undefined; from?: { seq: number; hash: string } | undefined } = {},
  ) {
    this.#anchor = options.anchor ?? null;
    if (options.from !== undefined) {
      this.#expectedSeq = options.from.seq + 1;
      this.#prevHash = options.from.hash;
      this.#start = options.from.seq + 1;
    }
  }

  push(record: AuditRecord): void {
    this.#events += 1;
    if (this.#firstBad !== null) return;
    const problem = this.#check(record);
    if (problem !== null) {
      this.#firstBad = this.#expectedSeq;
      this.#problem = problem;
      return;
    }
    if (record.hash === this.#anchor) this.#anchorSeen = true;
    this.#prevHash = record.hash;
    this.#expectedSeq += 1;
  }

  #check(record: AuditRecord): string | null {
    if (record.seq !== this.#expectedSeq) {
      return `expected event ${this.#expectedSeq}, found ${record.seq} (an event is missing or moved)`;
    }
    if (record.prevHash !== this.#prevHash) return `event ${record.seq} does not link to the event before it`;
    if (hashEvent(record) !== record.hash)
      return `event ${record.seq} does not match its hash (it was changed)`;
    return null;
  }

  report(): VerifyReport {
    const head = this.#expectedSeq === this.#start ? null : this.#prevHash;
    if (this.#firstBad === null && this.#anchor !== null && !this.#anchorSeen) {
      return {
        ok: false,
        events: this.#events,
        head,
        firstBad: this.#expectedSeq,
        problem: `the chain does not contain the anchored head ${this.#anchor} (events were removed or replaced)`,
      };
    }
    return {
      ok: this.#firstBad === null,
      events: this.#events,
      head,
      firstBad: this.#firstBad,
      problem: this.#problem,
    };
  }
}
