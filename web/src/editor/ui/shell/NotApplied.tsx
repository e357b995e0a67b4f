/**
 * The changes that could not be re-applied on top of another tab's or builder's edits
 * (`session.notApplied`), next to the save state: a button says how many there are and opens
 * the list, each change by its label with the reason; Dismiss forgets them (the builder has seen
 * them). The list opens by itself when changes join it, so none goes unseen.
 */

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { useEditor } from '../context.ts';
import './shell.css';

export function notAppliedText(count: number): string {
  return `${count} ${count === 1 ? 'change' : 'changes'} not applied`;
}

export function NotApplied() {
  const { session } = useEditor();
  const list = session.notApplied?.value ?? [];
  const count = list.length;
  const [open, setOpen] = useState(count > 0);
  const seen = useRef(count);
  const button = useRef<HTMLButtonElement>(null);
  const panelId = useId();
  useEffect(() => {
    if (count > seen.current) setOpen(true);
    seen.current = count;
  }, [count]);

  if (count === 0) return null;
  const close = (): void => {
    setOpen(false);
    button.current?.focus();
  };
  return (
    <div class="ed-not-applied-wrap">
      <button
        ref={button}
        type="button"
        class="ed-btn ed-btn-warn"
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        onClick={() => setOpen(!open)}
      >
        {notAppliedText(count)}
      </button>
      {open && (
        <section
          id={panelId}
          class="ed-not-applied"
          aria-label="Changes not applied"
          onKeyDown={(e) => {
            if (e.key !== 'Escape') return;
            // Esc closes the list; the canvas must not take it as "clear the selection".
            e.stopPropagation();
            e.preventDefault();
            close();
          }}
        >
          <p>Another tab or builder changed this app meanwhile. These changes of yours could not be re-applied, so they are not in the draft:</p>
          <ul>
            {list.map((n, i) => (
              <li key={i}>
                <strong>{n.change.label}</strong>: {n.reason}
              </li>
            ))}
          </ul>
          <div class="ed-dialog-actions">
            <button
              type="button"
              class="ed-btn"
              onClick={() => {
                session.dismissNotApplied?.();
                setOpen(false);
              }}
            >
              Dismiss
            </button>
          </div>
        </section>
      )}
    </div>
  );
}
