/** Prometheus metrics of one Airlock instance (its own registry, so tests can run many side by side). */

import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();

  readonly decisions = new Counter({
    name: 'airlock_decisions_total',
    help: 'Decisions made, by effect',
    labelNames: ['effect'] as const,
    registers: [this.registry],
  });

  readonly decideSeconds = new Histogram({
    name: 'airlock_decide_seconds',
    help: 'Time spent in the pure decision step',
    buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01],
    registers: [this.registry],
  });

  readonly rejected = new Counter({
    name: 'airlock_proposals_rejected_total',
    help: 'Proposals rejected before a decision (validation), by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly reloads = new Counter({
    name: 'airlock_project_reloads_total',
    help: 'Project (policies, catalog, config) reload attempts, by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly bundle = new Gauge({
    name: 'airlock_policy_bundle_info',
    help: 'The policy bundle in force (value 1), labelled with its hash',
    labelNames: ['hash'] as const,
    registers: [this.registry],
  });

  readonly shadowDecisions = new Counter({
    name: 'airlock_shadow_decisions_total',
    help: 'Live decisions also decided by the shadow bundle, by result: agree, stricter, looser (the shadow compared with the live decision), error',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly shadowBundle = new Gauge({
    name: 'airlock_policy_shadow_bundle_info',
    help: 'The shadow policy bundle loaded (value 1), labelled with its hash; absent without one',
    labelNames: ['hash'] as const,
    registers: [this.registry],
  });

  readonly auditEvents = new Counter({
    name: 'airlock_audit_events_total',
    help: 'Events appended to the audit chain by this process',
    registers: [this.registry],
  });

  readonly commitBatch = new Histogram({
    name: 'airlock_commit_batch_size',
    help: 'Writes that shared one durable commit',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });

  readonly approvalsOpened = new Counter({
    name: 'airlock_approvals_opened_total',
    help: 'Approvals opened (actions that went to a human)',
    registers: [this.registry],
  });

  readonly approvalsResolved = new Counter({
    name: 'airlock_approvals_resolved_total',
    help: 'Approvals resolved, by outcome (approved, denied, expired, revised) and cause',
    labelNames: ['outcome', 'cause'] as const,
    registers: [this.registry],
  });

  readonly approvalVotes = new Counter({
    name: 'airlock_approval_votes_total',
    help: 'Votes cast, by verdict, and whether an admin overrode the group',
    labelNames: ['verdict', 'override'] as const,
    registers: [this.registry],
  });

  readonly approvalEscalations = new Counter({
    name: 'airlock_approval_escalations_total',
    help: 'Approval steps that timed out and handed over to the next step',
    registers: [this.registry],
  });

  readonly httpRequests = new Counter({
    name: 'airlock_http_requests_total',
    help: 'HTTP requests, by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpSeconds = new Histogram({
    name: 'airlock_http_request_seconds',
    help: 'HTTP request latency, by route',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'airlock_webhook_deliveries_total',
    help: 'Webhook delivery attempts, by result (delivered, retried, failed for good)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly executions = new Counter({
    name: 'airlock_executions_total',
    help: 'Executions finished, by mode (gateway, agent) and outcome (succeeded, failed, unknown)',
    labelNames: ['mode', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly executionSeconds = new Histogram({
    name: 'airlock_execution_seconds',
    help: 'Time the gateway spent running executors, retries included',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly permits = new Counter({
    name: 'airlock_permits_total',
    help: 'Permits for agent-executed actions, by event (issued, expired)',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly verifications = new Counter({
    name: 'airlock_verifications_total',
    help: 'Verifications finished, by result (passed, failed)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly rollbacks = new Counter({
    name: 'airlock_rollbacks_total',
    help: 'Rollbacks run, by outcome',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly demotions = new Counter({
    name: 'airlock_demotions_total',
    help: 'Automatic demotions, by rule and what they did',
    labelNames: ['rule', 'action'] as const,
    registers: [this.registry],
  });

  readonly promotions = new Counter({
    name: 'airlock_promotions_total',
    help: 'Promotions signed off by an admin, by whether the criteria were overridden',
    labelNames: ['override'] as const,
    registers: [this.registry],
  });

  setBundle(hash: string): void {
    this.bundle.reset();
    this.bundle.set({ hash }, 1);
  }

  setShadowBundle(hash: string | null): void {
    this.shadowBundle.reset();
    if (hash !== null) this.shadowBundle.set({ hash }, 1);
  }
}
