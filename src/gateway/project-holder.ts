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

export type ReloadTrigger = 'watch' | 'signal' | 'command';

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

  constructor(initial: Project, deps: ProjectHolderDeps) {
    this.#current = initial;
    this.#deps = deps;
    deps.metrics.setBundle(initial.bundle.hash);
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
    logger.info(
      { event: 'project.reloaded', trigger, bundle: next.bundle.hash, previousBundle: previous.bundle.hash },
      'project reloaded',
    );
    await this.#deps.onActivated(next, previous, trigger);
    return { ok: true, changed: true, project: next };
  }

  /** Reload when a watched file changes (debounced, so an editor's save counts once). */
  watch(debounceMs = 150): void {
    this.unwatch();
    const dirs = new Set(this.#current.watchPaths.map((p) => (path.extname(p) === '' ? p : path.dirname(p))));
    for (const dir of dirs) {
      try {
        const watcher = watch(dir, (_event, name) => {
          if (name !== null && !/\.ya?ml$/.test(name)) return;
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
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers = [];
    if (this.#debounce !== null) clearTimeout(this.#debounce);
    this.#debounce = null;
  }
}
