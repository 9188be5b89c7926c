/**
 * What an approval writes: the approval itself when an action escalates, the audit events of
 * every transition, and the webhook messages that tell people. Plain functions of their inputs,
 * so a proposal, a vote and a timeout all record the same shapes.
 */

import {
  ACTION_STATUS_OF,
  type Approval,
  openApproval,
  stepOf,
  type Transition,
} from '../approvals/approval.ts';
import type { Routing } from '../approvals/routing.ts';
import { routeFor } from '../approvals/routing.ts';
import type { Actor } from '../audit/audit-event.ts';
import { formatDuration } from '../config/durations.ts';
import type { JsonObject } from '../domain/json.ts';
import type { ActionRecord, NewAuditEvent, OutboxRecord } from '../store/records.ts';
import { newId } from './ids.ts';

export const SYSTEM: Actor = { kind: 'system', id: 'airlock' };

export interface Opening {
  readonly approval: Approval;
  readonly events: NewAuditEvent[];
  readonly outbox: OutboxRecord[];
}

/** The approval an escalated action opens, on the route its policy named or its owner's default. */
export function openingFor(
  action: ActionRecord,
  owner: string,
  routing: Routing,
  now: Date,
  revisionAuthor: string | null = null,
): Opening {
  const route = routeFor(routing, action.decision.route, owner);
  const approval = openApproval({
    id: newId('apv', now),
    actionId: action.id,
    agentId: action.agentId,
    agentOwner: owner,
    requestHash: action.requestHash,
    route,
    ownerMayApprove: routing.ownerMayApprove,
    revisionAuthor,
    now,
  });
  const first = stepOf(route, 1);
  const event: NewAuditEvent = {
    kind: 'approval.opened',
    actor: SYSTEM,
    subject: action.id,
    at: approval.createdAt,
    data: {
      approval: approval.id,
      route: route.name,
      steps: route.steps.map((s) => ({
        group: s.group,
        quorum: s.quorum,
        timeout: formatDuration(s.timeout),
      })),
      fallback: route.fallback,
      step: 1,
      group: first.group,
      quorum: first.quorum,
      deadline: approval.deadline,
      requestHash: approval.requestHash,
      ownerMayApprove: approval.ownerMayApprove,
      revisionAuthor,
    },
  };
  const outbox = notificationsFor(approval, action, [{ kind: 'opened' }], routing);
  return { approval, events: [event], outbox };
}

/** The audit events of transitions; votes are the voter's, timeouts and outcomes the system's. */
export function transitionEvents(
  approval: Approval,
  transitions: readonly Transition[],
  at: string,
): NewAuditEvent[] {
  return transitions.map((t): NewAuditEvent => {
    const base = { subject: approval.actionId, at };
    switch (t.kind) {
      case 'approval.voted':
        return {
          ...base,
          kind: t.kind,
          actor: { kind: 'person', id: t.vote.person },
          data: {
            approval: approval.id,
            verdict: t.vote.verdict,
            step: t.vote.step,
            comment: t.vote.comment,
            override: t.vote.override,
            requestHash: t.vote.requestHash,
          },
        };
      case 'approval.escalated':
        return {
          ...base,
          kind: t.kind,
          actor: SYSTEM,
          data: {
            approval: approval.id,
            reason: 'timeout',
            fromStep: t.fromStep,
            toStep: t.toStep,
            group: t.group,
            quorum: t.quorum,
            deadline: t.deadline,
            dueAt: t.dueAt,
          },
        };
      case 'approval.resolved':
        return {
          ...base,
          kind: t.kind,
          actor: SYSTEM,
          data: {
            approval: approval.id,
            outcome: t.outcome,
            cause: t.cause,
            fallback: t.fallback ?? null,
            dueAt: t.dueAt ?? null,
            status: ACTION_STATUS_OF[t.outcome],
          },
        };
      default: {
        const never: never = t;
        throw new Error(`unknown transition ${JSON.stringify(never)}`);
      }
    }
  });
}

type Announcement = { readonly kind: 'opened' } | Transition;

/**
 * Webhook messages for what happened: the route's webhooks hear of everything; a step's own
 * webhooks hear when the approval reaches that step. Votes that do not resolve are not announced.
 */
export function notificationsFor(
  approval: Approval,
  action: ActionRecord,
  announcements: readonly Announcement[],
  routing: Routing,
): OutboxRecord[] {
  const messages: OutboxRecord[] = [];
  // Delivery runs on real time (signatures carry real timestamps), whatever clock decides.
  const at = new Date().toISOString();
  for (const announcement of announcements) {
    if (announcement.kind === 'approval.voted') continue;
    const step =
      announcement.kind === 'opened'
        ? 1
        : announcement.kind === 'approval.escalated'
          ? announcement.toStep
          : null;
    const hooks = new Set(approval.route.notify);
    if (step !== null) for (const name of stepOf(approval.route, step).notify) hooks.add(name);
    const event = announcement.kind === 'opened' ? 'approval.opened' : announcement.kind;
    const payload = messageFor(approval, action, announcement, step);
    for (const webhook of hooks) {
      if (!routing.webhooks.has(webhook)) continue;
      messages.push({
        id: newId('ntf', new Date(at)),
        subject: action.id,
        webhook,
        event,
        payload,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: at,
        lastError: null,
        createdAt: at,
        updatedAt: at,
      });
    }
  }
  return messages;
}

function messageFor(
  approval: Approval,
  action: ActionRecord,
  announcement: Announcement,
  step: number | null,
): JsonObject {
  const targets = action.request.targets.map((t) => t.id).join(', ') || 'no targets';
  const what = `${action.agentId} wants ${action.type} in ${action.environment} on ${targets}`;
  let text: string;
  if (announcement.kind === 'approval.resolved') {
    text = `Approval ${approval.id} ${announcement.outcome} (${announcement.cause}): ${what}. Action ${action.id}.`;
  } else {
    const s = stepOf(approval.route, step ?? 1);
    const lead = announcement.kind === 'opened' ? 'Approval needed' : 'Escalated, approval needed';
    text =
      `${lead}: ${what}. Route ${approval.route.name}, step ${step} of ${approval.route.steps.length}: ` +
      `group ${s.group}, ${s.quorum} approval${s.quorum === 1 ? '' : 's'} by ${approval.deadline}. ` +
      `Action ${action.id}, approval ${approval.id}.`;
  }
  const tier = (action.facts as { action?: { tier?: string } }).action?.tier ?? null;
  return {
    text,
    event: announcement.kind === 'opened' ? 'approval.opened' : announcement.kind,
    approval: {
      id: approval.id,
      route: approval.route.name,
      step: step ?? approval.step,
      deadline: approval.deadline,
      status: announcement.kind === 'approval.resolved' ? announcement.outcome : 'pending',
      requestHash: approval.requestHash,
    },
    action: {
      id: action.id,
      agent: action.agentId,
      type: action.type,
      environment: action.environment,
      targets: action.request.targets as unknown as JsonObject[],
      params: action.request.params,
      confidence: action.request.confidence,
      tier,
    },
  };
}
