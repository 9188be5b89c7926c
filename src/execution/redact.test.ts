/** Unit tests of redaction: secrets anywhere in a value, and credential headers. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDACTED, redact, redactHeaders } from './redact.ts';

describe('redact', () => {
  it('replaces every occurrence in every string, however deep, keys included', () => {
    const value = {
      message: 'sent hunter2-key twice: hunter2-key',
      list: [1, true, null, ['nested hunter2-key']],
      deep: { 'hunter2-key': { text: 'x-hunter2-key-y' } },
    };
    assert.deepEqual(redact(value, ['hunter2-key']), {
      message: `sent ${REDACTED} twice: ${REDACTED}`,
      list: [1, true, null, [`nested ${REDACTED}`]],
      deep: { [REDACTED]: { text: `x-${REDACTED}-y` } },
    });
  });

  it('leaves the input unchanged', () => {
    const value = { a: 'secret-value' };
    redact(value, ['secret-value']);
    assert.deepEqual(value, { a: 'secret-value' });
  });

  it('redacts a longer secret whole when it contains a shorter one', () => {
    assert.equal(redact('key=abcd-efgh', ['abcd', 'abcd-efgh']), `key=${REDACTED}`);
  });

  it('treats secrets as text, not patterns', () => {
    assert.equal(redact('a.b*c and axbbc', ['a.b*c']), `${REDACTED} and axbbc`);
  });

  it('ignores empty and very short secrets', () => {
    assert.equal(redact('one two four', ['', 'o', 'two', 'four']), `one two ${REDACTED}`);
  });
});

describe('redactHeaders', () => {
  it('blanks credential headers and the named sensitive ones, whatever their case', () => {
    const headers = {
      Authorization: 'Bearer x',
      cookie: 'a=b',
      'X-API-Key': 'k',
      'x-airlock-signature': 't=1,v1=ab',
      'X-Custom-Token': 'from a secret',
      'content-type': 'application/json',
    };
    assert.deepEqual(redactHeaders(headers, ['x-custom-token']), {
      Authorization: REDACTED,
      cookie: REDACTED,
      'X-API-Key': REDACTED,
      'x-airlock-signature': REDACTED,
      'X-Custom-Token': REDACTED,
      'content-type': 'application/json',
    });
  });
});
