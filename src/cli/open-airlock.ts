/** Opening the project for a CLI verb: problems become one reason plus the list, logs stay quiet. */

import os from 'node:os';
import type { Actor } from '../audit/audit-event.ts';
import { formatProblem, ProblemsError } from '../config/problems.ts';
import { AirlockError } from '../domain/errors.ts';
import { type Airlock, createAirlock } from '../gateway/airlock.ts';
import type { Person } from '../project/project-schema.ts';
import { CliError, type CommandContext, option } from './command.ts';

export async function withAirlock<T>(
  context: CommandContext,
  work: (airlock: Airlock) => Promise<T>,
): Promise<T> {
  let airlock: Airlock;
  try {
    airlock = await createAirlock({ configPath: context.configPath, logLevel: 'silent', executes: false });
  } catch (error) {
    throw asCliError(error);
  }
  try {
    return await work(airlock);
  } catch (error) {
    throw asCliError(error);
  } finally {
    await airlock.close();
  }
}

export function asCliError(error: unknown): unknown {
  if (error instanceof ProblemsError) {
    const count = error.problems.length;
    return new CliError(`the project does not load (${count} problem${count === 1 ? '' : 's'})`, {
      lines: error.problems.map(formatProblem),
    });
  }
  if (error instanceof AirlockError) {
    return new CliError(error.message, { lines: error.details.map((d) => `${d.path}: ${d.message}`) });
  }
  return error;
}

/** The person named by --as, who must be in the people file (and hold one of `roles`, if given). */
export function actingPerson(
  context: CommandContext,
  airlock: Airlock,
  roles?: readonly Person['role'][],
): Person {
  const id = option(context, 'as') ?? process.env.AIRLOCK_AS;
  if (id === undefined)
    throw new CliError('say who you are with --as <person> (or $AIRLOCK_AS)', { exitCode: 2 });
  const person = airlock.project().people.get(id);
  if (person === undefined) throw new CliError(`no person "${id}" in the people file`);
  if (roles !== undefined && !roles.includes(person.role)) {
    throw new CliError(`${id} is ${person.role}; this needs ${roles.join(' or ')}`);
  }
  return person;
}

/** Who is recorded for an operator action: the --as person if given, else the local operator. */
export function operator(context: CommandContext, airlock: Airlock): Actor {
  const id = option(context, 'as') ?? process.env.AIRLOCK_AS;
  if (id !== undefined) return { kind: 'person', id: actingPerson(context, airlock).id };
  return { kind: 'system', id: `cli:${os.userInfo().username}` };
}

export const AS_OPTION = {
  as: {
    type: 'string',
    description: 'The person doing this (from the people file); defaults to $AIRLOCK_AS',
  },
} as const;
