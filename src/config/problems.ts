/** Problems found in input files, each saying where (file:line:column and field path) and what. */

export interface Problem {
  readonly file: string;
  readonly line: number | null;
  readonly column: number | null;
  /** Field path inside the file, e.g. `rules[2].when`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
}

export function formatProblem(problem: Problem): string {
  const where =
    problem.line === null ? problem.file : `${problem.file}:${problem.line}:${problem.column ?? 1}`;
  return problem.path === '' ? `${where} ${problem.message}` : `${where} ${problem.path}: ${problem.message}`;
}

/** The outcome of loading something that can fail in many places at once. */
export type Loaded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: readonly Problem[] };

export function loaded<T>(value: T): Loaded<T> {
  return { ok: true, value };
}

export function failed<T>(problems: readonly Problem[]): Loaded<T> {
  return { ok: false, problems };
}

/** Thrown where a caller wants an exception; carries every problem. */
export class ProblemsError extends Error {
  override readonly name = 'ProblemsError';
  readonly problems: readonly Problem[];

  constructor(summary: string, problems: readonly Problem[]) {
    super(`${summary}\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.problems = problems;
  }
}
