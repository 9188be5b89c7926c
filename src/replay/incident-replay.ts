/**
 * Incident replay: send a recorded incident's context, step by step, to a candidate agent, and
 * decide what it proposes under the policies and trust in force now, executing and writing
 * nothing. The report puts the original run and the candidate's side by side.
 */

import { sha256Hex } from '../audit/audit-event.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { ActionRequest } from '../domain/action.ts';
import { AirlockError, type ErrorDetail } from '../domain/errors.ts';
import { parseProposal } from '../domain/proposal-schema.ts';
import type { Airlock } from '../gateway/airlock.ts';
import type { Project } from '../project/project-loader.ts';
import type { ActionRecord, AgentRecord } from '../store/records.ts';
import { askCandidate } from './candidate-agent.ts';
import { type HistoryEntry, historyEntry, INCIDENT_REPLAY_PROTOCOL } from './incident-protocol.ts';
import {
  buildIncidentReport,
  type CandidateOutcome,
  type IncidentReport,
  type ReplayedStep,
  type StepAnswer,
} from './incident-report.ts';

/** The most original actions one replay takes on; an incident with more is refused. */
export const MAX_STEPS = 1_000;

export interface IncidentReplayOptions {
  readonly incident: string;
  readonly agentUrl: URL;
  /** Decide every proposal with this agent's grants; default: each step's original agent. */
  readonly asAgent?: string | undefined;
  /** How long to wait for each answer. */
  readonly timeoutMs: number;
  /** One line per step, as it finishes. */
  readonly onProgress?: ((line: string) => void) | undefined;
}

/** The replay cannot start or cannot go on at all: no such incident, agent, or an unreachable URL. */
export class IncidentReplayError extends Error {
  override readonly name = 'IncidentReplayError';
}

/**
 * Replay one incident against a candidate agent.
 *
 * @example
 * const report = await replayIncident(airlock, {
 *   incident: 'INC-42', agentUrl: new URL('http://127.0.0.1:8700/'), timeoutMs: 30_000,
 * });
 * report.summary; // { steps: 3, same: 1, different: 2, errors: 0, proposals: {…}, wentWrong: […] }
 */
export async function replayIncident(
  airlock: Airlock,
  options: IncidentReplayOptions,
): Promise<IncidentReport> {
  const { incident, agentUrl } = options;
  const originals = await incidentActions(airlock, incident);
  if (originals.length === 0) throw new IncidentReplayError(`incident ${incident} has no actions`);
  const agents = new AgentLookup(airlock);
  if (options.asAgent !== undefined && (await agents.get(options.asAgent)) === null)
    throw new IncidentReplayError(`no agent ${options.asAgent}`);

  // One bundle for the whole run, even if the files change meanwhile.
  const project = airlock.project();
  const decidedAt = airlock.clock.now().toISOString();
  const executions = new Map(
    (await airlock.store.listExecutions({ actionIds: originals.map((a) => a.id) }, originals.length)).map(
      (e) => [e.actionId, e],
    ),
  );
  const steps: ReplayedStep[] = [];
  const history: HistoryEntry[] = [];
  for (const [index, original] of originals.entries()) {
    const step = index + 1;
    const reply = await askCandidate(
      agentUrl,
      {
        protocol: INCIDENT_REPLAY_PROTOCOL,
        incident,
        step,
        steps: originals.length,
        environment: original.environment,
        context: original.request.context,
        history: [...history],
      },
      { timeoutMs: options.timeoutMs },
    );
    if (reply.kind === 'failed' && !reply.reached && step === 1)
      throw new IncidentReplayError(`cannot reach the candidate agent at ${agentUrl.href}: ${reply.error}`);
    let answer: StepAnswer;
    if (reply.kind === 'failed') answer = { kind: 'error', error: reply.error };
    else {
      const agent = await agents.get(options.asAgent ?? original.agentId);
      answer =
        agent === null
          ? { kind: 'error', error: `agent ${original.agentId} no longer exists; nothing decided` }
          : {
              kind: 'answered',
              proposals: await decideAll(airlock, project, agent, reply.actions, original),
            };
    }
    steps.push({ original, execution: executions.get(original.id) ?? null, answer });
    history.push(historyEntry(step, answer));
    options.onProgress?.(progressLine(step, originals.length, original, answer));
  }
  return buildIncidentReport(
    {
      incident,
      agentUrl: agentUrl.href,
      asAgent: options.asAgent ?? null,
      policyVersion: project.bundle.hash,
      decidedAt,
    },
    steps,
  );
}

