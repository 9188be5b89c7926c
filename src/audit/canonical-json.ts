/**
 * RFC 8785 JSON Canonicalization Scheme: object keys sorted by UTF-16 code units,
 * numbers in ECMAScript shortest form, no insignificant white space.
 */

export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
}

const INTEGER_LIKE = /^(?:0|[1-9]\d*)$/;

/** Signals that an object has integer-like keys, which engines enumerate before the others. */
class NeedsSlowPath extends Error {}

/**
 * Serialise a JSON value canonically.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null, 'x'] }) // '{"a":[true,null,"x"],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  // Fast path: copy with keys in sorted order, then let JSON.stringify (whose string and number
  // forms are exactly RFC 8785's) do the rest. Integer-like keys would be enumerated first, out
  // of order, so objects holding them take the careful path.
  try {
    return JSON.stringify(sortedCopy(value));
  } catch (error) {
    if (!(error instanceof NeedsSlowPath)) throw error;
    return careful(value);
  }
}

function sortedCopy(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`cannot encode non-finite number ${value}`);
      return value;
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) return value.map(sortedCopy);
      const keys = Object.keys(value).sort();
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const first = key.charCodeAt(0);
        if (first >= 48 && first <= 57 && INTEGER_LIKE.test(key)) throw new NeedsSlowPath();
        const member = (value as Record<string, unknown>)[key];
        if (member === undefined) continue;
        if (key === '__proto__') {
          // Assignment would replace the copy's prototype; define it as the own key it is.
          Object.defineProperty(out, key, {
            value: sortedCopy(member),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          out[key] = sortedCopy(member);
        }
      }
      return out;
    }
    default:
      throw new CanonicalJsonError(`cannot encode a value of type ${typeof value}`);
  }
}

function careful(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`cannot encode non-finite number ${value}`);
      // ECMAScript Number-to-String is exactly RFC 8785's number form; -0 serialises as 0.
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map(careful).join(',')}]`;
      let out = '{';
      let first = true;
      for (const key of Object.keys(value).sort()) {
        const member = (value as Record<string, unknown>)[key];
        if (member === undefined) continue;
        out += `${first ? '' : ','}${JSON.stringify(key)}:${careful(member)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new CanonicalJsonError(`cannot encode a value of type ${typeof value}`);
  }
}
