/** Who is calling: an agent or a person, from a bearer token. Agents' tokens never pass as people. */

import { AirlockError } from '../domain/errors.ts';
import type { Person } from '../project/project-schema.ts';
import type { AgentRecord } from '../store/records.ts';
import type { StoreReader } from '../store/store.ts';

/** The reads authentication needs (a store, or the access cache in front of it). */
export type CredentialReader = Pick<StoreReader, 'findCredential' | 'getAgent'>;

import { hashToken } from './tokens.ts';

export type Principal =
  | { readonly kind: 'agent'; readonly agent: AgentRecord }
  | { readonly kind: 'person'; readonly person: Person };

export async function authenticate(
  store: CredentialReader,
  people: ReadonlyMap<string, Person>,
  authorization: string | undefined,
): Promise<Principal> {
  const match = authorization === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (match === null) {
    throw new AirlockError('unauthorized', 'send a token as "Authorization: Bearer <token>"');
  }
  const credential = await store.findCredential(hashToken(match[1] ?? ''));
  if (credential === null || credential.revokedAt !== null) {
    throw new AirlockError('unauthorized', 'the token is unknown or revoked');
  }
  if (credential.principalKind === 'agent') {
    const agent = await store.getAgent(credential.principalId);
    if (agent === null) throw new AirlockError('unauthorized', 'the token is unknown or revoked');
    return { kind: 'agent', agent };
  }
  const person = people.get(credential.principalId);
  if (person === undefined)
    throw new AirlockError('unauthorized', 'the token belongs to a person no longer configured');
  return { kind: 'person', person };
}

/** Only people may do this; `roles` narrows it further. */
export function requirePerson(principal: Principal, roles?: readonly Person['role'][]): Person {
  if (principal.kind !== 'person') throw new AirlockError('forbidden', 'only people may do this, not agents');
  if (roles !== undefined && !roles.includes(principal.person.role)) {
    throw new AirlockError(
      'forbidden',
      `this needs the role ${roles.join(' or ')}; ${principal.person.id} is ${principal.person.role}`,
    );
  }
  return principal.person;
}

export function requireAgent(principal: Principal): AgentRecord {
  if (principal.kind !== 'agent') throw new AirlockError('forbidden', 'only agents propose actions');
  return principal.agent;
}
