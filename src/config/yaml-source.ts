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

  /**
   * Where the node at `path` is: a scalar where its value starts, a map or list where its key
   * stands (`what:` rather than the first line below it); for a path that does not exist, where
   * its nearest parent is.
   */
  locate(path: readonly PropertyKey[]): Position {
    const found = this.#walk(path);
    const start = isScalar(found.node) ? nodeStart(found.node) : (found.keyStart ?? nodeStart(found.node));
    return start === null ? found.parent : this.#position(start);
  }

  /**
   * Where character `offset` of the string value at `path` sits in the file, following the value
   * over the lines of a block (`|`, `>`) or a multi-line plain or quoted scalar.
   */
  locateInString(path: readonly PropertyKey[], offset: number): Position {
    const { node } = this.#walk(path);
    if (!isScalar(node) || !Array.isArray(node.range)) return this.locate(path);
    const [start, end] = node.range;
    const lines = this.text.slice(start, end).split('\n');
    const block = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
    // Each source line holding part of the value: its offset in the file and its text.
    const parts: { at: number; text: string }[] = [];
    let at = start;
    const indent = block
      ? Math.min(
          ...lines
            .slice(1)
            .filter((l) => l.trim() !== '')
            .map((l) => l.length - l.trimStart().length),
        )
      : 0;
    lines.forEach((line, i) => {
      if (block && i === 0) {
        at += line.length + 1;
        return;
      }
      const skip = block
        ? Math.min(indent, line.length)
        : i === 0
          ? node.type === 'PLAIN'
            ? 0
            : 1
          : line.length - line.trimStart().length;
      parts.push({ at: at + skip, text: line.slice(skip) });
      at += line.length + 1;
    });
    // Value lines are joined by one character (a newline, or a space when folded).
    let consumed = 0;
    for (const part of parts) {
      if (offset <= consumed + part.text.length) return this.#position(part.at + offset - consumed);
      consumed += part.text.length + 1;
    }
    const last = parts.filter((p) => p.text.trim() !== '').at(-1);
    return last === undefined ? this.locate(path) : this.#position(last.at + last.text.trimEnd().length);
  }

  #walk(path: readonly PropertyKey[]): { node: unknown; keyStart: number | null; parent: Position } {
    let node: unknown = this.#doc.contents;
    let keyStart: number | null = null;
    let parent: Position = { line: 1, column: 1 };
    for (const key of path) {
      const here = isScalar(node) ? nodeStart(node) : (keyStart ?? nodeStart(node));
      if (here !== null) parent = this.#position(here);
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
        if (pair === undefined) return { node: undefined, keyStart: null, parent };
        keyStart = nodeStart(pair.key);
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        keyStart = null;
        node = node.items[key];
      } else {
        return { node: undefined, keyStart: null, parent };
      }
    }
    return { node, keyStart, parent };
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
    } else if (issue.code === 'invalid_key') {
      // A record key that fails its schema: say why, at the key.
      problems.push(source.problem(path, issue.issues[0]?.message ?? issue.message));
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
