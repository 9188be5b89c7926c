/**
 * A bundle's content hash: its files' names and contents and the default effect, without the
 * directory they live in. A bundle's own hash names each file's path in the project, so the same
 * files in another directory (a shadow, promoted) hash differently there and the same here.
 */

import path from 'node:path';
import { sha256Hex } from '../audit/audit-event.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { PolicyBundle } from './policy-bundle.ts';

/**
 * @example
 * contentHash(project.shadow) === contentHash(project.bundle); // same files, wherever they live
 */
export function contentHash(bundle: Pick<PolicyBundle, 'defaultEffect' | 'files'>): string {
  const files = bundle.files.map((f) => ({ name: path.basename(f.path), sha256: f.sha256 }));
  return `sha256:${sha256Hex(canonicalJson({ defaultEffect: bundle.defaultEffect, files }))}`;
}
