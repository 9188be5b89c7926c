/**
 * Each scope's calibration curve, fitted from its evidence and kept until evidence changes in any
 * process (the store bumps an evidence version with every insert). Decisions read it from here.
 */

import type { CalibrationFact } from '../decide/facts.ts';
import type { StoreReader } from '../store/store.ts';
import { calibrate, fitIsotonic } from '../trust/calibration.ts';
import { inScope, labelledPoints, type ScopePattern } from '../trust/evidence.ts';
import { formatScope } from '../trust/scope.ts';
import type { TrustSettings } from '../trust/trust-settings.ts';

/** Evidence read per agent to fit its curves: the most recent this many in the window. */
const MAX_EVIDENCE = 20_000;
const MAX_ENTRIES = 10_000;

interface Curve {
  readonly n: number;
  readonly knots: CalibrationFact['knots'];
}

export class CalibrationCache {
  readonly #store: StoreReader;
  readonly #settings: () => TrustSettings;
  readonly #curves = new Map<string, Promise<Curve>>();
  #version = -1;
  #checking: Promise<void> | null = null;

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
    await this.#refresh();
    const { window, calibration } = this.#settings();
    const scopeText = formatScope(scope.typePattern, scope.environment);
    const key = `${agentId}\u0000${scopeText}\u0000${window}\u0000${calibration.minEvidence}`;
    let curve = this.#curves.get(key);
    if (curve === undefined) {
      if (this.#curves.size >= MAX_ENTRIES) this.#curves.clear();
      curve = this.#fit(
        agentId,
        scope,
        new Date(now.getTime() - window).toISOString(),
        calibration.minEvidence,
      );
      this.#curves.set(key, curve);
      curve.catch(() => this.#curves.delete(key));
    }
    const { n, knots } = await curve;
    return {
      scope: scopeText,
      n,
      minEvidence: calibration.minEvidence,
      knots,
      calibrated: knots === null || stated === null ? null : calibrate({ knots, n }, stated),
    };
  }

  async #fit(agentId: string, scope: ScopePattern, since: string, minEvidence: number): Promise<Curve> {
    const evidence = await this.#store.listEvidence({ agentId, since, limit: MAX_EVIDENCE });
    // Stated confidences to the hundredth: at most 101 knots, however many outcomes.
    const points = labelledPoints(evidence.filter((e) => inScope(scope, e))).map((p) => ({
      ...p,
      confidence: Math.round(p.confidence * 100) / 100,
    }));
    if (points.length < minEvidence) return { n: points.length, knots: null };
    return { n: points.length, knots: fitIsotonic(points).knots };
  }

  /** One version check per turn of the event loop; any change drops every curve. */
  #refresh(): Promise<void> {
    if (this.#checking === null) {
      this.#checking = this.#store.evidenceVersion().then((version) => {
        if (version !== this.#version) {
          this.#curves.clear();
          this.#version = version;
        }
      });
      setImmediate(() => {
        this.#checking = null;
      });
    }
    return this.#checking;
  }
}
