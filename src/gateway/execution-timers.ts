/**
 * Every second: permits that expired with no report turn their actions `unknown`, and actions
 * cleared elsewhere (approved from the command line) are claimed and started. Both live in the
 * database, so this sees what other processes did too.
 */

import type { ExecutionService } from './execution-service.ts';
import type { Logger } from './logger.ts';

export class ExecutionTimers {
  readonly #executions: ExecutionService;
  readonly #logger: Logger;
  readonly #everyMs: number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(executions: ExecutionService, logger: Logger, options: { everyMs?: number } = {}) {
    this.#executions = executions;
    this.#logger = logger;
    this.#everyMs = options.everyMs ?? 1_000;
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => {
      if (this.#running !== null) return;
      this.#running = this.#executions
        .expireDue()
        .then(() => this.#executions.startUnclaimed())
        .then(
          () => {},
          (error: unknown) =>
            this.#logger.error({ event: 'permits.timer_failed', err: error }, 'expiring permits failed'),
        )
        .finally(() => {
          this.#running = null;
        });
    }, this.#everyMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
