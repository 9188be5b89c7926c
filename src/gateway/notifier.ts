/**
 * The outbox deliverer. Approval changes leave webhook messages in the outbox, in the same
 * transaction as the change; this sends them afterwards, signed, retrying with exponential backoff,
 * and records each final outcome (delivered, or given up on) in the audit chain. Nothing in the
 * decision path waits for it. Several processes may run one each on a database: a message is
 * claimed (a compare-and-set of its attempt count) before it is sent, and the claim is a lease
 * that outlives the send's timeout, so a process that dies mid-send only delays the message.
 * Delivery is at least once; receivers drop repeats by the delivery id header.
 */

import type { Routing, Webhook } from '../approvals/routing.ts';
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
} from '../approvals/webhook-signature.ts';
import type { JsonObject } from '../domain/json.ts';
import type { OutboxRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export interface NotifierDeps {
  readonly store: Store;
  /** The routing in force: webhooks are looked up by name at each attempt, so reloads apply. */
  readonly routing: () => Routing;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Real time in milliseconds, for retry timing and signature timestamps; `Date.now` by default. */
  readonly now?: () => number;
  /** The time given to audit events. */
  readonly auditClock: Clock;
  /** Told of each audit event recorded (a final outcome). */
  readonly onRecorded?: (seq: number, subject: string) => void;
  /** How often the loop looks for due messages; 500 ms by default. */
  readonly pollMs?: number;
  /** How long `stop()` lets sends in flight finish before aborting them; 2 s by default. */
  readonly stopGraceMs?: number;
}

/** Messages read per pass. */
export const BATCH_SIZE = 20;
/** Messages in flight at once in one process. */
const MAX_IN_FLIGHT = 100;
/** A claim outlives its send's timeout by this much before another process may take it over. */
export const LEASE_SLACK_MS = 5_000;
export const MAX_BACKOFF_MS = 5 * 60_000;
/** The longest error text kept in the outbox and the audit chain. */
const MAX_ERROR_CHARS = 300;
/** The most of a refusing receiver's answer kept in the error text. */
const MAX_SNIPPET_BYTES = 200;
const SYSTEM = { kind: 'system', id: 'airlock' } as const;

type Sent =
  | { readonly ok: true; readonly status: number }
  | {
      readonly ok: false;
      readonly status: number | null;
      readonly error: string;
      /** Aborted by `stop()`: not the receiver's fault, so the attempt is given back. */
      readonly interrupted: boolean;
    };

type FinalResult = 'delivered' | 'failed';

/** The wait before attempt `attempt + 1`: `backoff`, doubling per attempt, at most 5 minutes. */
export function backoffMs(webhook: Pick<Webhook, 'backoff'>, attempt: number): number {
  return Math.min(webhook.backoff * 2 ** Math.max(0, attempt - 1), MAX_BACKOFF_MS);
}

export class Notifier {
  readonly #deps: NotifierDeps;
  readonly #now: () => number;
  readonly #pollMs: number;
  readonly #graceMs: number;
  /** Deliveries running in this process, by message id. */
  readonly #inFlight = new Map<string, Promise<boolean>>();
  #abort = new AbortController();
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  /** The loop's pass that is reading and claiming, if any. */
  #pass: Promise<void> | null = null;
  #kicked = false;

  constructor(deps: NotifierDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#pollMs = deps.pollMs ?? 500;
    this.#graceMs = deps.stopGraceMs ?? 2_000;
  }

  /** Look for due messages every `pollMs`, and whenever kicked, until `stop()`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#abort.signal.aborted) this.#abort = new AbortController();
    this.#schedule(0);
  }

  /** Look for due messages soon (a new message was enqueued); kicks close together make one pass. */
  kick(): void {
    if (!this.#running) return;
    if (this.#pass !== null) this.#kicked = true;
    else this.#schedule(0);
  }

  /**
   * One pass: take the due messages (at most 20) and send them concurrently; resolves when they
   * are settled. Returns how many messages this call took (claimed), whatever their outcome; a
   * message another process claimed first is not counted. Rejects only if the outbox cannot be read.
   */
  async deliverDue(): Promise<number> {
    const { started } = await this.#startDue();
    const taken = await Promise.all(started);
    return taken.filter(Boolean).length;
  }

  /**
   * Stop the loop and wait for sends in flight; after a grace period they are aborted, and an
   * aborted attempt is given back (the message is due again at once). Call before closing the store.
   */
  async stop(): Promise<void> {
    this.#running = false;
    this.#kicked = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#pass;
    await this.#drain();
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#pass = this.#loopPass().finally(() => {
        this.#pass = null;
      });
    }, delayMs);
    this.#timer.unref();
  }

  /** The loop's pass: start the due sends without waiting for them, then schedule the next pass. */
  async #loopPass(): Promise<void> {
    let full = false;
    try {
      const { due, limit, started } = await this.#startDue();
      full = started.length > 0 && due === limit;
    } catch (error) {
      this.#deps.logger.warn({ event: 'webhook.error', err: error }, 'cannot read the webhook outbox');
    }
    if (!this.#running) return;
    const again = this.#kicked || full;
    this.#kicked = false;
    this.#schedule(again ? 0 : this.#pollMs);
  }

  async #startDue(): Promise<{ due: number; limit: number; started: Promise<boolean>[] }> {
    const limit = Math.min(BATCH_SIZE, MAX_IN_FLIGHT - this.#inFlight.size);
    if (limit <= 0) return { due: 0, limit, started: [] };
    const due = await this.#deps.store.dueDeliveries(this.#iso(), limit);
    const fresh = due.filter((message) => !this.#inFlight.has(message.id));
    return { due: due.length, limit, started: fresh.map((message) => this.#track(message)) };
  }

  /** Run one delivery, remembered while in flight; never rejects. */
  #track(message: OutboxRecord): Promise<boolean> {
    const delivery = this.#deliver(message)
      .catch((error: unknown) => {
        this.#deps.logger.warn(
          { event: 'webhook.error', delivery: message.id, webhook: message.webhook, err: error },
          'a webhook delivery could not be recorded; it is retried when its claim runs out',
        );
        return false;
      })
      .finally(() => this.#inFlight.delete(message.id));
    this.#inFlight.set(message.id, delivery);
    return delivery;
  }

  /** Claim, send and settle one message; false when another process had claimed it. */
  async #deliver(message: OutboxRecord): Promise<boolean> {
    const webhook = this.#deps.routing().webhooks.get(message.webhook);
    if (webhook === undefined) {
      const error = `webhook "${message.webhook}" is no longer configured`;
      return this.#finish(message, message.attempts, message.attempts, 'failed', null, error);
    }
    const attempt = message.attempts + 1;
    if (!(await this.#claim(message, webhook, attempt))) return false;
    const sent = await this.#send(message, webhook);
    if (sent.ok) {
      await this.#finish(message, attempt, attempt, 'delivered', sent.status, message.lastError);
    } else if (sent.interrupted) {
      await this.#giveBack(message, attempt, sent.error);
    } else if (attempt < webhook.attempts) {
      await this.#retry(message, webhook, attempt, sent);
    } else {
      await this.#finish(message, attempt, attempt, 'failed', sent.status, sent.error);
    }
    return true;
  }

  /** Take the message for one attempt: no other process sends it until the lease runs out. */
  #claim(message: OutboxRecord, webhook: Webhook, attempt: number): Promise<boolean> {
    const now = this.#now();
    return this.#deps.store.write((tx) =>
      tx.updateDelivery(message.id, message.attempts, {
        status: 'pending',
        attempts: attempt,
        nextAttemptAt: this.#iso(now + webhook.timeout + LEASE_SLACK_MS),
        lastError: message.lastError,
        updatedAt: this.#iso(now),
      }),
    );
  }

  /** POST the payload, signed; never rejects. */
  async #send(message: OutboxRecord, webhook: Webhook): Promise<Sent> {
    const stopping = this.#abort.signal;
    const body = JSON.stringify(message.payload);
    const timestamp = Math.floor(this.#now() / 1000);
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'airlock-webhooks',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhook(webhook.secret, timestamp, body),
          [DELIVERY_HEADER]: message.id,
          [EVENT_HEADER]: message.event,
        },
        body,
        // A redirect would send the signed message somewhere it was not configured to go.
        redirect: 'manual',
        signal: AbortSignal.any([stopping, AbortSignal.timeout(webhook.timeout)]),
      });
      if (response.status >= 200 && response.status < 300) {
        await response.body?.cancel().catch(() => {});
        return { ok: true, status: response.status };
      }
      const snippet = await readSnippet(response);
      const error = `HTTP ${response.status}${snippet === '' ? '' : `: ${snippet}`}`;
      return { ok: false, status: response.status, error: clip(error), interrupted: false };
    } catch (error) {
      const interrupted = stopping.aborted;
      return { ok: false, status: null, error: describeFailure(error, webhook, interrupted), interrupted };
    }
  }

  async #retry(
    message: OutboxRecord,
    webhook: Webhook,
    attempt: number,
    sent: Extract<Sent, { ok: false }>,
  ): Promise<void> {
    const now = this.#now();
    const wait = backoffMs(webhook, attempt);
    const updated = await this.#deps.store.write((tx) =>
      tx.updateDelivery(message.id, attempt, {
        status: 'pending',
        attempts: attempt,
        nextAttemptAt: this.#iso(now + wait),
        lastError: sent.error,
        updatedAt: this.#iso(now),
      }),
    );
    if (!updated) return;
    this.#deps.metrics.webhookDeliveries.inc({ result: 'retried' });
    this.#deps.logger.warn(
      {
        event: 'webhook.failed',
        ...logFields(message, attempt),
        status: sent.status,
        error: sent.error,
        retryInMs: wait,
        final: false,
      },
      `webhook ${message.webhook}: attempt ${attempt} of ${webhook.attempts} failed; retrying in ${wait} ms`,
    );
  }

  /** An attempt cut short by `stop()` does not count: the message is due again at once. */
  async #giveBack(message: OutboxRecord, attempt: number, error: string): Promise<void> {
    const now = this.#iso();
    await this.#deps.store.write((tx) =>
      tx.updateDelivery(message.id, attempt, {
        status: 'pending',
        attempts: message.attempts,
        nextAttemptAt: now,
        lastError: error,
        updatedAt: now,
      }),
    );
  }

  /**
   * Record the final outcome and its audit event in one transaction, if the message is still
   * at `expected` attempts (else another process took it over and settles it); true if recorded.
   */
  async #finish(
    message: OutboxRecord,
    expected: number,
    attempts: number,
    result: FinalResult,
    status: number | null,
    error: string | null,
  ): Promise<boolean> {
    const now = this.#iso();
    const data: JsonObject = {
      delivery: message.id,
      webhook: message.webhook,
      event: message.event,
      attempts,
      status,
      error,
    };
    const recorded = await this.#deps.store.write(async (tx) => {
      const changes = { status: result, attempts, nextAttemptAt: now, lastError: error, updatedAt: now };
      if (!(await tx.updateDelivery(message.id, expected, changes))) return null;
      const event = { kind: `notification.${result}`, actor: SYSTEM, subject: message.subject, data };
      const [record] = await tx.appendAudit([event], this.#deps.auditClock.now().toISOString());
      return record ?? null;
    });
    if (recorded === null) return false;
    this.#deps.metrics.webhookDeliveries.inc({ result });
    this.#deps.metrics.auditEvents.inc();
    this.#deps.onRecorded?.(recorded.seq, message.subject);
    this.#logFinal(message, result, attempts, status, error);
    return true;
  }

  #logFinal(
    message: OutboxRecord,
    result: FinalResult,
    attempts: number,
    status: number | null,
    error: string | null,
  ): void {
    const fields = { ...logFields(message, attempts), status };
    if (result === 'delivered') {
      this.#deps.logger.debug(
        { event: 'webhook.delivered', ...fields },
        `webhook ${message.webhook}: delivered`,
      );
    } else {
      this.#deps.logger.warn(
        { event: 'webhook.failed', ...fields, error, final: true },
        `webhook ${message.webhook}: gave up after ${attempts} attempt(s)`,
      );
    }
  }

  /** Wait for sends in flight; abort those still running after the grace period. */
  async #drain(): Promise<void> {
    if (this.#inFlight.size === 0) return;
    const settled = () => Promise.allSettled([...this.#inFlight.values()]);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#graceMs);
    });
    await Promise.race([settled(), grace]);
    clearTimeout(timer);
    this.#abort.abort();
    await settled();
  }

  #iso(ms: number = this.#now()): string {
    return new Date(ms).toISOString();
  }
}

