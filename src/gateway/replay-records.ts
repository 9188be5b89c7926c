/**
 * The latest replay report, kept in the store's settings for the console: each replay that
 * finishes replaces the one before (replays decide in memory; this is all they write).
 */

import type { ReplayReport } from '../replay/replay-report.ts';
import type { Store, StoreReader } from '../store/store.ts';

const LATEST_REPLAY = 'replay.latest';

export interface ReplayRecord {
  /** When the replay finished. */
  readonly at: string;
  /** The candidate in words, e.g. "policies from policies-next with the project's trust settings". */
  readonly description: string;
  /** The report as `airlock replay --json` prints it. */
  readonly report: ReplayReport;
}

export function saveLatestReplay(store: Store, record: ReplayRecord): Promise<void> {
  return store.write((tx) => tx.putSetting(LATEST_REPLAY, JSON.stringify(record)));
}

/** The last replay recorded, or null when none was. */
export async function latestReplay(store: Pick<StoreReader, 'getSetting'>): Promise<ReplayRecord | null> {
  const text = await store.getSetting(LATEST_REPLAY);
  return text === null ? null : (JSON.parse(text) as ReplayRecord);
}

/** Where the candidate's policies and trust settings came from (null: the project's own). */
export function describeCandidate(candidate: ReplayReport['candidate']): string {
  const policies =
    candidate.policies === null ? "the project's policies" : `policies from ${candidate.policies}`;
  const trust =
    candidate.trust === null ? "the project's trust settings" : `trust settings from ${candidate.trust}`;
  return `${policies} with ${trust}`;
}
