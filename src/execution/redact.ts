/**
 * Redaction of what executors and checks record: secret values wherever they appear, and the
 * values of headers that carry credentials. Applied before anything reaches the audit chain.
 */

export const REDACTED = '[redacted]';

/** Shorter values are not searched for: redacting every `a` or `on` would shred the record. */
export const MIN_SECRET_LENGTH = 4;

/** Headers whose values are credentials whatever their templates were. */
const CREDENTIAL_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'x-airlock-signature',
];

/**
 * `value` with every occurrence of each secret, in every string (and object key) of it, replaced
 * by `[redacted]`. Secrets shorter than 4 characters are ignored. Returns a copy; non-JSON leaves
 * (numbers, booleans) are kept.
 *
 * @example
 * redact({ body: 'token=s3cr3t-value' }, ['s3cr3t-value']) // → { body: 'token=[redacted]' }
 */
export function redact<T>(value: T, secrets: Iterable<string>): T {
  const pattern = secretPattern(secrets);
  if (pattern === null) return value;
  return walk(value, (text) => text.replace(pattern, REDACTED)) as T;
}

/**
 * Headers with the values of credential headers (`authorization`, `cookie`, `x-api-key`, the
 * signature header, …) and of the `sensitive` ones (e.g. those whose template used a secret)
 * replaced by `[redacted]`. Names compare case-insensitively.
 */
export function redactHeaders(
  headers: Readonly<Record<string, string>>,
  sensitive: Iterable<string> = [],
): Record<string, string> {
  const hidden = new Set([...CREDENTIAL_HEADERS, ...[...sensitive].map((name) => name.toLowerCase())]);
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, hidden.has(name.toLowerCase()) ? REDACTED : value]),
  );
}

/** One alternation of the secrets, longest first so that a secret containing another goes whole. */
function secretPattern(secrets: Iterable<string>): RegExp | null {
  const list = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH);
  if (list.length === 0) return null;
  list.sort((a, b) => b.length - a.length);
  return new RegExp(list.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
}

function walk(value: unknown, edit: (text: string) => string): unknown {
  if (typeof value === 'string') return edit(value);
  if (Array.isArray(value)) return value.map((item) => walk(item, edit));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [edit(key), walk(item, edit)]));
  }
  return value;
}
