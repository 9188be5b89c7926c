/** A parsed YAML file that can say where any field path sits in the text (pure: takes text, not files). */

import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { formatPath } from '../domain/field-path.ts';
import { failed, type Loaded, loaded, type Problem } from './problems.ts';

interface Position {
  readonly line: number;
  readonly column: number;
}

export class YamlSource {
  readonly file: string;
  readonly text: string;
  readonly value: unknown;
  readonly #doc: Document.Parsed;
  readonly #lines: LineCounter;

  private constructor(file: string, text: string, doc: Document.Parsed, lines: LineCounter) {
    this.file = file;
    this.text = text;
    this.#doc = doc;
    this.#lines = lines;
    this.value = doc.toJS({ maxAliasCount: 100 });
  }

  /** Parse YAML text; syntax errors come back as problems with their positions. */
  static parse(file: string, text: string): Loaded<YamlSource> {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      return failed(
        doc.errors.map((error) => {
          const pos = lines.linePos(error.pos[0]);
          return { file, line: pos.line, column: pos.col, path: '', message: firstLine(error.message) };
        }),
      );
    }
    try {
      return loaded(new YamlSource(file, text, doc, lines));
    } catch (error) {
      return failed([{ file, line: null, column: null, path: '', message: (error as Error).message }]);
    }
  }

  /** Where the node at `path` starts; for a path that does not exist, where its nearest parent starts. */
  locate(path: readonly PropertyKey[]): Position {
    let node: unknown = this.#doc.contents;
    let best: Position = { line: 1, column: 1 };
    for (const key of path) {
      const start = nodeStart(node);
      if (start !== null) best = this.#position(start);
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
        if (pair === undefined) return best;
        const keyStart = nodeStart(pair.key);
        if (keyStart !== null) best = this.#position(keyStart);
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        node = node.items[key];
      } else {
        return best;
      }
    }
    const start = nodeStart(node);
    return start === null ? best : this.#position(start);
  }

  /**
   * Where character `offset` of the string value at `path` sits in the file: follows the value
   * onto later lines for block scalars, so an error inside a multi-line expression points at its line.
   */
  locateInString(path: readonly PropertyKey[], value: string, offset: number): Position {
    const start = this.locate(path);
    const before = value.slice(0, offset).split('\n');
    const lineIndex = before.length - 1;
    const columnInLine = before[lineIndex]?.length ?? 0;
    const lineText = value.split('\n')[lineIndex] ?? '';
    const fileLines = this.text.split('\n');
    for (let i = start.line - 1; i < fileLines.length && lineText !== ''; i++) {
      const at = fileLines[i]?.indexOf(lineText) ?? -1;
      if (at >= 0 && (lineIndex === 0 || i > start.line - 1)) {
        return { line: i + 1, column: at + columnInLine + 1 };
      }
    }
    return start;
  }

  problem(path: readonly PropertyKey[], message: string): Problem {
    const { line, column } = this.locate(path);
    return { file: this.file, line, column, path: formatPath(path), message };
  }

  /** Parse the whole value with a zod schema; every issue becomes a located problem. */
  decode<S extends z.ZodType>(schema: S): Loaded<z.output<S>> {
    return this.decodeAt([], this.value, schema);
  }

  /** Parse the part of the file at `path` (whose value is `value`) with a zod schema. */
  decodeAt<S extends z.ZodType>(
    path: readonly PropertyKey[],
    value: unknown,
    schema: S,
  ): Loaded<z.output<S>> {
    const result = schema.safeParse(value);
    if (result.success) return loaded(result.data);
    return failed(zodProblems(this, result.error, path));
  }

  #position(offset: number): Position {
    const pos = this.#lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }
}

/** Turn zod issues into located problems; unknown keys are each named where they stand. */
export function zodProblems(
  source: YamlSource,
  error: z.ZodError,
  root: readonly PropertyKey[] = [],
): Problem[] {
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    const path = [...root, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push(source.problem([...path, key], 'unknown field'));
    } else {
      problems.push(source.problem(path, issue.message));
    }
  }
  return problems;
}

function nodeStart(node: unknown): number | null {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : null;
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message;
}
