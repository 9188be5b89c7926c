/**
 * Holds the project snapshot in force and swaps it atomically on reload. A snapshot that fails
 * to load never replaces the one in force: the error is logged with file, line and field.
 */

import { type FSWatcher, watch } from 'node:fs';
import path from 'node:path';
import { formatProblem, type Problem } from '../config/problems.ts';
import { loadProject, type Project } from '../project/project-loader.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export type ReloadResult =
  | { readonly ok: true; readonly changed: boolean; readonly project: Project }
  | { readonly ok: false; readonly problems: readonly Problem[] };

/** What asked for a reload; `peer`: another process recorded a bundle this one does not have. */
export type ReloadTrigger = 'watch' | 'signal' | 'command' | 'peer';

export interface ProjectHolderDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Called after a new snapshot is in force (e.g. to audit a new policy bundle). */
  readonly onActivated: (project: Project, previous: Project, trigger: ReloadTrigger) => Promise<void>;
  /** Environment variables the project reads (executors' secrets, webhooks' keys). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const RESTART_ONLY = ['server', 'storage'] as const;

export class ProjectHolder {
  #current: Project;
  readonly #deps: ProjectHolderDeps;
  #reloading: Promise<ReloadResult> | null = null;
  #again = false;
  #watchers: FSWatcher[] = [];
  #debounce: NodeJS.Timeout | null = null;
  /** The debounce of watch(), while watching. */
  #watching: number | null = null;

  constructor(initial: Project, deps: ProjectHolderDeps) {
    this.#current = initial;
    this.#deps = deps;
    deps.metrics.setBundle(initial.bundle.hash);
    deps.metrics.setShadowBundle(initial.shadow?.hash ?? null);
  }

  get current(): Project {
    return this.#current;
  }

  /** Load the project again; concurrent calls share one load, and a call during a load queues one more. */
  reload(trigger: ReloadTrigger): Promise<ReloadResult> {
    if (this.#reloading !== null) {
      this.#again = true;
      return this.#reloading;
    }
    this.#reloading = this.#reloadOnce(trigger).finally(() => {
      this.#reloading = null;
      if (this.#again) {
        this.#again = false;
        void this.reload(trigger);
      }
    });
    return this.#reloading;
  }

  async #reloadOnce(trigger: ReloadTrigger): Promise<ReloadResult> {
    const { logger, metrics } = this.#deps;
    const result = await loadProject(this.#current.configPath, this.#deps.env);
    if (!result.ok) {
      metrics.reloads.inc({ result: 'error' });
      logger.error(
        { event: 'project.reload_failed', trigger, problems: result.problems.map(formatProblem) },
        `reload rejected; the bundle in force (${this.#current.bundle.hash}) stays in force:\n${result.problems
          .map((p) => `  ${formatProblem(p)}`)
          .join('\n')}`,
      );
      return { ok: false, problems: result.problems };
    }
    const previous = this.#current;
    const next = result.value;
    if (next.fingerprint === previous.fingerprint) return { ok: true, changed: false, project: previous };

    for (const key of RESTART_ONLY) {
      if (JSON.stringify(next.config[key]) !== JSON.stringify(previous.config[key])) {
        logger.warn(
          { event: 'project.restart_required', setting: key },
          `${key} settings change only on restart`,
        );
      }
    }
    this.#current = next;
    metrics.reloads.inc({ result: 'ok' });
    metrics.setBundle(next.bundle.hash);
    metrics.setShadowBundle(next.shadow?.hash ?? null);
    logger.info(
      {
        event: 'project.reloaded',
        trigger,
        bundle: next.bundle.hash,
        previousBundle: previous.bundle.hash,
        shadow: next.shadow?.hash ?? null,
      },
      'project reloaded',
    );
    // A watched directory may have been replaced whole (a promoted shadow): watch the new one.
    if (this.#watching !== null) this.#arm(this.#watching);
    await this.#deps.onActivated(next, previous, trigger);
    return { ok: true, changed: true, project: next };
  }

  /** Reload when a watched file changes (debounced, so an editor's save counts once). */
  watch(debounceMs = 150): void {
    this.unwatch();
    this.#watching = debounceMs;
    this.#arm(debounceMs);
  }

  /** (Re)open a watcher on every watched directory (and the directory of every watched file). */
  #arm(debounceMs: number): void {
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers = [];
    const { watchPaths } = this.#current;
    // A watched directory replaced whole (renamed into place) shows in its parent under its name.
    const names = new Set(watchPaths.map((p) => path.basename(p)));
    const any = (name: string) => /\.ya?ml$/.test(name) || names.has(name);
    const dirs = new Map<string, (name: string) => boolean>();
    for (const p of watchPaths) dirs.set(path.extname(p) === '' ? p : path.dirname(p), any);
    for (const p of watchPaths) {
      const parent = path.dirname(p);
      if (path.extname(p) === '' && !dirs.has(parent)) dirs.set(parent, (name) => names.has(name));
    }
    for (const [dir, relevant] of dirs) {
      try {
        const watcher = watch(dir, (_event, name) => {
          if (name !== null && !relevant(name)) return;
          if (this.#debounce !== null) clearTimeout(this.#debounce);
          this.#debounce = setTimeout(() => {
            this.#debounce = null;
            void this.reload('watch');
          }, debounceMs);
        });
        watcher.on('error', (error) => this.#deps.logger.warn({ err: error, dir }, 'file watch failed'));
        this.#watchers.push(watcher);
      } catch (error) {
        this.#deps.logger.warn({ err: error, dir }, 'cannot watch directory; reload with SIGHUP');
      }
    }
  }

  unwatch(): void {
    this.#watching = null;
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers = [];
    if (this.#debounce !== null) clearTimeout(this.#debounce);
    this.#debounce = null;
  }
}
