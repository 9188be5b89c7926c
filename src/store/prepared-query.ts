/**
 * Queries built and compiled once, then run with new parameters: the hot path skips Kysely's
 * builder and compiler (most of its cost) and still never holds dialect-specific SQL.
 */

import type { Compilable, CompiledQuery, QueryResult } from 'kysely';

/** Anything that runs a compiled query: a Kysely instance or a transaction. */
export interface QueryRunner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

const MARK = '\u0000airlock-parameter:';

/** A placeholder for argument `index`, to put where a value goes while building the query. */
export function slot(index: number): string {
  return `${MARK}${index}`;
}

export class PreparedQuery<R> {
  readonly #compiled: CompiledQuery<R>;
  /** For each compiled parameter: the argument index it takes, or -1 for a constant. */
  readonly #slots: readonly number[];

  constructor(query: Compilable<R>) {
    this.#compiled = query.compile();
    this.#slots = this.#compiled.parameters.map((p) =>
      typeof p === 'string' && p.startsWith(MARK) ? Number(p.slice(MARK.length)) : -1,
    );
  }

  run(db: QueryRunner, args: readonly unknown[]): Promise<QueryResult<R>> {
    const constants = this.#compiled.parameters;
    const parameters = this.#slots.map((s, i) => (s < 0 ? constants[i] : args[s]));
    return db.executeQuery({ ...this.#compiled, parameters });
  }
}
