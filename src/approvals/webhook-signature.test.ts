/** Unit and property tests of webhook signatures: what a receiver accepts and what it refuses. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { signWebhook, verifyWebhook } from './webhook-signature.ts';

const SECRET = 'whsec-test-0123456789';
const NOW = 1_750_000_000;
const BODY = JSON.stringify({ text: 'Approval needed: restart api-1 in production', action: 'act_1' });

function headersFor(body: string, at = NOW, secret = SECRET) {
  return { timestamp: String(at), signature: signWebhook(secret, at, body) };
}

function assertRefused(result: ReturnType<typeof verifyWebhook>, reason: RegExp): void {
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.reason, reason);
}

describe('webhook signatures', () => {
  it('has the form v1=<64 hex digits>', () => {
    assert.match(signWebhook(SECRET, NOW, BODY), /^v1=[0-9a-f]{64}$/);
  });

  it('verifies what it signed (round trip)', () => {
    assert.deepEqual(verifyWebhook(SECRET, headersFor(BODY), BODY, NOW), { ok: true });
  });

  it('accepts a timestamp within the tolerance either way', () => {
    assert.equal(verifyWebhook(SECRET, headersFor(BODY, NOW - 300), BODY, NOW).ok, true);
    assert.equal(verifyWebhook(SECRET, headersFor(BODY, NOW + 300), BODY, NOW).ok, true);
  });

  it('refuses a tampered body', () => {
    const tampered = BODY.replace('production', 'staging');
    assertRefused(verifyWebhook(SECRET, headersFor(BODY), tampered, NOW), /does not match/);
  });

  it('refuses a signature made with another secret', () => {
    assertRefused(verifyWebhook(SECRET, headersFor(BODY, NOW, 'other'), BODY, NOW), /does not match/);
  });

  it('refuses a changed timestamp (it is signed too)', () => {
    const { signature } = headersFor(BODY);
    const moved = { timestamp: String(NOW + 1), signature };
    assertRefused(verifyWebhook(SECRET, moved, BODY, NOW), /does not match/);
  });

  it('refuses a stale timestamp (a replay)', () => {
    assertRefused(verifyWebhook(SECRET, headersFor(BODY, NOW - 301), BODY, NOW), /too old/);
    assertRefused(verifyWebhook(SECRET, headersFor(BODY, NOW - 61), BODY, NOW, 60), /too old/);
  });

  it('refuses a timestamp from the future', () => {
    assertRefused(verifyWebhook(SECRET, headersFor(BODY, NOW + 301), BODY, NOW), /future/);
  });

  it('refuses missing headers', () => {
    const { timestamp, signature } = headersFor(BODY);
    assertRefused(verifyWebhook(SECRET, { timestamp: undefined, signature }, BODY, NOW), /missing/);
    assertRefused(verifyWebhook(SECRET, { timestamp, signature: undefined }, BODY, NOW), /missing/);
    assertRefused(verifyWebhook(SECRET, { timestamp: '', signature: '' }, BODY, NOW), /missing/);
  });

  it('refuses malformed signatures and timestamps', () => {
    const { timestamp, signature } = headersFor(BODY);
    const hex = signature.slice(3);
    for (const bad of [hex, `v2=${hex}`, `v1=${hex.slice(1)}`, `v1=${hex}0`, `v1=${hex.toUpperCase()}`]) {
      assertRefused(verifyWebhook(SECRET, { timestamp, signature: bad }, BODY, NOW), /not v1=/);
    }
    for (const bad of ['soon', '-1', '1.5', ` ${timestamp}`, '1e9']) {
      assertRefused(verifyWebhook(SECRET, { timestamp: bad, signature }, BODY, NOW), /unix seconds/);
    }
  });

  it('signs only whole, non-negative seconds', () => {
    assert.throws(() => signWebhook(SECRET, 1.5, BODY), RangeError);
    assert.throws(() => signWebhook(SECRET, -1, BODY), RangeError);
  });

  it('refuses any change to the body (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string({ minLength: 1 }), (body, other, secret) => {
        fc.pre(body !== other);
        const headers = headersFor(body, NOW, secret);
        assert.equal(verifyWebhook(secret, headers, body, NOW).ok, true);
        assert.equal(verifyWebhook(secret, headers, other, NOW).ok, false);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a single changed, added or removed character (property)', () => {
    const edit = fc.record({ at: fc.nat(), char: fc.string({ minLength: 1, maxLength: 1 }), op: fc.nat(2) });
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), edit, (body, { at, char, op }) => {
        const i = at % body.length;
        const changed =
          op === 0
            ? body.slice(0, i) + char + body.slice(i + 1)
            : op === 1
              ? body.slice(0, i) + char + body.slice(i)
              : body.slice(0, i) + body.slice(i + 1);
        fc.pre(changed !== body);
        assert.equal(verifyWebhook(SECRET, headersFor(body), changed, NOW).ok, false);
      }),
      { numRuns: 500 },
    );
  });
});
