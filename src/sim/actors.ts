/** The simulated people (reviewers, approvers, incident reporters, the admin) and the SIMULATED EXECUTOR, all acting through the real gateway. */

import { type Approval, eligibility, type Verdict } from '../approvals/approval.ts';
import { AirlockError } from '../domain/errors.ts';
import type { Airlock } from '../gateway/airlock.ts';
import type { EvidenceEntry } from '../gateway/trust-ledger.ts';
import type { Person } from '../project/project-schema.ts';
import type { PlannedAction } from './population.ts';

/** How often the simulated people and the simulated executor do what (the brief's defaults). */
export const BEHAVIOUR = {
  /** Share of advice (level 0) a reviewer looks at. */
  reviewRate: 0.6,
  /** A reviewer agrees with good advice, and disagrees with harmful advice, this often. */
  agreeWithGood: 0.95,
  disagreeWithHarmful: 0.9,
  /** An approver approves a good action, and denies a harmful one, this often. */
  approveGood: 0.97,
  denyHarmful: 0.85,
  /** Verification catches a harmful action this often (then it is rolled back). */
  verificationCatches: 0.8,
  /** A harmful action verification missed is reported as an incident a day later this often. */
  incidentReported: 0.5,
} as const;

/** The people of the project who act in the simulation. */
export interface SimPeople {
  /** Everyone who may vote, review and report (not viewers), in people-file order. */
  readonly voters: readonly Person[];
  readonly admin: Person;
}

/** The people of the project: voters and the first admin; throws when there is no admin. */
export function simPeople(airlock: Airlock): SimPeople {
  const people = [...airlock.project().people.values()];
  const voters = people.filter((p) => p.role !== 'viewer');
  const admin = people.find((p) => p.role === 'admin');
  if (admin === undefined || voters.length === 0)
    throw new Error('the people file needs an admin (to sign off promotions) and people who vote');
  return { voters, admin };
}

function nth<T>(items: readonly T[], roll: number): T {
  return items[Math.min(items.length - 1, Math.floor(roll * items.length))] as T;
}

/** A reviewer's verdict on advice, or null when nobody reviews it. */
export function reviewVerdict(planned: PlannedAction): 'agree' | 'disagree' | null {
  const { fate, harmful } = planned;
  if (fate.review >= BEHAVIOUR.reviewRate) return null;
  if (harmful) return fate.verdict < BEHAVIOUR.disagreeWithHarmful ? 'disagree' : 'agree';
  return fate.verdict < BEHAVIOUR.agreeWithGood ? 'agree' : 'disagree';
}

/** A simulated reviewer records the verdict through the real evidence service. */
export async function review(
  airlock: Airlock,
  people: SimPeople,
  actionId: string,
  planned: PlannedAction,
  verdict: 'agree' | 'disagree',
): Promise<void> {
  await airlock.evidence.review(actionId, verdict, null, nth(people.voters, planned.fate.person));
}

/**
 * Simulated approvers vote through the real approval service: people eligible for the current
 * step (members first, admins overriding only when no member can), starting from the one the
 * action's fate picks, until the approval is resolved. Returns the approval as it ends.
 */
export async function voteOn(
  airlock: Airlock,
  people: SimPeople,
  actionId: string,
  planned: PlannedAction,
): Promise<Approval | null> {
  let approval = await airlock.approvals.forAction(actionId);
  if (approval === null) return null;
  const { fate, harmful } = planned;
  const verdict: Verdict = harmful
    ? fate.vote < BEHAVIOUR.denyHarmful
      ? 'deny'
      : 'approve'
    : fate.vote < BEHAVIOUR.approveGood
      ? 'approve'
      : 'deny';
  // A deny needs a reason; an approval may go without.
  const comment = verdict === 'deny' ? 'simulated approver: would not run this' : null;
  const start = Math.floor(fate.person * people.voters.length);
  const order = people.voters.map((_, i) => people.voters[(start + i) % people.voters.length] as Person);
  for (let round = 0; round < people.voters.length && approval.status === 'pending'; round++) {
    const current: Approval = approval;
    const members = order.filter((p) => {
      const e = eligibility(current, p, verdict);
      return e.ok && !e.override;
    });
    const eligible = members.length > 0 ? members : order.filter((p) => eligibility(current, p, verdict).ok);
    const person = eligible[0];
    if (person === undefined) return approval;
    try {
      approval = await airlock.approvals.vote(approval.id, person, { verdict, comment });
    } catch (error) {
      // Refused for this person (already voted, not eligible after all): the next one votes.
      if (!(error instanceof AirlockError) || !REFUSALS.has(error.code)) throw error;
      approval = (await airlock.approvals.forAction(actionId)) ?? approval;
    }
  }
  return approval;
}

