/**
 * The policy bundles in force, in the audit chain: `policy.activated` when the live bundle
 * changes, `policy.shadow_loaded` / `policy.shadow_removed` when the shadow bundle does. Each is
 * recorded once, even when several processes load the same files.
 */

import type { Actor, AuditRecord, NewAuditEvent } from '../audit/audit-event.ts';
import { contentHash } from '../policy/bundle-content.ts';
import type { PolicyBundle } from '../policy/policy-bundle.ts';
import type { Project } from '../project/project-loader.ts';
import type { Store, StoreReader } from '../store/store.ts';
import type { Clock } from './clock.ts';
import type { ReloadTrigger } from './project-holder.ts';

/** The subject of the live bundle's events (`policy.activated`, `policy.promoted`). */
export const POLICY_SUBJECT = 'policy';
/** The subject of the shadow bundle's events. */
export const SHADOW_SUBJECT = 'policy.shadow';

const SYSTEM: Actor = { kind: 'system', id: 'airlock' };

/** Record the bundles in force unless they are the last ones recorded; atomic, so replicas record them once. */
export function recordPolicyInForce(
  store: Store,
  clock: Clock,
  project: Project,
  trigger: ReloadTrigger | 'startup',
): Promise<void> {
  return store.write(async (tx) => {
    const events: NewAuditEvent[] = [];
    const live = lastBundle(await tx.auditForSubject(POLICY_SUBJECT), 'policy.activated');
    if (live !== project.bundle.hash) {
      events.push({
        kind: 'policy.activated',
        actor: SYSTEM,
        subject: POLICY_SUBJECT,
        data: { ...describe(project.bundle), previous: live, trigger },
      });
    }
    const shadowEvents = await tx.auditForSubject(SHADOW_SUBJECT);
    const shadow = shadowEvents.at(-1)?.kind === 'policy.shadow_loaded' ? lastBundle(shadowEvents) : null;
    const now = project.shadow;
    if (now !== null && now.hash !== shadow) {
      events.push({
        kind: 'policy.shadow_loaded',
        actor: SYSTEM,
        subject: SHADOW_SUBJECT,
        data: { ...describe(now), previous: shadow, trigger, live: project.bundle.hash },
      });
    } else if (now === null && shadow !== null) {
      events.push({
        kind: 'policy.shadow_removed',
        actor: SYSTEM,
        subject: SHADOW_SUBJECT,
        data: { previous: shadow, trigger },
      });
    }
    await tx.appendAudit(events, clock.now().toISOString());
  });
}

/**
 * When the live bundle `hash` last came into force: the time of its latest `policy.activated`
 * event, or null when the chain has none for it (not recorded yet).
 */
export async function activatedAt(
  store: Pick<StoreReader, 'auditForSubject'>,
  hash: string,
): Promise<string | null> {
  const events = await store.auditForSubject(POLICY_SUBJECT);
  const last = events.filter((e) => e.kind === 'policy.activated' && bundleOf(e) === hash).at(-1);
  return last?.at ?? null;
}

function describe(bundle: PolicyBundle) {
  return {
    bundle: bundle.hash,
    contentHash: contentHash(bundle),
    defaultEffect: bundle.defaultEffect,
    rules: bundle.rules.length,
    files: bundle.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
  };
}

/** The `bundle` of the last event (of `kind`, if given), or null. */
function lastBundle(events: readonly AuditRecord[], kind?: string): string | null {
  const last = (kind === undefined ? events : events.filter((e) => e.kind === kind)).at(-1);
  return last === undefined ? null : bundleOf(last);
}

function bundleOf(event: AuditRecord): string | null {
  return (JSON.parse(event.data) as { bundle?: string }).bundle ?? null;
}
