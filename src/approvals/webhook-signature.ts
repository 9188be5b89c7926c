/**
 * Signatures of outgoing webhooks: an HMAC-SHA256 of `<unix seconds>.<body>` under the webhook's
 * secret, sent with the timestamp so that a receiver can check both who sent a message and that
 * it is fresh (a captured message replayed later fails). Pure; receivers may copy it.
 */

import { createHmac, timingSafeEqual } from 'node:crypto';

/** Unix seconds at which the message was signed. */
export const TIMESTAMP_HEADER = 'X-Airlock-Timestamp';
/** `v1=<hex HMAC-SHA256>` of `<timestamp>.<body>`. */
export const SIGNATURE_HEADER = 'X-Airlock-Signature';
/** The outbox id of the message: the same on every retry, so receivers can drop duplicates. */
export const DELIVERY_HEADER = 'X-Airlock-Delivery';
/** What happened, e.g. `approval.opened`. */
export const EVENT_HEADER = 'X-Airlock-Event';

/** How far a timestamp may be from the receiver's clock, either way, by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const VERSION = 'v1=';
const SIGNATURE = /^v1=[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,12}$/;

export type Verification = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** The signature header's value for `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`a webhook timestamp is whole unix seconds, not ${timestamp}`);
  }
  return sign(secret, String(timestamp), body);
}

/**
 * Check a received webhook: the signature matches the exact body bytes and the timestamp is
 * within `toleranceSeconds` of `nowSeconds`. Compares in constant time.
 *
 * @param headers the values of {@link TIMESTAMP_HEADER} and {@link SIGNATURE_HEADER}, as received.
 * @param body the raw request body, before any JSON parsing.
 *
 * @example
 * // In a receiver (here node:http), on the raw body:
 * const result = verifyWebhook(
 *   process.env.AIRLOCK_WEBHOOK_SECRET,
 *   { timestamp: req.headers['x-airlock-timestamp'], signature: req.headers['x-airlock-signature'] },
 *   rawBody,
 *   Math.floor(Date.now() / 1000),
 * );
 * if (!result.ok) return res.writeHead(401).end(result.reason);
 * // Messages are retried: drop one whose X-Airlock-Delivery id was seen already.
 * const message = JSON.parse(rawBody); // { text: '…', … }
 */
export function verifyWebhook(
  secret: string,
  headers: { readonly timestamp: string | undefined; readonly signature: string | undefined },
  body: string,
  nowSeconds: number,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): Verification {
  const { timestamp, signature } = headers;
  if (timestamp === undefined || timestamp === '') return refuse(`missing ${TIMESTAMP_HEADER}`);
  if (signature === undefined || signature === '') return refuse(`missing ${SIGNATURE_HEADER}`);
  if (!TIMESTAMP.test(timestamp)) return refuse(`${TIMESTAMP_HEADER} is not unix seconds`);
  if (!SIGNATURE.test(signature)) return refuse(`${SIGNATURE_HEADER} is not v1=<64 hex digits>`);
  const age = nowSeconds - Number(timestamp);
  if (age > toleranceSeconds) return refuse('the timestamp is too old (a replay?)');
  if (age < -toleranceSeconds) return refuse('the timestamp is in the future');
  // Over the header exactly as received, so no two header texts share one signature.
  const expected = Buffer.from(sign(secret, timestamp, body));
  const received = Buffer.from(signature);
  // Equal lengths by the format check; timingSafeEqual throws on unequal ones, so check anyway.
  if (expected.length !== received.length || !timingSafeEqual(expected, received)) {
    return refuse('the signature does not match');
  }
  return { ok: true };
}

function sign(secret: string, timestamp: string, body: string): string {
  return VERSION + createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

function refuse(reason: string): Verification {
  return { ok: false, reason };
}
