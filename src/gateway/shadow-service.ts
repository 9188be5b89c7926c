/**
 * Shadow policies for people: the report of where the shadow bundle disagrees with the live one,
 * and promotion, which makes the shadow's files the live ones (admins only; audited).
 */

import type { Actor } from '../audit/audit-event.ts';
import { parseDuration } from '../config/durations.ts';
import { formatProblem } from '../config/problems.ts';
import type { DecisionEffect } from '../domain/decision.ts';
import { AirlockError } from '../domain/errors.ts';
import { contentHash } from '../policy/bundle-content.ts';
import type { PolicyBundle } from '../policy/policy-bundle.ts';
import {
  discard,
  promotionDirs,
  readShadowFiles,
  stageDirectory,
  swapIn,
} from '../project/policy-promotion.ts';
import { loadPolicyBundleAs } from '../project/project-loader.ts';
import type { Person } from '../project/project-schema.ts';
import { changeOf } from '../replay/compare.ts';
import type { ShadowDecisionRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './logger.ts';
import { POLICY_SUBJECT } from './policy-records.ts';
import type { ProjectHolder } from './project-holder.ts';

export interface BundleSummary {
  readonly hash: string;
  /** The hash of the files' names and contents, wherever they live (see bundle-content.ts). */
  readonly contentHash: string;
  readonly rules: number;
  readonly limits: number;
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
}

export interface ShadowReport {
  readonly live: BundleSummary;
  /** The shadow bundle loaded, or null without one. */
  readonly shadow: (BundleSummary & { readonly sameAsLive: boolean }) | null;
  /** What was counted: one shadow bundle's disagreements (null: every one's), since when. */
  readonly filter: { readonly shadowBundle: string | null; readonly since: string | null };
  readonly disagreements: number;
  readonly transitions: readonly {
    readonly live: DecisionEffect;
    readonly shadow: DecisionEffect;
    readonly change: 'stricter' | 'looser';
    readonly count: number;
  }[];
  /** Per rule (or `limit:` limit): how often it made a difference, and how. */
  readonly rules: readonly {
    readonly rule: string;
    readonly newlyMatched: number;
    readonly noLongerMatched: number;
    readonly effectChanged: number;
  }[];
  /** The newest disagreements first. */
  readonly latest: readonly ShadowDecisionRecord[];
}

export interface ReportQuery {
  /** An ISO time, or a duration back from now (`24h`, `7d`). */
  readonly since?: string | undefined;
  /** A shadow bundle hash, or `all`; default the shadow loaded (every one's without a shadow). */
  readonly bundle?: string | undefined;
  readonly limit: number;
}

export interface PromotionResult {
  /** The live bundle before. */
  readonly previous: string;
  /** The shadow bundle promoted. */
  readonly shadow: string;
  readonly contentHash: string;
  /** The live bundle the promoted files make (its hash names the live directory, so it differs from `shadow`). */
  readonly bundle: string;
  readonly disagreements: number;
  readonly files: readonly string[];
  /** True once this process has reloaded and the new bundle is in force here. */
  readonly inForce: boolean;
  /** Why the reload did not put it in force (file:line problems), if it did not. */
  readonly problems: readonly string[];
}

export interface ShadowServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly holder: ProjectHolder;
  readonly logger: Logger;
}

export class ShadowService {
  readonly #deps: ShadowServiceDeps;
  /** Promotions one at a time in this process. */
  #promoting: Promise<unknown> = Promise.resolve();

  constructor(deps: ShadowServiceDeps) {
    this.#deps = deps;
  }

