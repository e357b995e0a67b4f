/**
 * Modal dialogs on the native `<dialog>`: the browser traps the focus inside, closes on Esc
 * (the `cancel` event) and gives the focus back to where it was, and its role is `dialog`,
 * named by its heading. `Confirm` asks before something that cannot be taken back.
 */

import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

export interface DialogProps {
  readonly title: string;
  readonly onClose: () => void;
  readonly children: ComponentChildren;
  /** `alertdialog` for a question that interrupts (a confirmation). */
  readonly role?: 'dialog' | 'alertdialog';
  readonly class?: string;
}

export function Dialog({ title, onClose, children, role, class: extra }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) {
      if (typeof dialog.showModal === 'function') dialog.showModal();
      else dialog.setAttribute('open', '');
    }
    return () => {
      if (dialog.open && typeof dialog.close === 'function') dialog.close();
      // The element that opened the dialog may be gone (a deleted app's row).
      if (returnTo?.isConnected) returnTo.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={`ed-dialog${extra ? ` ${extra}` : ''}`}
      role={role === 'alertdialog' ? 'alertdialog' : undefined}
      aria-labelledby={titleId}
      onCancel={(e) => {
        // Esc: the parent decides (it unmounts the dialog), so the DOM and the state agree.
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId} class="ed-dialog-title">
        {title}
      </h2>
      {children}
    </dialog>
  );
}

export interface ConfirmProps {
  readonly title: string;
  readonly message: string;
  readonly confirmLabel: string;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
  /** Shown while the confirmed action is in flight, or after it failed. */
  readonly busy?: boolean;
  readonly error?: string;
}

export function Confirm(props: ConfirmProps) {
  return (
    <Dialog title={props.title} onClose={props.onCancel} role="alertdialog">
      <p>{props.message}</p>
      {props.error && (
        <p class="ed-error" role="alert">
          {props.error}
        </p>
      )}
      <div class="ed-dialog-actions">
        <button type="button" class="ed-btn" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="ed-btn ed-btn-danger" disabled={props.busy} onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}

/** The one action of an informational dialog. */
export function CloseButtonRow({ onClose }: { onClose: () => void }) {
  return (
    <div class="ed-dialog-actions">
      <button type="button" class="ed-btn" onClick={onClose}>
        Close
      </button>
    </div>
  );
}
