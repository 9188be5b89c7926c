/** Measures the in-process latency of the pure decision step, decide(facts, bundle), at 10/100/1,000 rules. */

import { performance } from 'node:perf_hooks';
import { decide } from '../src/decide/decide.ts';
import type { DecisionFacts } from '../src/decide/facts.ts';
import type { PolicyBundle } from '../src/policy/policy-bundle.ts';
import { candidateRules } from '../src/policy/policy-evaluator.ts';
import { loadProject } from '../src/project/project-loader.ts';
import { machineBusySeconds } from './cpu-usage.ts';
import { decisionFacts } from './decision-requests.ts';
import { generateBundle, withGeneratedCatalog } from './generated-bundle.ts';
import { type LatencySummary, summarizeNs } from './stats.ts';
import { tempProject } from './temp-project.ts';

export interface DecideOptions {
  readonly decisions: number;
  readonly warmup: number;
  /** Distinct requests cycled through (a prime, so they do not line up with anything). */
  readonly requests: number;
}

export const DECIDE_DEFAULTS: DecideOptions = { decisions: 20_000, warmup: 5_000, requests: 97 };

export interface DecideResult {
  readonly rules: number;
  readonly actionTypes: number;
  /** Distinct (type, environment) keys in the request set: the candidate cache's working set. */
  readonly cacheKeys: number;
  readonly loadMs: number;
  /** The very first decide() on the fresh bundle: empty candidate cache, cold code. */
  readonly coldUs: number;
  /** Warm code, but a candidate-cache miss on every call (each call sees a fresh bundle object). */
  readonly missP50Us: number;
  readonly latency: LatencySummary;
  readonly decisions: number;
  /** Rules whose type/environment match the request, per decision. */
  readonly candidatesAvg: number;
  /** Rules that matched (condition true, or failed to evaluate), per decision. */
  readonly matchedAvg: number;
  readonly ruleErrors: number;
  readonly effects: Readonly<Record<string, number>>;
  /** Cores kept busy by other processes while this bundle was measured (noise indicator). */
  readonly othersCpu: number | null;
}

export async function benchDecide(
  ruleCount: number,
  options: DecideOptions = DECIDE_DEFAULTS,
): Promise<DecideResult> {
  const generated = generateBundle(ruleCount);
  const project = await tempProject({ ...generated.files, 'airlock.yaml': withGeneratedCatalog });
  try {
    const started = performance.now();
    const loaded = await loadProject(project.configPath);
    const loadMs = performance.now() - started;
    if (!loaded.ok) throw new Error(`generated project does not load: ${JSON.stringify(loaded.problems[0])}`);
    const { bundle } = loaded.value;
    if (bundle.rules.length !== ruleCount) throw new Error(`bundle has ${bundle.rules.length} rules`);
    const requests = decisionFacts(loaded.value, generated.syntheticTypes, options.requests);
    const machineBefore = await machineBusySeconds();
    const ownBefore = process.cpuUsage();
    const wallBefore = performance.now();
    const result = measure(bundle, requests, options, {
      rules: ruleCount,
      actionTypes: loaded.value.catalog.size,
      loadMs,
    });
    const wallS = (performance.now() - wallBefore) / 1e3;
    const own = process.cpuUsage(ownBefore);
    const machineAfter = await machineBusySeconds();
    const othersCpu =
      machineBefore === null || machineAfter === null
        ? null
        : Math.max(0, (machineAfter - machineBefore - (own.user + own.system) / 1e6) / wallS);
    return { ...result, othersCpu };
  } finally {
    await project.remove();
  }
}

function measure(
  bundle: PolicyBundle,
  requests: readonly DecisionFacts[],
  options: DecideOptions,
  about: { rules: number; actionTypes: number; loadMs: number },
): Omit<DecideResult, 'othersCpu'> {
  const first = requests[0];
  if (first === undefined) throw new Error('no requests');
  const at = (i: number) => requests[i % requests.length] as DecisionFacts;

  let t = process.hrtime.bigint();
  decide(first, bundle);
  const coldUs = Number(process.hrtime.bigint() - t) / 1e3;

  for (let i = 0; i < options.warmup; i++) decide(at(i), bundle);

  // Candidate-cache misses: the cache is keyed by the bundle object, so a shallow copy starts empty.
  const misses = new Float64Array(requests.length);
  for (const [i, facts] of requests.entries()) {
    const fresh: PolicyBundle = { ...bundle };
    t = process.hrtime.bigint();
    decide(facts, fresh);
    misses[i] = Number(process.hrtime.bigint() - t);
  }

  const durations = new Float64Array(options.decisions);
  const effects: Record<string, number> = {};
  let matched = 0;
  let ruleErrors = 0;
  let candidates = 0;
  for (let i = 0; i < options.decisions; i++) {
    const facts = at(i);
    const start = process.hrtime.bigint();
    const decision = decide(facts, bundle);
    durations[i] = Number(process.hrtime.bigint() - start);
    effects[decision.effect] = (effects[decision.effect] ?? 0) + 1;
    for (const reason of decision.reasons) {
      if (reason.kind === 'rule') matched += 1;
      else if (reason.kind === 'rule_error') {
        matched += 1;
        ruleErrors += 1;
      }
    }
    candidates += candidateRules(bundle, facts.request.type, facts.request.environment).length;
  }

  return {
    ...about,
    cacheKeys: new Set(requests.map((f) => `${f.request.type}@${f.request.environment}`)).size,
    coldUs,
    missP50Us: summarizeNs(misses).p50,
    latency: summarizeNs(durations),
    decisions: options.decisions,
    candidatesAvg: candidates / options.decisions,
    matchedAvg: matched / options.decisions,
    ruleErrors,
    effects,
  };
}

/** Run the bundle sizes one after the other; `progress` gets a line per step. */
export async function runDecideLatency(
  sizes: readonly number[] = [10, 100, 1_000],
  progress: (line: string) => void = () => {},
  options: DecideOptions = DECIDE_DEFAULTS,
): Promise<DecideResult[]> {
  const results: DecideResult[] = [];
  for (const size of sizes) {
    progress(`decide: ${size.toLocaleString('en-US')} rules…`);
    results.push(await benchDecide(size, options));
  }
  return results;
}
