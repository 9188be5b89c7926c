/** The one error envelope: `{"error": {"code", "message", "details", "requestId"}}`, for every failure. */

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AirlockError, ERROR_CODES, type ErrorCode } from '../domain/errors.ts';
import { OutcomeUnknownError } from '../store/write-ops.ts';
import { WriterThreadError } from '../store/writer-thread.ts';

const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_VALIDATION: 'bad_request',
};

export function toAirlockError(error: unknown): AirlockError {
  if (error instanceof AirlockError) return error;
  if (error instanceof OutcomeUnknownError) {
    return new AirlockError(
      'unavailable',
      'the write could not be confirmed; if you sent an idempotencyKey, send the same request again: it returns the recorded action if there is one',
      [],
      { cause: error },
    );
  }
  if (error instanceof WriterThreadError) {
    return new AirlockError('unavailable', 'the write was not recorded; try again', [], { cause: error });
  }
  const code = (error as FastifyError | undefined)?.code;
  const mapped = code === undefined ? undefined : FASTIFY_CODES[code];
  if (mapped !== undefined) return new AirlockError(mapped, (error as Error).message);
  const status = (error as FastifyError | undefined)?.statusCode;
  if (status === 404) return new AirlockError('not_found', 'no such route');
  if (status !== undefined && status >= 400 && status < 500)
    return new AirlockError('bad_request', (error as Error).message);
  return new AirlockError('internal', 'internal error', [], { cause: error });
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const airlockError = toAirlockError(error);
  if (airlockError.code === 'internal' || airlockError.code === 'unavailable') {
    request.log.error({ err: error }, 'request failed');
  }
  return reply.status(ERROR_CODES[airlockError.code]).send({
    error: {
      code: airlockError.code,
      message: airlockError.message,
      details: airlockError.details,
      requestId: request.id,
    },
  });
}
