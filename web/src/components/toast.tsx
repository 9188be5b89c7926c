/** A result announced without moving the page: fixed in a corner, read out by screen readers, dismissable. */

import type { ReactNode } from 'react';

export function Toast(props: {
  tone: 'good' | 'warn' | 'error';
  children: ReactNode;
  onDismiss: () => void;
  testId: string;
}) {
  const { tone, children, onDismiss, testId } = props;
  const shown = children !== null && children !== undefined && children !== false;
  return (
    <div className="toast-region" aria-live="polite" data-testid={testId}>
      {shown && (
        <div className={`toast notice notice-${tone}`}>
          <div className="toast-body">{children}</div>
          <button type="button" className="toast-close" onClick={onDismiss} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
    </div>
  );
}
