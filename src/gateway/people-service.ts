/** People's tokens. People themselves are declared in config; only token hashes live in the database. */

import type { Actor } from '../audit/audit-event.ts';
import { AirlockError } from '../domain/errors.ts';
import type { Person } from '../project/project-schema.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from './clock.ts';
import { issueToken, revokeTokens } from './credentials.ts';

export class PeopleService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #people: () => ReadonlyMap<string, Person>;

  constructor(store: Store, clock: Clock, people: () => ReadonlyMap<string, Person>) {
    this.#store = store;
    this.#clock = clock;
    this.#people = people;
  }

  get(id: string): Person {
    const person = this.#people().get(id);
    if (person === undefined) throw new AirlockError('not_found', `no person ${id} in the people file`);
    return person;
  }

  list(): Person[] {
    return [...this.#people().values()];
  }

  async issueToken(id: string, by: Actor): Promise<string> {
    this.get(id);
    const at = this.#clock.now().toISOString();
    return this.#store.write((tx) => issueToken(tx, 'person', id, by, at));
  }

  async revokeTokens(id: string, by: Actor): Promise<number> {
    const at = this.#clock.now().toISOString();
    return this.#store.write((tx) => revokeTokens(tx, 'person', id, by, at));
  }
}
