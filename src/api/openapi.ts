/** The OpenAPI 3.1 document, derived from the routes' zod schemas. */

import { z } from 'zod';
import type { Route, RouteSpec } from './route.ts';
import { errorSchema } from './schemas.ts';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function queryParameters(spec: RouteSpec): JsonSchema[] {
  if (spec.query === undefined) return [];
  const schema = jsonSchema(spec.query, 'input');
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

function pathParameters(url: string): JsonSchema[] {
  return [...url.matchAll(/:(\w+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
}

export function openApiDocument(routes: readonly Route[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const { spec } of routes) {
    const path = spec.url.replace(/:(\w+)/g, '{$1}');
    const responses: Record<string, JsonSchema> = {};
    for (const [status, response] of Object.entries(spec.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema === undefined
          ? {}
          : { content: { 'application/json': { schema: jsonSchema(response.schema, 'output') } } }),
      };
    }
    if (spec.auth !== 'none') {
      responses['401'] ??= {
        description: 'Missing, unknown or revoked token',
        content: { 'application/json': { schema: jsonSchema(errorSchema, 'output') } },
      };
    }
    paths[path] ??= {};
    paths[path][spec.method.toLowerCase()] = {
      operationId: spec.operationId,
      summary: spec.summary,
      tags: [spec.tag],
      'x-airlock-caller': spec.auth,
      ...(spec.auth === 'none' ? { security: [] } : {}),
      parameters: [...pathParameters(spec.url), ...queryParameters(spec)],
      ...(spec.body === undefined
        ? {}
        : {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } },
            },
          }),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Airlock',
      version,
      description:
        'Governance gateway for AI agents acting on production systems. Errors share one envelope.',
    },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
