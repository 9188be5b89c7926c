/** A typed client for the v1 API: bearer token, JSON in and out, failures as ApiError from the envelope. */

import type { LatestReplay, Policy, ShadowReport } from './policy-types.ts';
import type { Agent, FreezeList, SetTrustResult, Trust } from './trust-types.ts';
import type {
  Action,
  ActionList,
  ApprovalList,
  AuditHead,
  AuditVerify,
  Catalog,
  ErrorEnvelope,
  Me,
  VoteResult,
} from './types.ts';

/** A failed request, carrying the server's error envelope (or a stand-in for network failures). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly details: readonly { readonly path: string; readonly message: string }[];
  readonly requestId: string | null;

  constructor(
    status: number,
    code: string,
    message: string,
    details: ApiError['details'] = [],
    requestId: string | null = null,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }

  /** The server has no such route (an older server), as opposed to no such object. */
  get missingRoute(): boolean {
    return this.status === 404 && this.message.startsWith('no route ');
  }
}

export interface ActionFilters {
  readonly agent?: string;
  readonly type?: string;
  readonly environment?: string;
  readonly status?: string;
  readonly since?: string;
  readonly until?: string;
  readonly cursor?: string;
  readonly limit?: number;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

function query(params: Readonly<Record<string, string | number | undefined>>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

async function toApiError(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const { error } = JSON.parse(text) as ErrorEnvelope;
    return new ApiError(response.status, error.code, error.message, error.details, error.requestId);
  } catch {
    const message = text.trim() === '' ? response.statusText || 'request failed' : text.slice(0, 300);
    return new ApiError(response.status, `http_${response.status}`, message);
  }
}

export class ApiClient {
  readonly #token: string;
  readonly #onUnauthorized: (error: ApiError) => void;

  constructor(token: string, onUnauthorized: (error: ApiError) => void = () => {}) {
    this.#token = token;
    this.#onUnauthorized = onUnauthorized;
  }

  get token(): string {
    return this.#token;
  }

  /** A raw authenticated request; failures (and 401s, which sign out) throw ApiError. */
  async fetch(path: string, init: { method?: Method; body?: unknown; signal?: AbortSignal } = {}) {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method: init.method ?? 'GET',
        headers,
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        ...(init.signal === undefined ? {} : { signal: init.signal }),
      });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      throw new ApiError(0, 'network', 'The Airlock server could not be reached.');
    }
    if (!response.ok) {
      const error = await toApiError(response);
      if (response.status === 401) this.#onUnauthorized(error);
      throw error;
    }
    return response;
  }

  async #json<T>(path: string, init: { method?: Method; body?: unknown; signal?: AbortSignal } = {}) {
    const response = await this.fetch(path, init);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  me(signal?: AbortSignal): Promise<Me> {
    return this.#json('/v1/me', signal === undefined ? {} : { signal });
  }

  approvals(): Promise<ApprovalList> {
    return this.#json('/v1/approvals');
  }

  vote(id: string, verdict: 'approve' | 'deny', comment: string, requestHash: string): Promise<VoteResult> {
    const body = { verdict, requestHash, ...(comment.trim() === '' ? {} : { comment: comment.trim() }) };
    return this.#json(`/v1/approvals/${encodeURIComponent(id)}/decisions`, { method: 'POST', body });
  }

  actions(filters: ActionFilters): Promise<ActionList> {
    return this.#json(`/v1/actions${query({ ...filters })}`);
  }

  action(id: string): Promise<Action> {
    return this.#json(`/v1/actions/${encodeURIComponent(id)}`);
  }

  agents(): Promise<{ agents: Agent[] }> {
    return this.#json('/v1/agents');
  }

  trust(agent: string): Promise<Trust> {
    return this.#json(`/v1/agents/${encodeURIComponent(agent)}/trust`);
  }

  setTrust(
    agent: string,
    body: { scope: string; level: number; reason: string; override?: boolean },
  ): Promise<SetTrustResult> {
    return this.#json(`/v1/agents/${encodeURIComponent(agent)}/trust`, { method: 'PUT', body });
  }

  revokeTrust(agent: string, reason: string): Promise<unknown> {
    return this.#json(`/v1/agents/${encodeURIComponent(agent)}/trust/revoke`, {
      method: 'POST',
      body: { reason },
    });
  }

  freezes(): Promise<FreezeList> {
    return this.#json('/v1/freeze');
  }

  freeze(agent: string | undefined, reason: string): Promise<unknown> {
    return this.#json('/v1/freeze', {
      method: 'POST',
      body: { reason, ...(agent === undefined ? {} : { agent }) },
    });
  }

  unfreeze(agent: string | undefined, reason: string): Promise<unknown> {
    return this.#json('/v1/freeze', {
      method: 'DELETE',
      body: { ...(agent === undefined ? {} : { agent }), ...(reason.trim() === '' ? {} : { reason }) },
    });
  }

  catalog(): Promise<Catalog> {
    return this.#json('/v1/catalog');
  }

  policy(): Promise<Policy> {
    return this.#json('/v1/policy');
  }

  shadow(): Promise<ShadowReport> {
    return this.#json('/v1/policy/shadow');
  }

  latestReplay(): Promise<LatestReplay> {
    return this.#json('/v1/replay/latest');
  }

  auditHead(): Promise<AuditHead> {
    return this.#json('/v1/audit/head');
  }

  verifyAudit(): Promise<AuditVerify> {
    return this.#json('/v1/audit/verify');
  }

  /** The chain as NDJSON, with the file name the server gives it (named after the head). */
  async exportAudit(): Promise<{ blob: Blob; name: string | null }> {
    const response = await this.fetch('/v1/audit/export');
    const disposition = response.headers.get('content-disposition') ?? '';
    const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? null;
    return { blob: await response.blob(), name };
  }
}
