/** A route: its OpenAPI description and how it registers itself. One route per file under routes/. */

import type { FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { z } from 'zod';
import { AirlockError } from '../domain/errors.ts';
import { zodDetails } from '../domain/proposal-schema.ts';
import type { Airlock } from '../gateway/airlock.ts';
import { type Principal, requireAgent, requirePerson } from '../gateway/auth.ts';
import type { Person } from '../project/project-schema.ts';
import type { AgentRecord } from '../store/records.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set before the body is read, from the route's declared `auth`. */
    principal: Principal | null;
  }
}

export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Fastify path syntax, e.g. `/v1/actions/:id`. */
  readonly url: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  /** Who may call: shown in the document, and enforced before the body is read (see server.ts). */
  readonly auth: 'none' | 'agent' | 'person' | 'admin' | 'agent or person';
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType }>>;
}

export interface Route {
  readonly spec: RouteSpec;
  /** The handler; the server registers it at `spec.method` `spec.url`, after admitting the caller. */
  handle(airlock: Airlock): RouteHandlerMethod;
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

/** Authenticate and check the caller against a route's `auth`; throws 401 or 403. */
export async function admit(
  airlock: Airlock,
  auth: RouteSpec['auth'],
  authorization: string | undefined,
): Promise<Principal | null> {
  if (auth === 'none') return null;
  const principal = await airlock.authenticate(authorization);
  if (auth === 'agent') requireAgent(principal);
  else if (auth === 'person') requirePerson(principal);
  else if (auth === 'admin') requirePerson(principal, ['admin']);
  return principal;
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new AirlockError('internal', 'route has no authenticated caller');
  return request.principal;
}

export function agentOf(request: FastifyRequest): AgentRecord {
  return requireAgent(principalOf(request));
}

export function personOf(request: FastifyRequest): Person {
  return requirePerson(principalOf(request));
}
