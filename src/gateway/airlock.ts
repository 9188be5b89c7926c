/** The composition root: every service built in one place, for the server, the CLI and the tests alike. */

import type { DestinationStream } from 'pino';
import { ProblemsError } from '../config/problems.ts';
import { loadProject, type Project } from '../project/project-loader.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { AccessCache } from './access-cache.ts';
import { ActionEvents } from './action-events.ts';
import { ActionQueries } from './action-queries.ts';
import { Aftercare } from './aftercare.ts';
import { AgentService } from './agent-service.ts';
import { ApprovalService } from './approval-service.ts';
import { ApprovalTimers } from './approval-timers.ts';
import { AuditService } from './audit-service.ts';
import { AuditTail } from './audit-tail.ts';
import { authenticate, type Principal } from './auth.ts';
import { CalibrationCache } from './calibration-cache.ts';
import { type Clock, systemClock } from './clock.ts';
import { EvidenceService } from './evidence-service.ts';
import { ExecutionService } from './execution-service.ts';
import { ExecutionTimers } from './execution-timers.ts';
import { FreezeService } from './freeze-service.ts';
import { GroupCommitter } from './group-commit.ts';
import { newId } from './ids.ts';
import { createLogger, type Logger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { Notifier } from './notifier.ts';
import { PeerReloads } from './peer-reloads.ts';
import { PeopleService } from './people-service.ts';
import { recordPolicyInForce } from './policy-records.ts';
import { ProjectHolder, type ReloadTrigger } from './project-holder.ts';
import { ProposalService } from './proposal-service.ts';
import { ReplicaPresence } from './replica-presence.ts';
import { ShadowService } from './shadow-service.ts';
import { TrustLedger } from './trust-ledger.ts';
import { TrustService } from './trust-service.ts';

export interface AirlockOptions {
  readonly configPath: string;
  readonly clock?: Clock;
  /** Overrides the config's log level. */
  readonly logLevel?: string;
  readonly logDestination?: DestinationStream;
  /**
   * Execute cleared actions in this process (default true). The CLI says false: what people
   * approve there, the server claims and runs within a second.
   */
  readonly executes?: boolean;
  /** Where executors read `env.*` and `secret.*` (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Change the project as loaded (the simulator runs a config on an in-memory store with its own
   * trust settings). Applies to the initial load only; a reload reads the files as they are.
   */
  readonly adjust?: (project: Project) => Project;
}

export interface Airlock {
  readonly holder: ProjectHolder;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly events: ActionEvents;
  readonly committer: GroupCommitter;
  readonly agents: AgentService;
  readonly people: PeopleService;
  readonly trust: TrustService;
  /** People's verdicts on advice, and incidents reported afterwards. */
  readonly evidence: EvidenceService;
  /** The evidence ledger and automatic demotion. */
  readonly ledger: TrustLedger;
  readonly audit: AuditService;
  readonly proposals: ProposalService;
  readonly approvals: ApprovalService;
  readonly timers: ApprovalTimers;
  readonly executions: ExecutionService;
  readonly freezes: FreezeService;
  /** The shadow policy bundle's report and its promotion. */
  readonly shadow: ShadowService;
  readonly actions: ActionQueries;
  /** Follows the audit chain for server-sent events. */
  readonly tail: AuditTail;
  project(): Project;
  authenticate(authorization: string | undefined): Promise<Principal>;
  /**
   * Record the policy bundle (and shadow bundle) in force in the audit chain, unless they are
   * already the last ones recorded.
   */
  recordPolicyInForce(trigger: ReloadTrigger | 'startup'): Promise<void>;
  /**
   * Start the background work of a server: resolve overdue approvals (before anything else),
   * recover executions a crash interrupted, then watch deadlines and permits and deliver
   * webhooks. CLI verbs do not start it.
   */
  startBackground(): Promise<void>;
  close(): Promise<void>;
}

/** Load and validate the whole project, open the store, and wire the services. Throws ProblemsError on bad files. */
export async function createAirlock(options: AirlockOptions): Promise<Airlock> {
  const env = options.env ?? process.env;
  const loaded = await loadProject(options.configPath, env);
  if (!loaded.ok)
    throw new ProblemsError(`${options.configPath}: the project does not load`, loaded.problems);
  const initial = options.adjust === undefined ? loaded.value : options.adjust(loaded.value);

  const clock = options.clock ?? systemClock;
  const logger = createLogger(options.logLevel ?? initial.config.log.level, options.logDestination);
  const metrics = new Metrics();
  const store = await openStore(initial.storageUrl, initial.storage);
  const events = new ActionEvents();
  const access = new AccessCache(store);
  const committer = new GroupCommitter(store, { onBatch: (size) => metrics.commitBatch.observe(size) });

  const recordPolicy = (project: Project, trigger: ReloadTrigger | 'startup') =>
    recordPolicyInForce(store, clock, project, trigger);

  const holder = new ProjectHolder(initial, {
    logger,
    metrics,
    env,
    onActivated: (project, _previous, trigger) => recordPolicy(project, trigger),
  });
  const project = () => holder.current;
  // Webhook messages wait in the outbox (written with the change they announce) for the notifier.
  const notifier = new Notifier({
    store,
    routing: () => project().routing,
    logger,
    metrics,
    auditClock: clock,
  });
  const onNotify = () => notifier.kick();
  const executes = options.executes ?? true;

  // This process among the replicas sharing the database: it owns what it executes.
  const replica = newId('rep', clock.now());
  const replicaTimeoutMs = initial.config.storage.replicaTimeout;
  const ledger = new TrustLedger({ store, clock, settings: () => project().config.trust, logger, metrics });
  const freezes = new FreezeService(store, access, clock, () => project().config.freezes);
  const aftercare = new Aftercare({
    store,
    clock,
    project,
    events,
    ledger,
    metrics,
    logger,
    env,
    onNotify,
    replica,
  });
  const executions = new ExecutionService({
    store,
    clock,
    project,
    freezes,
    aftercare,
    events,
    ledger,
    metrics,
    logger,
    env,
    onNotify,
    replica,
    replicaTimeoutMs,
  });
  const presence = new ReplicaPresence({
    store,
    clock,
    logger,
    executions,
    id: replica,
    timeoutMs: replicaTimeoutMs,
  });
  const executionTimers = new ExecutionTimers(executions, logger);

  const proposals = new ProposalService({
    store,
    access,
    committer,
    project,
    clock,
    events,
    metrics,
    logger,
    freezes,
    calibration: new CalibrationCache(store, () => project().config.trust),
    onDenied: (action) => ledger.onDenied(action),
    onCleared: (actionId) => (executes ? executions.cleared(actionId) : Promise.resolve(null)),
    onNotify,
  });
  const approvals = new ApprovalService({
    store,
    clock,
    project,
    proposals,
    events,
    metrics,
    logger,
    ledger,
    onNotify,
    onApproved: (actionId) => (executes ? executions.cleared(actionId) : Promise.resolve(null)),
  });
  const timers = new ApprovalTimers(approvals, clock, logger);
  const tail = new AuditTail(store, events, logger);
  const peers = new PeerReloads(tail, holder, logger);
  let background = false;

  return {
    holder,
    store,
    clock,
    logger,
    metrics,
    events,
    committer,
    agents: new AgentService(store, clock),
    people: new PeopleService(store, clock, () => project().people),
    trust: new TrustService(
      store,
      clock,
      () => project().config.trust,
      () => new Set(project().environments.keys()),
      metrics,
    ),
    evidence: new EvidenceService(store, clock, ledger),
    ledger,
    audit: new AuditService(store),
    proposals,
    approvals,
    timers,
    executions,
    freezes,
    shadow: new ShadowService({ store, clock, holder, logger }),
    actions: new ActionQueries(store, events, approvals, executions),
    tail,
    project,
    async authenticate(authorization) {
      await access.refresh();
      return authenticate(access, project().people, authorization);
    },
    recordPolicyInForce: (trigger) => recordPolicy(project(), trigger),
    async startBackground() {
      background = true;
      await peers.start();
      await timers.start();
      await presence.start();
      executionTimers.start();
      notifier.start();
    },
    async close() {
      holder.unwatch();
      peers.stop();
      if (background) {
        await timers.stop();
        await presence.stop();
        await executionTimers.stop();
        await notifier.stop();
      }
      await executions.close();
      if (background) await presence.leave();
      await committer.drain();
      await store.close();
    },
  };
}
