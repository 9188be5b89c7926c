/** The incident replay report: which steps differ, the main reasons of a decision, the summary, the history sent back. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blanket, bundleOf, factsOf } from '../../test/fixtures.ts';
import { incidentReplayText } from '../cli/incident-replay-format.ts';
import { decide } from '../decide/decide.ts';
import type { ActionRequest, ActionStatus } from '../domain/action.ts';
import type { Decision } from '../domain/decision.ts';
import type { JsonObject } from '../domain/json.ts';
import type { ActionRecord, ExecutionRecord } from '../store/records.ts';
import { historyEntry } from './incident-protocol.ts';
import {
  buildIncidentReport,
  type CandidateOutcome,
  differingFields,
  mainReasons,
  type ReplayedStep,
} from './incident-report.ts';

const HEADER = {
  incident: 'INC-7',
  agentUrl: 'http://127.0.0.1:9/agent',
  asAgent: null,
  policyVersion: 'sha256:0123456789abcdef0123',
  decidedAt: '2026-11-25T09:00:00.000Z',
};

function request(overrides: Partial<ActionRequest> = {}): ActionRequest {
  return {
    type: 'service.restart',
    environment: 'staging',
    targets: [{ id: 'checkout' }],
    params: { reason: 'errors after deploy' },
    confidence: 0.9,
    anomalyScore: 0.1,
    reasoning: 'the original reasoning',
    context: { alert: 'CheckoutErrors' },
    incident: 'INC-7',
    ...overrides,
  };
}

const allow = decide(factsOf(), bundleOf(blanket('allow')));
const deny = decide(factsOf(), bundleOf(blanket('deny', 'never-this')));

function original(id: string, status: ActionStatus, overrides: Partial<ActionRequest> = {}): ActionRecord {
  const r = request(overrides);
  return {
    id,
    agentId: 'ops-bot',
    type: r.type,
    environment: r.environment,
    status,
    request: r,
    requestHash: id,
    idempotencyKey: null,
    incident: 'INC-7',
    facts: {},
    decision: allow,
    createdAt: '2026-11-24T10:00:00.000Z',
    updatedAt: '2026-11-24T10:00:00.000Z',
  };
}

function decided(decision: Decision, overrides: Partial<ActionRequest> = {}): CandidateOutcome {
  return { kind: 'decided', agentId: 'ops-bot', request: request(overrides), decision };
}

function execution(actionId: string, state: JsonObject): ExecutionRecord {
  return {
    actionId,
    mode: 'gateway',
    phase: 'done',
    deadline: null,
    attempts: 1,
    state,
    version: 3,
    owner: null,
    createdAt: '2026-11-24T10:00:00.000Z',
    updatedAt: '2026-11-24T10:00:05.000Z',
  };
}

const rejected: CandidateOutcome = {
  kind: 'rejected',
  type: 'service.restart',
  environment: 'staging',
  code: 'validation_failed',
  message: 'the proposal is not valid',
  details: ['params.reason: Required'],
};

describe('differingFields', () => {
  const cases: [string, Partial<ActionRequest>, string[]][] = [
    ['the same request', {}, []],
    [
      'other reasoning, confidence, context: still the same action',
      { reasoning: 'x', confidence: 0.2, context: null },
      [],
    ],
    ['params with keys in another order', { params: { reason: 'errors after deploy' } }, []],
    ['another target', { targets: [{ id: 'payments' }] }, ['targets']],
    ['a target attribute', { targets: [{ id: 'checkout', zone: 'b' }] }, ['targets']],
    ['another type and params', { type: 'cache.flush', params: {} }, ['type', 'params']],
    ['another environment', { environment: 'production' }, ['environment']],
  ];
  for (const [name, overrides, expected] of cases) {
    it(name, () => assert.deepEqual(differingFields(request(), request(overrides)), expected));
  }
});

describe('mainReasons', () => {
  const cases: [string, Decision, string[]][] = [
    ['an allowed execution: the allowing rule', allow, ['rule all-allow: allow everything']],
    ['a denial: the denying rule only', deny, ['rule never-this: deny everything']],
    [
      'a denial among allows: only what denied',
      decide(factsOf(), bundleOf([blanket('allow'), blanket('deny', 'stop')])),
      ['rule stop: deny everything'],
    ],
    [
      'advice at level 0: the level, not the rule',
      decide(factsOf({ trust: { granted: 0 } }), bundleOf(blanket('allow'))),
      ['cap level_advisory: level 0 (advisory): recorded as a recommendation, never executed'],
    ],
    [
      'an escalation at level 1: the level',
      decide(factsOf({ trust: { granted: 1 } }), bundleOf(blanket('allow'))),
      ['cap level_assisted: level 1 (assisted): every action needs a human approval'],
    ],
    [
      'an escalation by a rule',
      decide(factsOf(), bundleOf(blanket('escalate', 'ask'))),
      ['rule ask: escalate everything'],
    ],
    [
      'a failed cap: only the failed one',
      decide(factsOf({ request: { confidence: 0.5 } }), bundleOf(blanket('allow'))),
      ['cap confidence: confidence 0.5 < 0.8'],
    ],
    [
      'a suspended agent',
      decide(factsOf({ agent: { suspended: true } }), bundleOf(blanket('allow'))),
      ['agent triage-bot is suspended'],
    ],
    [
      'the default effect when no rule matches',
      decide(factsOf(), bundleOf('rules: []\n')),
      ['default escalate: no rule matched; the default effect is escalate'],
    ],
  ];
  for (const [name, decision, expected] of cases) {
    it(name, () => assert.deepEqual(mainReasons(decision), expected));
  }
});

describe('buildIncidentReport', () => {
  const steps: ReplayedStep[] = [
    {
      original: original('act_1', 'rolled_back'),
      execution: execution('act_1', {
        verification: { passed: false, failed: ['health is 200'] },
        rollback: { outcome: 'succeeded', message: 'recovered' },
      }),
      answer: { kind: 'answered', proposals: [decided(allow, { targets: [{ id: 'payments' }] })] },
    },
    {
      original: original('act_2', 'succeeded', { targets: [{ id: 'search' }] }),
      execution: execution('act_2', { verification: { passed: true } }),
      answer: {
        kind: 'answered',
        proposals: [decided(allow, { targets: [{ id: 'search' }], reasoning: 'mine' })],
      },
    },
    {
      original: original('act_3', 'advised', { type: 'cache.flush', params: {} }),
      execution: null,
      answer: {
        kind: 'answered',
        proposals: [decided(allow, { type: 'cache.flush', params: {} }), decided(deny), rejected],
      },
    },
    {
      original: original('act_4', 'failed'),
      execution: execution('act_4', { outcome: { outcome: 'failed', message: 'HTTP 500' } }),
      answer: { kind: 'error', error: 'no answer within 1000 ms' },
    },
    {
      original: original('act_5', 'unknown'),
      execution: execution('act_5', { attention: 'the permit expired with no outcome reported' }),
      answer: { kind: 'answered', proposals: [] },
    },
  ];
  const report = buildIncidentReport(HEADER, steps);

  it('numbers the steps from 1 and keeps the header', () => {
    assert.deepEqual(
      report.steps.map((s) => [s.step, s.original.action]),
      [
        [1, 'act_1'],
        [2, 'act_2'],
        [3, 'act_3'],
        [4, 'act_4'],
        [5, 'act_5'],
      ],
    );
    assert.equal(report.incident, 'INC-7');
    assert.equal(report.policyVersion, HEADER.policyVersion);
  });

  it('same only for exactly the original action; error for no usable answer', () => {
    assert.deepEqual(
      report.steps.map((s) => s.verdict),
      ['different', 'same', 'different', 'error', 'different'],
    );
    const [first, , third] = report.steps;
    assert.equal(first?.candidate.kind, 'answered');
    if (first?.candidate.kind === 'answered') {
      const [p] = first.candidate.proposals;
      assert.equal(p?.kind === 'decided' && p.differs.join(), 'targets');
    }
    if (third?.candidate.kind === 'answered') {
      const kinds = third.candidate.proposals.map((p) => (p.kind === 'decided' ? p.differs.length : p.kind));
      assert.deepEqual(kinds, [0, 2, 'rejected'], 'the original action, another one, a rejected one');
    }
  });

  it('marks the rolled-back original and says how each original went wrong', () => {
    assert.deepEqual(
      report.steps.map((s) => [s.original.rolledBack, s.original.note]),
      [
        [true, 'verification failed: health is 200; rollback succeeded'],
        [false, null],
        [false, null],
        [false, 'failed: HTTP 500'],
        [false, 'the permit expired with no outcome reported'],
      ],
    );
  });

  it('sums up verdicts, effects and what the candidate did where the original went wrong', () => {
    assert.deepEqual(report.summary, {
      steps: 5,
      same: 1,
      different: 3,
      errors: 1,
      proposals: { total: 5, execute: 3, escalate: 0, advise: 0, deny: 1, rejected: 1 },
      wentWrong: [
        { step: 1, action: 'act_1', status: 'rolled_back', candidate: 'other' },
        { step: 4, action: 'act_4', status: 'failed', candidate: 'error' },
        { step: 5, action: 'act_5', status: 'unknown', candidate: 'nothing' },
      ],
    });
  });

  it('the history of a step tells the candidate its own proposals and decisions, never the original', () => {
    const [first, , third, fourth] = steps;
    const entry = historyEntry(1, first?.answer ?? { kind: 'error', error: '' });
    assert.deepEqual(entry, {
      step: 1,
      actions: [
        {
          type: 'service.restart',
          environment: 'staging',
          targets: [{ id: 'payments' }],
          params: { reason: 'errors after deploy' },
          decision: { effect: 'execute', reasons: ['rule all-allow: allow everything'] },
        },
      ],
    });
    const withRejected = historyEntry(3, third?.answer ?? { kind: 'error', error: '' });
    assert.ok('actions' in withRejected);
    assert.deepEqual(withRejected.actions[2], {
      type: 'service.restart',
      environment: 'staging',
      rejected: {
        code: 'validation_failed',
        message: 'the proposal is not valid',
        details: ['params.reason: Required'],
      },
    });
    assert.deepEqual(historyEntry(4, fourth?.answer ?? { kind: 'error', error: '' }), {
      step: 4,
      error: 'no answer within 1000 ms',
    });
    assert.doesNotMatch(JSON.stringify(withRejected), /act_|original reasoning/);
  });

  it('the text puts both sides in one table, shouts denials and rollbacks, and sums up', () => {
    const text = incidentReplayText(report);
    const joined = text.join('\n');
    assert.match(text[0] ?? '', /^incident INC-7: 5 steps replayed against http:\/\/127\.0\.0\.1:9\/agent$/);
    assert.match(
      text[1] ?? '',
      /each step's original agent under policy sha256:0123456789ab .*nothing was executed/,
    );
    const header = text.find((line) => line.startsWith('STEP'));
    assert.match(header ?? '', /^STEP +ORIGINAL +OUTCOME +CANDIDATE +DECISION +DIFF$/);
    const row1 = text.find((line) => line.startsWith('1 '));
    assert.match(
      row1 ?? '',
      /service\.restart@staging checkout \(ops-bot\) +execute → ROLLED BACK +service\.restart@staging payments +execute +DIFFERENT: targets/,
    );
    assert.match(text.find((l) => l.startsWith('2 ')) ?? '', / same$/);
    assert.match(joined, /service\.restart@staging checkout +DENY +DIFFERENT: type, params/);
    assert.match(joined, /REJECTED \(validation_failed\)/);
    assert.match(
      text.find((l) => l.startsWith('4 ')) ?? '',
      /execute → FAILED +error: no answer within 1000 ms +error$/,
    );
    assert.match(text.find((l) => l.startsWith('5 ')) ?? '', /\(proposed nothing\) +DIFFERENT$/);
    assert.match(
      joined,
      /step 3 candidate service\.restart@staging checkout: DENY \(level 2, as ops-bot\)\n {4}- rule never-this: deny everything/,
    );
    assert.ok(text.includes('summary: 5 steps: 1 same, 3 different, 1 error'), joined);
    assert.ok(text.includes('  step 1 act_1: rolled back; the candidate proposed something else'), joined);
  });
});
