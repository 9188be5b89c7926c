/**
 * Credentials, agents, grants and freezes, cached until anything about them changes in any process: the
 * store bumps an access version in the same transaction as every such change, and `refresh`
 * (one small query) drops the cache when the version moved. A revoked token, a suspended agent
 * or a demotion is therefore seen by the very next request, here or on another replica.
 */

import type { AgentRecord, CredentialRecord, FreezeRecord, GrantRecord } from '../store/records.ts';
import type { StoreReader } from '../store/store.ts';

const MAX_ENTRIES = 10_000;

export class AccessCache {
  readonly #store: StoreReader;
  #version = -1;
  readonly #credentials = new Map<string, CredentialRecord | null>();
  readonly #agents = new Map<string, AgentRecord | null>();
  readonly #grants = new Map<string, GrantRecord[]>();
  #freezes: Promise<FreezeRecord[]> | null = null;

  constructor(store: StoreReader) {
    this.#store = store;
  }

  #checking: Promise<void> | null = null;

  /**
   * Call at the start of each request; everything read after it is at least as fresh as this
   * turn of the event loop. Requests that arrive in the same turn share one check.
   */
  refresh(): Promise<void> {
    if (this.#checking === null) {
      this.#checking = this.#check();
      setImmediate(() => {
        this.#checking = null;
      });
    }
    return this.#checking;
  }

  async #check(): Promise<void> {
    const version = await this.#store.accessVersion();
    if (version !== this.#version) {
      this.#credentials.clear();
      this.#agents.clear();
      this.#grants.clear();
      this.#freezes = null;
      this.#version = version;
    }
  }

  findCredential(hash: string): Promise<CredentialRecord | null> {
    return memo(this.#credentials, hash, () => this.#store.findCredential(hash));
  }

  getAgent(id: string): Promise<AgentRecord | null> {
    return memo(this.#agents, id, () => this.#store.getAgent(id));
  }

  listGrants(agentId: string): Promise<GrantRecord[]> {
    return memo(this.#grants, agentId, () => this.#store.listGrants(agentId));
  }

  /** Freezes set from the command line or the API (they bump the access version too). */
  listFreezes(): Promise<FreezeRecord[]> {
    if (this.#freezes === null) {
      const loading = this.#store.listFreezes();
      this.#freezes = loading;
      loading.catch(() => {
        if (this.#freezes === loading) this.#freezes = null;
      });
    }
    return this.#freezes;
  }
}

async function memo<V>(map: Map<string, V>, key: string, load: () => Promise<V>): Promise<V> {
  if (map.has(key)) return map.get(key) as V;
  const value = await load();
  // Unknown tokens are cached too (as null), so the map is bounded against floods of garbage.
  if (map.size >= MAX_ENTRIES) map.clear();
  map.set(key, value);
  return value;
}