const REFUSALS: ReadonlySet<string> = new Set(['not_eligible', 'already_voted']);

/** What the simulated executor did with a cleared action. */
export interface ExecutionOutcome {
  readonly status: 'succeeded' | 'rolled_back';
  /** A harmful action verification missed: it may come back as an incident. */
  readonly missed: boolean;
}

/**
 * The SIMULATED EXECUTOR: nothing runs on this machine. In one transaction it sets the action's
 * final status, audits `simulation.outcome`, and records the evidence through the real ledger
 * (whose demotion rules apply); demotions are announced after the commit.
 */
export async function simulateExecution(
  airlock: Airlock,
  actionId: string,
  planned: PlannedAction,
): Promise<ExecutionOutcome> {
  const caught = planned.harmful && planned.fate.caught < BEHAVIOUR.verificationCatches;
  const status = caught ? 'rolled_back' : 'succeeded';
  const at = airlock.clock.now().toISOString();
  const demotions = await airlock.store.write(async (tx) => {
    const action = await tx.getAction(actionId);
    if (action === null) throw new Error(`simulated executor: no action ${actionId}`);
    await tx.setActionStatus(actionId, status, at);
    await tx.appendAudit(
      [
        {
          kind: 'simulation.outcome',
          actor: { kind: 'system', id: 'simulator' },
          subject: actionId,
          data: { executor: 'simulated', harmful: planned.harmful, verificationCaught: caught, status },
        },
      ],
      at,
    );
    const entries: EvidenceEntry[] = caught
      ? [
          { action, kind: 'verification_failed', by: 'airlock', detail: 'simulated verification failed' },
          { action, kind: 'rolled_back', by: 'airlock', detail: 'simulated rollback' },
        ]
      : [{ action, kind: 'succeeded', by: 'airlock' }];
    return airlock.ledger.record(tx, entries, at);
  });
  airlock.ledger.announce(demotions);
  return { status, missed: planned.harmful && !caught };
}

/** Whether a person reports the missed harm as an incident. */
export function incidentReported(planned: PlannedAction): boolean {
  return planned.fate.incident < BEHAVIOUR.incidentReported;
}

/** A simulated person reports an incident through the real evidence service. */
export async function reportIncident(
  airlock: Airlock,
  people: SimPeople,
  actionId: string,
  planned: PlannedAction,
): Promise<void> {
  await airlock.evidence.reportIncident(
    actionId,
    `simulated incident caused by ${actionId}`,
    nth(people.voters, planned.fate.reporter),
  );
}

/**
 * The simulated admin's end of day: every scope `trust recommend` lists is promoted through the
 * real criteria check (never an override). Returns the promotions made, and those the check
 * refused although recommended (which would be a disagreement inside the gateway).
 */
export async function signOff(
  airlock: Airlock,
  people: SimPeople,
): Promise<{ promoted: number; refused: number }> {
  let promoted = 0;
  let refused = 0;
  for (const r of await airlock.trust.recommend()) {
    try {
      await airlock.trust.setLevel(
        { agentId: r.agent, scope: r.scope, level: r.to, reason: 'simulated sign-off', direction: 'raise' },
        people.admin,
      );
      promoted++;
    } catch (error) {
      if (!(error instanceof AirlockError)) throw error;
      refused++;
    }
  }
  return { promoted, refused };
}