/**
 * The incident's actions proposed by agents, oldest first. People's revisions of them carry the
 * incident too, but no agent received a context for them: they are not steps.
 */
async function incidentActions(airlock: Airlock, incident: string): Promise<ActionRecord[]> {
  const found: ActionRecord[] = [];
  let before: { createdAt: string; id: string } | undefined;
  for (;;) {
    const page = await airlock.store.listActions({ incident, before, limit: 200 });
    found.push(...page.filter((action) => action.facts.revision === undefined));
    if (found.length > MAX_STEPS)
      throw new IncidentReplayError(`incident ${incident} has more than ${MAX_STEPS} actions`);
    const last = page.at(-1);
    if (page.length < 200 || last === undefined) break;
    before = { createdAt: last.createdAt, id: last.id };
  }
  return found.reverse();
}

/** Each proposal checked and decided on its own, as `POST /v1/actions` would, but never recorded. */
async function decideAll(
  airlock: Airlock,
  project: Project,
  agent: AgentRecord,
  bodies: readonly unknown[],
  original: ActionRecord,
): Promise<CandidateOutcome[]> {
  const outcomes: CandidateOutcome[] = [];
  for (const body of bodies) outcomes.push(await decideOne(airlock, project, agent, body, original));
  return outcomes;
}

async function decideOne(
  airlock: Airlock,
  project: Project,
  agent: AgentRecord,
  body: unknown,
  original: ActionRecord,
): Promise<CandidateOutcome> {
  const parsed = parseProposal(body);
  if (!parsed.ok) return rejected(body, 'validation_failed', 'the proposal is not valid', parsed.details);
  // A proposal at this step of the incident, seeing what the original agent saw.
  const request: ActionRequest = {
    ...parsed.value.request,
    incident: parsed.value.request.incident ?? original.request.incident,
    context: parsed.value.request.context ?? original.request.context,
  };
  let checked: ReturnType<Airlock['proposals']['check']>;
  try {
    checked = airlock.proposals.check(request, project);
  } catch (error) {
    if (!(error instanceof AirlockError)) throw error;
    // The messages `POST /v1/actions` answers with.
    if (error.code === 'unknown_action_type')
      return rejected(body, error.code, 'unknown action type', error.details);
    if (error.code === 'validation_failed')
      return rejected(body, error.code, error.message.replace('request', 'proposal'), error.details);
    throw error;
  }
  const { action } = await airlock.proposals.assess(
    agent,
    request,
    checked.entry,
    checked.environment,
    project,
    airlock.clock.now(),
    { requestHash: sha256Hex(canonicalJson(request)), idempotencyKey: null },
  );
  return { kind: 'decided', agentId: agent.id, request, decision: action.decision };
}

/** A proposal that never reached a decision, named as far as its body allows. */
function rejected(
  body: unknown,
  code: 'validation_failed' | 'unknown_action_type',
  message: string,
  details: readonly ErrorDetail[],
): CandidateOutcome {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const named = (value: unknown) => (typeof value === 'string' ? value.slice(0, 200) : null);
  return {
    kind: 'rejected',
    type: named(fields.type),
    environment: named(fields.environment),
    code,
    message,
    details: details.map((d) => `${d.path}: ${d.message}`),
  };
}

/** Agents by id, read once each. */
class AgentLookup {
  readonly #airlock: Airlock;
  readonly #agents = new Map<string, AgentRecord | null>();

  constructor(airlock: Airlock) {
    this.#airlock = airlock;
  }

  async get(id: string): Promise<AgentRecord | null> {
    if (!this.#agents.has(id)) this.#agents.set(id, await this.#airlock.store.getAgent(id));
    return this.#agents.get(id) ?? null;
  }
}

function progressLine(step: number, steps: number, original: ActionRecord, answer: StepAnswer): string {
  const head = `step ${step}/${steps} (${original.type}@${original.environment}, ${original.status})`;
  if (answer.kind === 'error') return `${head}: error: ${answer.error}`;
  const effects = answer.proposals.map((p) => (p.kind === 'decided' ? p.decision.effect : 'rejected'));
  const count = `${effects.length} proposal${effects.length === 1 ? '' : 's'}`;
  return `${head}: ${count}${effects.length === 0 ? '' : `: ${effects.join(', ')}`}`;
}
