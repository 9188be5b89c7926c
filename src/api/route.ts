/** A route: its OpenAPI description and how it registers itself. One route per file under routes/. */

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AirlockError } from '../domain/errors.ts';
import { zodDetails } from '../domain/proposal-schema.ts';
import type { Airlock } from '../gateway/airlock.ts';

export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Fastify path syntax, e.g. `/v1/actions/:id`. */
  readonly url: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  /** Who may call: shown in the document; enforced by the handler. */
  readonly auth: 'none' | 'agent' | 'person' | 'admin' | 'agent or person';
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType }>>;
}

export interface Route {
  readonly spec: RouteSpec;
  register(app: FastifyInstance, airlock: Airlock): void;
}

/** Parse a query string or body with zod; problems come back as a 422 naming each field. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  root: 'query' | 'body',
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new AirlockError(
      'validation_failed',
      `the ${root} is not valid`,
      zodDetails(result.error, root === 'query' ? ['query'] : []),
    );
  }
  return result.data;
}

export function param(request: FastifyRequest, name: string): string {
  return (request.params as Record<string, string>)[name] ?? '';
}
