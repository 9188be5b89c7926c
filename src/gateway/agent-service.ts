/** Agents: registration, tokens (shown once, stored hashed), suspension. Every change is audited. */

import type { Actor } from '../audit/audit-event.ts';
import { AirlockError } from '../domain/errors.ts';
import type { AgentRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from './clock.ts';
import { issueToken, revokeTokens } from './credentials.ts';

export const AGENT_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export class AgentService {
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /** Register an agent and issue its first token, which is returned once and never stored. */
  async add(
    input: { id: string; owner: string; description?: string },
    by: Actor,
  ): Promise<{ agent: AgentRecord; token: string }> {
    if (!AGENT_ID.test(input.id)) {
      throw new AirlockError('validation_failed', 'bad agent id', [
        { path: 'id', message: 'lower-case letters, digits and - . _ (at most 64)' },
      ]);
    }
    if (input.owner.trim() === '') {
      throw new AirlockError('validation_failed', 'an agent needs an owner', [
        { path: 'owner', message: 'is required' },
      ]);
    }
    const at = this.#clock.now().toISOString();
    const agent: AgentRecord = {
      id: input.id,
      owner: input.owner,
      status: 'active',
      description: input.description ?? null,
      createdAt: at,
      updatedAt: at,
    };
    const token = await this.#store.write(async (tx) => {
      if ((await tx.getAgent(input.id)) !== null)
        throw new AirlockError('conflict', `agent ${input.id} already exists`);
      await tx.insertAgent(agent);
      await tx.appendAudit(
        [
          {
            kind: 'agent.created',
            actor: by,
            subject: agent.id,
            data: { owner: agent.owner, description: agent.description },
          },
        ],
        at,
      );
      return issueToken(tx, 'agent', agent.id, by, at);
    });
    return { agent, token };
  }

  list(): Promise<AgentRecord[]> {
    return this.#store.listAgents();
  }

  async get(id: string): Promise<AgentRecord> {
    const agent = await this.#store.getAgent(id);
    if (agent === null) throw new AirlockError('not_found', `no agent ${id}`);
    return agent;
  }

  /** Issue an additional token (for rotation); revoke the old ones with `revokeTokens`. */
  async issueToken(id: string, by: Actor): Promise<string> {
    const at = this.#clock.now().toISOString();
    return this.#store.write(async (tx) => {
      if ((await tx.getAgent(id)) === null) throw new AirlockError('not_found', `no agent ${id}`);
      return issueToken(tx, 'agent', id, by, at);
    });
  }

  /** Revoke every token of the agent at once; returns how many were live. */
  async revokeTokens(id: string, by: Actor): Promise<number> {
    const at = this.#clock.now().toISOString();
    return this.#store.write(async (tx) => {
      if ((await tx.getAgent(id)) === null) throw new AirlockError('not_found', `no agent ${id}`);
      return revokeTokens(tx, 'agent', id, by, at);
    });
  }

  /** Suspend (every proposal denied and audited) or resume an agent. */
  async setStatus(
    id: string,
    status: AgentRecord['status'],
    by: Actor,
    reason: string | null,
  ): Promise<AgentRecord> {
    const at = this.#clock.now().toISOString();
    return this.#store.write(async (tx) => {
      const agent = await tx.getAgent(id);
      if (agent === null) throw new AirlockError('not_found', `no agent ${id}`);
      if (agent.status === status) return agent;
      await tx.setAgentStatus(id, status, at);
      const kind = status === 'suspended' ? 'agent.suspended' : 'agent.resumed';
      await tx.appendAudit([{ kind, actor: by, subject: id, data: { reason } }], at);
      return { ...agent, status, updatedAt: at };
    });
  }
}
