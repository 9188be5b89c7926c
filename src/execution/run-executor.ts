/** One entry point for both executor kinds. */

import type { ExecutorSpec } from '../catalog/catalog-schema.ts';
import { runCommand } from './command-executor.ts';
import type { ExecutorOutcome } from './executor-outcome.ts';
import { runHttp } from './http-executor.ts';
import type { TemplateContext, TemplateEnv } from './template.ts';

export interface RunOptions {
  readonly env: TemplateEnv;
  /** Commands' working directories are relative to it (the catalog file's directory). */
  readonly baseDir: string;
  readonly signal?: AbortSignal;
}

export function runExecutor(
  spec: ExecutorSpec,
  ctx: TemplateContext,
  options: RunOptions,
): Promise<ExecutorOutcome> {
  return spec.kind === 'http' ? runHttp(spec, ctx, options) : runCommand(spec, ctx, options);
}
