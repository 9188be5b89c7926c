/** Records for store tests, and a check that a store's audit chain is one unbroken line. */

import assert from 'node:assert/strict';
import type { Approval } from '../src/approvals/approval.ts';
import { ChainVerifier } from '../src/audit/chain-verifier.ts';
import type { ActionRecord, EvidenceRecord, ExecutionRecord } from '../src/store/records.ts';
import type { StoreReader } from '../src/store/store.ts';

export const AT = '2026-11-24T10:00:00.000Z';

export function actionRecord(
  id: string,
  overrides: Partial<Pick<ActionRecord, 'agentId' | 'status' | 'idempotencyKey' | 'createdAt'>> & {
    effect?: ActionRecord['decision']['effect'];
  } = {},
): ActionRecord {
  const request = {
    type: 'service.restart',
    environment: 'staging',
    targets: [{ id: 'api-1' }],
    params: { reason: `restart ${id}` },
    confidence: 0.9,
    anomalyScore: 0.1,
    reasoning: null,
    context: null,
    incident: null,
  };
  const createdAt = overrides.createdAt ?? AT;
  return {
    id,
    agentId: overrides.agentId ?? 'bot',
    type: 'service.restart',
    environment: 'staging',
    status: overrides.status ?? 'advised',
    request,
    requestHash: `hash-${id}`,
    idempotencyKey: overrides.idempotencyKey ?? null,
    incident: null,
    facts: { request, trust: { granted: 0 } },
    decision: {
      effect: overrides.effect ?? 'advise',
      policyEffect: 'allow',
      reasons: [],
      trustLevel: 0,
      policyVersion: 'sha256:test',
      route: null,
    },
    createdAt,
    updatedAt: createdAt,
  };
}

export function approvalRecord(id: string, actionId: string): Approval {
  return {
    id,
    actionId,
    agentId: 'bot',
    agentOwner: 'sre',
    requestHash: `hash-${actionId}`,
    route: {
      name: 'two-person',
      steps: [{ group: 'sre', quorum: 2, timeout: 900_000, notify: [] }],
      fallback: 'deny',
      notify: [],
    },
    ownerMayApprove: false,
    revisionAuthor: null,
    step: 1,
    deadline: '2026-11-24T10:15:00.000Z',
    status: 'pending',
    votes: [],
    createdAt: AT,
    resolvedAt: null,
    version: 1,
  };
}

export function executionRecord(actionId: string, overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return {
    actionId,
    mode: 'gateway',
    phase: 'executing',
    deadline: null,
    attempts: 1,
    state: {},
    owner: null,
    version: 1,
    createdAt: AT,
    updatedAt: AT,
    ...overrides,
  };
}

export function evidenceRecord(id: string, actionId: string, kind: EvidenceRecord['kind']): EvidenceRecord {
  return {
    id,
    agentId: 'bot',
    actionId,
    type: 'service.restart',
    environment: 'staging',
    kind,
    level: 2,
    confidence: 0.875,
    by: 'airlock',
    detail: null,
    at: AT,
  };
}

/**
 * Read the whole chain in pages and check it: sequence numbers 1..n without a gap, each event
 * linked to the one before, every hash right. Returns the number of events.
 */
export async function assertChainVerifies(store: StoreReader): Promise<number> {
  const verifier = new ChainVerifier();
  let after = 0;
  for (;;) {
    const page = await store.auditRange(after, 500);
    for (const record of page) {
      assert.equal(record.seq, after + 1, `event ${after + 1} follows event ${after}`);
      assert.equal(typeof record.seq, 'number');
      verifier.push(record);
      after = record.seq;
    }
    if (page.length < 500) break;
  }
  const report = verifier.report();
  assert.ok(report.ok, `the chain verifies: ${JSON.stringify(report)}`);
  assert.deepEqual(await store.auditHead(), after === 0 ? null : { seq: after, hash: report.head });
  return report.events;
}
