/**
 * A load failure: in place of the content when there is none yet, else as a floating note, so
 * that a failed refresh never pushes the content it failed to refresh.
 */

import type { Resource } from '../lib/use-resource.ts';
import { ErrorNotice, errorMessage } from './error-notice.tsx';

export function ResourceError({ resource, what }: { resource: Resource<unknown>; what: string }) {
  if (resource.error == null) return null;
  if (resource.data === null) return <ErrorNotice error={resource.error} what={what} />;
  return (
    <p className="floating-note" role="status" data-testid="refresh-error">
      {what} (showing what was last loaded): {errorMessage(resource.error)}
    </p>
  );
}
