/**
 * Each scope's calibration curve, fitted from its evidence. An agent's evidence window is kept in
 * memory and topped up per decision with what was recorded since (an indexed read of the newer
 * records and a count of the recent ones, in any process), so a new outcome is in the very next
 * curve without re-reading the whole window, however busy the agent.
 */

import type { CalibrationFact } from '../decide/facts.ts';
import type { StoreReader } from '../store/store.ts';
import { calibrate, fitScopeCurve, type ScopeCurve } from '../trust/calibration.ts';
import type { EvidenceRecord, ScopePattern } from '../trust/evidence.ts';
import { formatScope } from '../trust/scope.ts';
import type { TrustSettings } from '../trust/trust-settings.ts';

/** Evidence kept per agent: the most recent this many in the window. */
const MAX_EVIDENCE = 20_000;
const MAX_AGENTS = 1_000;
/** Evidence committed late with an earlier time (another process's clock) is caught within this. */
const OVERLAP_MS = 60_000;
/** Re-read an agent's whole window this often, whatever happened. */
const RELOAD_MS = 300_000;

interface AgentEvidence {
  rows: EvidenceRecord[];
  readonly ids: Set<string>;
  readonly loadedAt: number;
  /** Curves per scope and minimum, valid until the rows change. */
  readonly curves: Map<string, ScopeCurve>;
}

export class CalibrationCache {
  readonly #store: StoreReader;
  readonly #settings: () => TrustSettings;
  readonly #agents = new Map<string, Promise<AgentEvidence>>();

  constructor(store: StoreReader, settings: () => TrustSettings) {
    this.#store = store;
    this.#settings = settings;
  }

  /** The calibration of `scope` for an agent, and `stated` mapped through it. */
  async fact(
    agentId: string,
    scope: ScopePattern,
    stated: number | null,
    now: Date,
  ): Promise<CalibrationFact> {
    const { window, calibration } = this.#settings();
    const since = new Date(now.getTime() - window).toISOString();
    const agent = await this.#evidence(agentId, since);
    const scopeText = formatScope(scope.typePattern, scope.environment);
    const key = `${scopeText}\u0000${calibration.minEvidence}`;
    let curve = agent.curves.get(key);
    if (curve === undefined) {
      curve = fitScopeCurve(agent.rows, scope, calibration.minEvidence);
      agent.curves.set(key, curve);
    }
    const { n, knots } = curve;
    return {
      scope: scopeText,
      n,
      minEvidence: calibration.minEvidence,
      knots,
      calibrated: knots === null || stated === null ? null : calibrate({ knots, n }, stated),
    };
  }

  /** The agent's evidence in the window, as of now. */
  async #evidence(agentId: string, since: string): Promise<AgentEvidence> {
    const cached = this.#agents.get(agentId);
    const current = cached === undefined ? undefined : await cached.catch(() => undefined);
    if (current === undefined || Date.now() - current.loadedAt > RELOAD_MS) {
      if (this.#agents.size >= MAX_AGENTS) this.#agents.clear();
      const loading = this.#store.listEvidence({ agentId, since, limit: MAX_EVIDENCE }).then((rows) => ({
        rows,
        ids: new Set(rows.map((r) => r.id)),
        loadedAt: Date.now(),
        curves: new Map<string, ScopeCurve>(),
      }));
      this.#agents.set(agentId, loading);
      return loading;
    }
    const last = current.rows.at(-1)?.at ?? since;
    const from = new Date(Math.max(Date.parse(since), Date.parse(last) - OVERLAP_MS)).toISOString();
    // What is newer than the newest record held (the records at that instant again, deduplicated)…
    const recent = await this.#store.listEvidence({ agentId, since: last, limit: MAX_EVIDENCE });
    // …and, within the overlap, what committed late with an earlier time: counted first, read
    // only when the store holds more there than the cache does.
    let held = 0;
    for (let i = current.rows.length - 1; i >= 0 && (current.rows[i]?.at ?? '') >= from; i--) held++;
    const stored = await this.#store.countEvidence({ agentId, since: from, until: last });
    if (stored !== held) {
      recent.push(
        ...(await this.#store.listEvidence({ agentId, since: from, until: last, limit: MAX_EVIDENCE })),
      );
    }
    let changed = false;
    for (const row of recent) {
      if (current.ids.has(row.id)) continue;
      current.ids.add(row.id);
      current.rows.push(row);
      changed = true;
    }
    if (changed)
      current.rows.sort((a, b) => (a.at === b.at ? a.id.localeCompare(b.id) : a.at < b.at ? -1 : 1));
    if ((current.rows[0]?.at ?? since) < since) {
      current.rows = current.rows.filter((r) => r.at >= since);
      changed = true;
    }
    if (changed) current.curves.clear();
    return current;
  }
}
