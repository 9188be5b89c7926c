/**
 * Replicas follow each other's reloads. When another process records a policy bundle (live or
 * shadow) other than the one this process has in force, this one loads its own files again: a
 * reload on one replica (a file change it saw, SIGHUP, a promoted shadow) reaches every replica
 * that shares the files. A replica whose files still differ keeps its bundle and says so in a
 * warning: a bundle nobody can read from disk is never taken over from the chain.
 */

import type { AuditRecord } from '../audit/audit-event.ts';
import type { AuditTail } from './audit-tail.ts';
import type { Logger } from './logger.ts';
import { POLICY_SUBJECT, SHADOW_SUBJECT } from './policy-records.ts';
import type { ProjectHolder } from './project-holder.ts';

export class PeerReloads {
  readonly #tail: AuditTail;
  readonly #holder: ProjectHolder;
  readonly #logger: Logger;
  /** The newest record seen per subject. */
  readonly #latest = new Map<string, number>();
  #stop: (() => void) | null = null;

  constructor(tail: AuditTail, holder: ProjectHolder, logger: Logger) {
    this.#tail = tail;
    this.#holder = holder;
    this.#logger = logger;
  }

  /** Follow bundles recorded from now on. */
  async start(): Promise<void> {
    this.stop();
    this.#stop = this.#tail.subscribe(await this.#tail.head(), {
      accept: (record) =>
        record.kind === 'policy.activated' ||
        (record.subject === SHADOW_SUBJECT && record.kind.startsWith('policy.shadow_')),
      send: (record) => {
        this.#latest.set(subjectOf(record), record.seq);
        void this.#follow(record);
      },
      end: () => {
        this.#stop = null;
      },
    });
  }

  stop(): void {
    this.#stop?.();
    this.#stop = null;
  }

  async #follow(record: AuditRecord): Promise<void> {
    const recorded = bundleIn(record);
    if (recorded === ours(this.#holder, record)) return;
    const result = await this.#holder.reload('peer');
    if (!result.ok) return; // The holder has logged the problems; the bundle in force stays.
    const now = ours(this.#holder, record);
    // Only the newest record of a subject matters: an older one may have been overtaken meanwhile.
    if (recorded !== now && record.seq === this.#latest.get(subjectOf(record))) {
      this.#logger.warn(
        { event: 'project.peer_mismatch', seq: record.seq, recorded, inForce: now },
        `another process put ${subjectOf(record) === POLICY_SUBJECT ? 'policy' : 'shadow'} bundle ${recorded ?? '(none)'} in force (event ${record.seq}), but this one's files give ${now ?? '(none)'}: it keeps its own`,
      );
    }
  }
}

function bundleIn(record: AuditRecord): string | null {
  if (record.kind === 'policy.shadow_removed') return null;
  return (JSON.parse(record.data) as { bundle?: string }).bundle ?? null;
}

function subjectOf(record: AuditRecord): string {
  return record.kind === 'policy.activated' ? POLICY_SUBJECT : SHADOW_SUBJECT;
}

function ours(holder: ProjectHolder, record: AuditRecord): string | null {
  const project = holder.current;
  return subjectOf(record) === POLICY_SUBJECT ? project.bundle.hash : (project.shadow?.hash ?? null);
}
