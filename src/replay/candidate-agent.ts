/**
 * The HTTP client to a candidate agent in an incident replay: POST one step's request as JSON and
 * read its answer, bounded in time and size. Never throws: every failure is a reason for the report.
 */

import { zodDetails } from '../domain/proposal-schema.ts';
import { sendRequest } from '../execution/http-request.ts';
import { type StepRequest, stepAnswerSchema } from './incident-protocol.ts';

/** The most of an answer read; a longer one is a bad answer. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

export type CandidateReply =
  | { readonly kind: 'answered'; readonly actions: readonly unknown[] }
  | {
      readonly kind: 'failed';
      readonly error: string;
      /** False when no connection was ever made: the agent's URL cannot be reached. */
      readonly reached: boolean;
    };

export interface AskOptions {
  /** For the whole exchange, connecting to the last byte of the answer. */
  readonly timeoutMs: number;
}

/**
 * Ask the candidate agent at `url` what it proposes at this step.
 *
 * @example
 * const reply = await askCandidate(new URL('http://127.0.0.1:8700/step'), request, { timeoutMs: 30_000 });
 * if (reply.kind === 'answered') reply.actions; // proposal bodies, not yet checked
 */
export async function askCandidate(
  url: URL,
  request: StepRequest,
  options: AskOptions,
): Promise<CandidateReply> {
  const exchange = await sendRequest({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(request),
    timeout: options.timeoutMs,
    maxBodyBytes: MAX_ANSWER_BYTES,
  });
  switch (exchange.kind) {
    case 'unsent':
      return { kind: 'failed', error: exchange.error, reached: false };
    case 'broken':
      return { kind: 'failed', error: exchange.error, reached: true };
    case 'answered':
      break;
    default: {
      const never: never = exchange;
      return never;
    }
  }
  const failed = (error: string): CandidateReply => ({ kind: 'failed', error, reached: true });
  if (exchange.status < 200 || exchange.status > 299)
    return failed(`answered HTTP ${exchange.status}${snippet(exchange.body)}`);
  if (exchange.truncated) return failed(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(exchange.body.toString('utf8'));
  } catch {
    return failed(`the answer is not JSON${snippet(exchange.body)}`);
  }
  const parsed = stepAnswerSchema.safeParse(body);
  if (!parsed.success) {
    const problems = zodDetails(parsed.error).map((d) => `${d.path}: ${d.message}`);
    return failed(`the answer is not {"actions": [...]}: ${problems.join('; ')}`);
  }
  return { kind: 'answered', actions: parsed.data.actions };
}

/** The start of a body, on one line, for an error message. */
function snippet(body: Buffer): string {
  const text = body.toString('utf8', 0, 200).replace(/\s+/g, ' ').trim();
  return text === '' ? '' : ` (${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)})`;
}
