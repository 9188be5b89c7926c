/**
 * A modal that asks for a reason and a confirmation before an admin change; the change's error,
 * if any, is shown in it and the dialog stays open.
 */

import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { ErrorNotice } from './error-notice.tsx';

export interface ConfirmDialogProps {
  readonly open: boolean;
  readonly title: string;
  /** What will happen, in a sentence. */
  readonly children?: ReactNode;
  readonly confirmLabel: string;
  readonly danger?: boolean;
  readonly reasonRequired?: boolean;
  readonly reasonMinLength?: number;
  readonly onConfirm: (reason: string) => Promise<void>;
  readonly onClose: () => void;
  readonly testId?: string;
}

export function ConfirmDialog(props: ConfirmDialogProps) {
  const { open, title, children, confirmLabel, danger, onConfirm, onClose, testId } = props;
  const required = props.reasonRequired ?? true;
  const minLength = props.reasonMinLength ?? (required ? 3 : 0);
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const id = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (open && !dialog.open) {
      setReason('');
      setError(null);
      dialog.showModal();
    } else if (!open && dialog.open) dialog.close();
  }, [open]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (reason.trim().length < minLength) {
      setError(new Error(`Say why, in at least ${minLength} characters: the reason is recorded.`));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onConfirm(reason.trim());
      onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={`${id}-title`}
      onClose={onClose}
      data-testid={testId}
    >
      <form onSubmit={submit} className="dialog-body">
        <h2 id={`${id}-title`}>{title}</h2>
        {children}
        <label className="label" htmlFor={`${id}-reason`}>
          Reason{required ? '' : ' (optional)'}
        </label>
        <textarea
          id={`${id}-reason`}
          className="input"
          rows={3}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          required={required}
          data-testid="confirm-reason"
        />
        <div className="dialog-error" aria-live="polite">
          <ErrorNotice error={error} />
        </div>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button
            type="submit"
            className={`button ${danger === true ? 'button-danger' : 'button-primary'}`}
            disabled={busy}
            data-testid="confirm-submit"
          >
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