/** Log fields naming a message; never the URL (chat webhook URLs are secrets) nor the signature. */
function logFields(message: OutboxRecord, attempt: number) {
  return {
    delivery: message.id,
    webhook: message.webhook,
    subject: message.subject,
    about: message.event,
    attempt,
  };
}

function describeFailure(error: unknown, webhook: Webhook, interrupted: boolean): string {
  if (interrupted) return 'interrupted: Airlock stopped before the receiver answered';
  if (error instanceof DOMException && error.name === 'TimeoutError') {
    return `no answer within ${webhook.timeout} ms`;
  }
  const text =
    error instanceof Error
      ? error.cause instanceof Error
        ? `${error.message}: ${error.cause.message}`
        : error.message
      : String(error);
  return clip(text.replaceAll(webhook.url, '<webhook url>'));
}

/** The start of a refusing receiver's answer, on one line; empty if it cannot be read. */
async function readSnippet(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut off (or timed out) after the status line: the status says enough.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const text = Buffer.concat(chunks).subarray(0, MAX_SNIPPET_BYTES).toString('utf8');
  return text.replace(/\s+/g, ' ').trim();
}

function clip(text: string): string {
  return text.length <= MAX_ERROR_CHARS ? text : `${text.slice(0, MAX_ERROR_CHARS - 1)}…`;
}
