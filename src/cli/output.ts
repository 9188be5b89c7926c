/** Printing data for people (aligned tables) and for programs (--json). */

export function table(rows: readonly (readonly string[])[], headers: readonly string[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Short form of a policy bundle hash for people: `sha256:1a2b3c4d5e6f`. */
export function shortHash(hash: string): string {
  return hash.startsWith('sha256:') ? hash.slice(0, 19) : hash.slice(0, 12);
}
