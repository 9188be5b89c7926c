/** Simulated time: a clock the simulator moves, and an agenda of timed events run in order. */

import type { Clock } from '../gateway/clock.ts';

/** Milliseconds in a minute, an hour and a day. */
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** A clock that only moves forward, when the simulator says so. */
export class SimClock implements Clock {
  #now: number;

  constructor(start: string | Date) {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  /** Milliseconds since the epoch. */
  get millis(): number {
    return this.#now;
  }

  /** Move to `at`; a time in the past leaves the clock where it is. */
  moveTo(at: number): void {
    if (at > this.#now) this.#now = at;
  }
}

interface Entry {
  readonly at: number;
  readonly seq: number;
  readonly run: () => Promise<void>;
}

/**
 * Events to run at simulated times, earliest first; events at the same time run in the order
 * they were scheduled. A binary heap, so a run of months stays fast.
 */
export class Agenda {
  readonly #heap: Entry[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  /** Schedule `run` at `at` (milliseconds since the epoch). */
  at(at: number, run: () => Promise<void>): void {
    this.#heap.push({ at, seq: this.#seq++, run });
    this.#up(this.#heap.length - 1);
  }

  /** When the next event is due, or null when there is none. */
  peek(): number | null {
    return this.#heap[0]?.at ?? null;
  }

  /** Run events in time order, moving the clock to each, until none is due at or before `until`. */
  async runUntil(clock: SimClock, until: number): Promise<void> {
    for (;;) {
      const first = this.#heap[0];
      if (first === undefined || first.at > until) return;
      this.#pop();
      clock.moveTo(first.at);
      await first.run();
    }
  }

  #pop(): void {
    const last = this.#heap.pop();
    if (last === undefined || this.#heap.length === 0) return;
    this.#heap[0] = last;
    this.#down(0);
  }

  #less(a: number, b: number): boolean {
    const x = this.#heap[a] as Entry;
    const y = this.#heap[b] as Entry;
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }

  #swap(a: number, b: number): void {
    const x = this.#heap[a] as Entry;
    this.#heap[a] = this.#heap[b] as Entry;
    this.#heap[b] = x;
  }

  #up(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(index: number): void {
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.#heap.length && this.#less(left, smallest)) smallest = left;
      if (right < this.#heap.length && this.#less(right, smallest)) smallest = right;
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }
}