  async report(query: ReportQuery): Promise<ShadowReport> {
    const { store, holder } = this.#deps;
    const project = holder.current;
    const since = resolveSince(query.since, this.#deps.clock.now());
    const bundle = query.bundle ?? project.shadow?.hash ?? 'all';
    const filter = { shadowBundle: bundle === 'all' ? undefined : bundle, since };
    const summary = await store.summarizeShadowDecisions(filter);
    const latest = await store.listShadowDecisions({ ...filter, limit: query.limit });
    const rules = new Map<string, { newlyMatched: number; noLongerMatched: number; effectChanged: number }>();
    for (const { rule, difference, count } of summary.rules) {
      const row = rules.get(rule) ?? { newlyMatched: 0, noLongerMatched: 0, effectChanged: 0 };
      if (difference === 'newly_matched') row.newlyMatched += count;
      else if (difference === 'no_longer_matched') row.noLongerMatched += count;
      else row.effectChanged += count;
      rules.set(rule, row);
    }
    const live = summarize(project.bundle);
    return {
      live,
      shadow:
        project.shadow === null
          ? null
          : { ...summarize(project.shadow), sameAsLive: contentHash(project.shadow) === live.contentHash },
      filter: { shadowBundle: filter.shadowBundle ?? null, since: since ?? null },
      disagreements: summary.total,
      transitions: summary.transitions.map((t) => {
        const change = changeOf(t.liveEffect, t.shadowEffect);
        return {
          live: t.liveEffect,
          shadow: t.shadowEffect,
          change: change === 'looser' ? 'looser' : 'stricter',
          count: t.count,
        };
      }),
      rules: [...rules].map(([rule, counts]) => ({ rule, ...counts })),
      latest,
    };
  }

  /**
   * Make the shadow policy files the live ones: checked (one directory each side, the files as
   * loaded, `expectHash` if given), audited as `policy.promoted`, swapped in by rename. With
   * `reload`, this process then reloads and checks that the promoted bundle is the one in force;
   * without (the CLI), a running server picks the files up by its file watch or on SIGHUP.
   */
  promote(
    person: Person,
    input: { readonly reason: string; readonly expectHash?: string | undefined },
    options: { readonly reload: boolean },
  ): Promise<PromotionResult> {
    const run = this.#promoting.then(() => this.#promote(person, input, options));
    this.#promoting = run.catch(() => {});
    return run;
  }

  async #promote(
    person: Person,
    input: { readonly reason: string; readonly expectHash?: string | undefined },
    options: { readonly reload: boolean },
  ): Promise<PromotionResult> {
    // Agents never reach here (they are not people); approvers and viewers may not either.
    if (person.role !== 'admin')
      throw new AirlockError(
        'forbidden',
        `only admins may promote a shadow policy; ${person.id} is ${person.role}`,
      );
    const { store, clock, holder } = this.#deps;
    const project = holder.current;
    const shadow = project.shadow;
    if (shadow === null)
      throw new AirlockError(
        'conflict',
        'no shadow policy bundle is loaded (set policy.shadow in airlock.yaml)',
      );
    if (input.expectHash !== undefined && !sameHash(shadow.hash, input.expectHash)) {
      throw new AirlockError(
        'conflict',
        `the shadow bundle loaded is ${shadow.hash}, not ${input.expectHash}`,
        [{ path: 'expectHash', message: `the shadow loaded is ${shadow.hash}` }],
      );
    }
    const content = contentHash(shadow);
    if (content === contentHash(project.bundle))
      throw new AirlockError(
        'conflict',
        "the shadow bundle has the live bundle's files already: nothing to promote",
      );
    const dirs = await promotionDirs(project);
    if (!dirs.ok) throw new AirlockError('conflict', dirs.message);
    const files = await readShadowFiles(project, dirs.value.shadow, shadow);
    if (!files.ok) throw new AirlockError('conflict', files.message);

    const staged = await stageDirectory(dirs.value.live, files.value);
    let next: PolicyBundle;
    try {
      // The bundle the promoted files make in the live directory: its hash, and the same contents.
      const compiled = await loadPolicyBundleAs(project, staged, dirs.value.live);
      if (!compiled.ok)
        throw new AirlockError(
          'internal',
          `the promoted files do not compile: ${compiled.problems.map(formatProblem).join('; ')}`,
        );
      if (contentHash(compiled.value) !== content)
        throw new AirlockError('internal', 'the promoted files do not make the shadow bundle');
      next = compiled.value;
    } catch (error) {
      await discard(staged);
      throw error;
    }

    const disagreements = (await store.summarizeShadowDecisions({ shadowBundle: shadow.hash })).total;
    const actor: Actor = { kind: 'person', id: person.id };
    const at = clock.now().toISOString();
    const record = {
      previous: project.bundle.hash,
      shadow: shadow.hash,
      contentHash: content,
      bundle: next.hash,
      disagreements,
      files: files.value.map((f) => f.name),
    };
    const promoted = {
      kind: 'policy.promoted',
      actor,
      subject: POLICY_SUBJECT,
      data: { ...record, reason: input.reason },
    };
    try {
      // Recorded before the files move: the chain says who promoted what before it can be in force.
      await store.write((tx) => tx.appendAudit([promoted], at));
    } catch (error) {
      await discard(staged);
      throw error;
    }
    try {
      await swapIn(dirs.value.live, staged);
    } catch (error) {
      await discard(staged);
      await this.#failed(actor, record.bundle, error);
      throw new AirlockError('internal', `promoting the files failed: ${(error as Error).message}`, [], {
        cause: error,
      });
    }
    this.#deps.logger.info(
      { event: 'policy.promoted', by: person.id, ...record },
      `${person.id} promoted shadow bundle ${shadow.hash} to live (${next.hash})`,
    );
    if (!options.reload) return { ...record, inForce: false, problems: [] };
    const reloaded = await holder.reload('command');
    if (!reloaded.ok) return { ...record, inForce: false, problems: reloaded.problems.map(formatProblem) };
    const inForce = holder.current.bundle.hash === next.hash;
    return {
      ...record,
      inForce,
      problems: inForce ? [] : [`the bundle in force is ${holder.current.bundle.hash}, not ${next.hash}`],
    };
  }

  /** The files did not move after `policy.promoted` was recorded: say so in the chain (best effort). */
  async #failed(actor: Actor, bundle: string, error: unknown): Promise<void> {
    try {
      await this.#deps.store.write((tx) =>
        tx.appendAudit(
          [
            {
              kind: 'policy.promotion_failed',
              actor,
              subject: POLICY_SUBJECT,
              data: { bundle, error: (error as Error).message ?? String(error) },
            },
          ],
          this.#deps.clock.now().toISOString(),
        ),
      );
    } catch (failure) {
      this.#deps.logger.error(
        { event: 'policy.promotion_failed', err: failure },
        'recording a failed promotion failed',
      );
    }
  }
}

function summarize(bundle: PolicyBundle): BundleSummary {
  return {
    hash: bundle.hash,
    contentHash: contentHash(bundle),
    rules: bundle.rules.length,
    limits: bundle.limits.length,
    files: bundle.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
  };
}

/** The full hash, or its short form as reports print it (`sha256:` and at least 12 hex digits). */
function sameHash(hash: string, expected: string): boolean {
  return hash === expected || (/^sha256:[0-9a-f]{12,}$/.test(expected) && hash.startsWith(expected));
}

/** An ISO time, or a duration back from `now`; undefined when not given. */
export function resolveSince(text: string | undefined, now: Date): string | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms !== null) return new Date(now.getTime() - ms).toISOString();
  const at = new Date(text);
  if (Number.isNaN(at.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    throw new AirlockError('validation_failed', 'since is not a time or a duration', [
      {
        path: 'since',
        message: `"${text}" is neither a time (2026-11-24T09:00:00Z) nor a duration (24h, 7d)`,
      },
    ]);
  }
  return at.toISOString();
}
