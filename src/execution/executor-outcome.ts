/** What an executor reports, and running one per target. */

import type { JsonObject, JsonValue } from '../domain/json.ts';
import type { TemplateContext } from './template.ts';

export interface ExecutorOutcome {
  /**
   * succeeded: it ran and said so. failed: it certainly did not (or said it failed). unknown: it
   * may or may not have taken effect (timeout after sending, connection lost mid-answer).
   */
  readonly outcome: 'succeeded' | 'failed' | 'unknown';
  /** One line, redacted. */
  readonly message: string;
  /** What was sent and received, redacted. */
  readonly detail: JsonObject;
  /** The parsed answer (response body or stdout), redacted; for mapping rollback params. */
  readonly output: JsonValue | null;
}

/** The most of an answer's text (a response body, stdout) kept as its record or output. */
export const MAX_RECORDED_BYTES = 4 * 1024;

/** `text` cut to `maxBytes` of UTF-8, marked when cut (or when it was cut before: `truncated`). */
export function clipText(text: string, maxBytes: number = MAX_RECORDED_BYTES, truncated = false): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.byteLength <= maxBytes && !truncated) return text;
  return `${bytes.subarray(0, maxBytes).toString('utf8')}… [truncated]`;
}

/** Whitespace runs (newlines included) as single spaces: messages are one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** An outcome for a call that was never made (a template without a value, a missing key). */
export function notRun(message: string, detail: JsonObject = {}): ExecutorOutcome {
  return { outcome: 'failed', message: oneLine(`not run: ${message}`), detail, output: null };
}

/**
 * Run once per target, in order, with `target` bound; stop at the first that does not succeed
 * (its outcome is the whole one: later targets are left alone rather than half the fleet changed
 * after a failure). The output is the list of `{ target, output }` of the targets that ran.
 */
export async function runPerTarget(
  ctx: TemplateContext,
  runOne: (ctx: TemplateContext) => Promise<ExecutorOutcome>,
): Promise<ExecutorOutcome> {
  const runs: JsonObject[] = [];
  const outputs: JsonObject[] = [];
  for (const [index, target] of ctx.targets.entries()) {
    const result = await runOne({ ...ctx, target });
    runs.push({ target: target.id, outcome: result.outcome, message: result.message, ...result.detail });
    outputs.push({ target: target.id, output: result.output });
    if (result.outcome !== 'succeeded') {
      const skipped = ctx.targets.slice(index + 1).map((t) => t.id);
      const rest = skipped.length === 0 ? '' : `; not attempted: ${skipped.join(', ')}`;
      const message = `target ${target.id} (${index + 1} of ${ctx.targets.length}): ${result.message}${rest}`;
      return {
        outcome: result.outcome,
        message,
        detail: { perTarget: true, runs, skipped },
        output: outputs,
      };
    }
  }
  const message =
    ctx.targets.length === 0 ? 'no targets: nothing to run' : `all ${ctx.targets.length} targets succeeded`;
  return { outcome: 'succeeded', message, detail: { perTarget: true, runs, skipped: [] }, output: outputs };
}
