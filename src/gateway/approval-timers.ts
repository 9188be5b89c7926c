/**
 * Durable timers for approvals: deadlines live in the database, and this loop applies the ones
 * that have passed, waking at the next deadline or at least every second (so approvals opened by
 * another process are watched too). On start-up it first resolves everything overdue.
 */

import type { ApprovalService } from './approval-service.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './logger.ts';

export class ApprovalTimers {
  readonly #approvals: ApprovalService;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #maxSleepMs: number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = true;

  constructor(
    approvals: ApprovalService,
    clock: Clock,
    logger: Logger,
    options: { maxSleepMs?: number } = {},
  ) {
    this.#approvals = approvals;
    this.#clock = clock;
    this.#logger = logger;
    this.#maxSleepMs = options.maxSleepMs ?? 1_000;
  }

  /** Resolve what is overdue now, then keep watching. */
  async start(): Promise<void> {
    this.#stopped = false;
    const moved = await this.#approvals.resolveDue();
    if (moved > 0)
      this.#logger.info(
        { event: 'approvals.overdue', moved },
        `${moved} overdue approval(s) moved on start-up`,
      );
    await this.#arm();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  #tick(): void {
    this.#timer = null;
    this.#running = this.#approvals
      .resolveDue()
      .then(
        () => {},
        (error: unknown) =>
          this.#logger.error(
            { event: 'approvals.timer_failed', err: error },
            'applying approval deadlines failed',
          ),
      )
      .then(() => this.#arm())
      .finally(() => {
        this.#running = null;
      });
  }

  async #arm(): Promise<void> {
    if (this.#stopped) return;
    let sleep = this.#maxSleepMs;
    try {
      const next = await this.#approvals.nextDeadline();
      if (next !== null)
        sleep = Math.min(sleep, Math.max(10, Date.parse(next) - this.#clock.now().getTime()));
    } catch (error) {
      this.#logger.warn(
        { event: 'approvals.timer_failed', err: error },
        'reading the next approval deadline failed',
      );
    }
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.#tick(), sleep);
    this.#timer.unref();
  }
}
