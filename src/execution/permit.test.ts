import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { type PermitClaims, readPermit, signPermit } from './permit.ts';

const key = randomBytes(32);
const claims: PermitClaims = {
  action: 'act_1',
  requestHash: 'abc',
  expiresAt: '2026-11-24T10:00:00.000Z',
  nonce: 'n1',
};

describe('permits', () => {
  it('round-trips its claims under the same key', () => {
    assert.deepEqual(readPermit(signPermit(claims, key), key), claims);
  });

  it('refuses another key, a changed claim, a changed signature and garbage', () => {
    const token = signPermit(claims, key);
    assert.equal(readPermit(token, randomBytes(32)), null);
    const [prefix, body, sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, action: 'act_2' })).toString('base64url');
    assert.equal(readPermit(`${prefix}.${forged}.${sig}`, key), null);
    assert.equal(readPermit(`${prefix}.${body}.${sig?.slice(0, -2)}AA`, key), null);
    for (const junk of ['', 'apt1', 'apt1..', 'x.y.z', `apt2.${body}.${sig}`])
      assert.equal(readPermit(junk, key), null);
  });

  it('two permits for one action differ by their nonce', () => {
    assert.notEqual(signPermit(claims, key), signPermit({ ...claims, nonce: 'n2' }, key));
  });
});
