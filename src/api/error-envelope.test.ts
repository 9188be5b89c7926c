/** Every failure maps to one code and status of the closed set, with a message a caller can act on. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AirlockError } from '../domain/errors.ts';
import { OutcomeUnknownError } from '../store/write-ops.ts';
import { WriterThreadError } from '../store/writer-thread.ts';
import { toAirlockError } from './error-envelope.ts';

const fastifyError = (code: string, statusCode: number) =>
  Object.assign(new Error(code), { code, statusCode });

describe('toAirlockError', () => {
  const cases: { name: string; error: unknown; code: string; status: number; message?: RegExp }[] = [
    {
      name: 'an AirlockError passes through',
      error: new AirlockError('forbidden', 'no'),
      code: 'forbidden',
      status: 403,
    },
    {
      name: 'malformed JSON',
      error: fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400),
      code: 'malformed_json',
      status: 400,
    },
    {
      name: 'an empty JSON body',
      error: fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400),
      code: 'malformed_json',
      status: 400,
    },
    {
      name: 'a body over the limit',
      error: fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413),
      code: 'payload_too_large',
      status: 413,
    },
    {
      name: 'a body that is not JSON',
      error: fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415),
      code: 'unsupported_media_type',
      status: 415,
    },
    {
      name: 'another 4xx from the framework',
      error: fastifyError('FST_ERR_X', 400),
      code: 'bad_request',
      status: 400,
    },
    {
      name: 'a write whose outcome is unknown: retry with the idempotency key',
      error: new OutcomeUnknownError('writer died'),
      code: 'unavailable',
      status: 503,
      message: /send the same request again: it returns the recorded action/,
    },
    {
      name: 'a write that was rolled back',
      error: new WriterThreadError('constraint'),
      code: 'unavailable',
      status: 503,
      message: /not recorded; try again/,
    },
    {
      name: 'anything else is internal, without its details',
      error: new Error('secret path /x'),
      code: 'internal',
      status: 500,
      message: /^internal error$/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const mapped = toAirlockError(c.error);
      assert.equal(mapped.code, c.code);
      assert.equal(mapped.status, c.status);
      if (c.message !== undefined) assert.match(mapped.message, c.message);
    });
  }
});
