/** Glob patterns over action types and scopes: `*` matches any run of characters, e.g. `service.*`. */

export interface Glob {
  readonly pattern: string;
  /** How many literal characters the pattern holds: the more, the more specific. */
  readonly specificity: number;
  matches(value: string): boolean;
}

const cache = new Map<string, Glob>();

export function glob(pattern: string): Glob {
  let compiled = cache.get(pattern);
  if (compiled === undefined) {
    compiled = compileGlob(pattern);
    if (cache.size < 10_000) cache.set(pattern, compiled);
  }
  return compiled;
}

function compileGlob(pattern: string): Glob {
  const specificity = pattern.replaceAll('*', '').length;
  if (!pattern.includes('*')) return { pattern, specificity, matches: (value) => value === pattern };
  if (pattern === '*') return { pattern, specificity, matches: () => true };
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${source}$`);
  return { pattern, specificity, matches: (value) => regex.test(value) };
}
