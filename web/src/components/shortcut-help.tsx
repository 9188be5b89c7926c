/** The list of keyboard shortcuts, in a modal opened with `?`. */

import { useEffect, useRef } from 'react';

export function ShortcutHelp(props: {
  open: boolean;
  onClose: () => void;
  shortcuts: readonly (readonly [string, string])[];
}) {
  const { open, onClose, shortcuts } = props;
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (open && !dialog.open) dialog.showModal();
    else if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="shortcuts-title"
      onClose={onClose}
      data-testid="shortcut-help"
    >
      <div className="dialog-body">
        <h2 id="shortcuts-title">Keyboard shortcuts</h2>
        <dl className="shortcuts">
          {shortcuts.map(([key, what]) => (
            <div key={key} className="shortcut">
              <dt>
                <kbd>{key}</kbd>
              </dt>
              <dd>{what}</dd>
            </div>
          ))}
        </dl>
        <p className="hint">Shortcuts do nothing while you type in a field.</p>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </dialog>
  );
}
