/** What a CLI verb is: its usage, its options, and how it runs. */

import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & { readonly description: string };

export interface CommandContext {
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly json: boolean;
  /** airlock.yaml to use: --config, else $AIRLOCK_CONFIG, else ./airlock.yaml. */
  readonly configPath: string;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface Command {
  /** e.g. `agents add` */
  readonly name: string;
  readonly summary: string;
  /** Positional part of the usage line, e.g. `<id> --owner <group>`. */
  readonly usage: string;
  /** More to say in `--help`, after the summary: paragraphs, one line each (wrapped as written). */
  readonly help?: readonly string[];
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** Has data output, so takes --json. */
  readonly json?: boolean;
  run(context: CommandContext): Promise<number | undefined>;
}

/** A failure to report as one line, exit code 1 (2 for usage mistakes). */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  readonly lines: readonly string[];

  constructor(message: string, options: { exitCode?: number; lines?: readonly string[] } = {}) {
    super(message);
    this.exitCode = options.exitCode ?? 1;
    this.lines = options.lines ?? [];
  }
}

export function required(context: CommandContext, index: number, name: string): string {
  const value = context.positionals[index];
  if (value === undefined || value === '') throw new CliError(`missing <${name}>`, { exitCode: 2 });
  return value;
}

export function option(context: CommandContext, name: string): string | undefined {
  const value = context.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function requiredOption(context: CommandContext, name: string): string {
  const value = option(context, name);
  if (value === undefined || value.trim() === '') throw new CliError(`missing --${name}`, { exitCode: 2 });
  return value;
}
