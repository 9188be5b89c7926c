/** Builds an example params object from a JSON Schema, for catalog entries that do not give one. */

import type { JsonValue } from '../domain/json.ts';

type Schema = Record<string, unknown>;

export function exampleFromSchema(schema: Schema, depth = 0): JsonValue {
  if (depth > 8) return null;
  if ('examples' in schema && Array.isArray(schema.examples) && schema.examples.length > 0) {
    return schema.examples[0] as JsonValue;
  }
  if ('default' in schema) return schema.default as JsonValue;
  if ('const' in schema) return schema.const as JsonValue;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0] as JsonValue;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
      const out: Record<string, JsonValue> = {};
      for (const [name, sub] of Object.entries(properties)) {
        if (required.has(name) || depth === 0) out[name] = exampleFromSchema(sub, depth + 1);
      }
      return out;
    }
    case 'array': {
      const items = schema.items as Schema | undefined;
      const count = typeof schema.minItems === 'number' ? schema.minItems : 1;
      return items === undefined
        ? []
        : Array.from({ length: count }, () => exampleFromSchema(items, depth + 1));
    }
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return false;
    case 'string':
      return typeof schema.minLength === 'number' && schema.minLength > 7
        ? 'x'.repeat(schema.minLength)
        : 'example';
    default:
      return null;
  }
}
