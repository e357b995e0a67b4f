/**
 * A text field for `{{ }}` bindings with completion from the app (a `Completer`, usually
 * `appCompleter`): the ARIA combobox pattern with a list popup (a multiline field is a
 * textarea, whose role stays textbox, with the same list). The list opens while an
 * identifier is typed, after a `.` or `{{`, and on Ctrl+Space; ArrowDown/ArrowUp move, Enter or
 * Tab accept (Tab only while the list is open), Escape closes it without reaching the editor's
 * own Escape, and a click on an option accepts it. Suggestions are computed for the caret only,
 * on input, and at most `MAX_OPTIONS` are shown, so typing stays fast.
 */

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { Completer, CompletionResult } from '../../doc/completion.ts';
import './complete.css';

export interface BindingInputProps {
  /** Accessible name (or `labelledBy`, the id of a visible label). */
  readonly label?: string;
  readonly labelledBy?: string;
  readonly id?: string;
  readonly value: string;
  readonly onInput: (value: string) => void;
  readonly complete: Completer;
  /** A textarea rather than a one-line input. */
  readonly multiline?: boolean;
  readonly placeholder?: string;
  readonly invalid?: boolean;
  readonly describedBy?: string;
  /** Keys the list does not take (Mod+Enter to run, say); all keys while the list is closed. */
  readonly onKeyDown?: (e: KeyboardEvent) => void;
}

/** The most options shown at once; the builder types more to narrow. */
export const MAX_OPTIONS = 50;

type Field = HTMLInputElement | HTMLTextAreaElement;

export function BindingInput(props: BindingInputProps) {
  const listId = useId();
  const fieldRef = useRef<Field>(null);
  const [result, setResult] = useState<CompletionResult | null>(null);
  const [active, setActive] = useState(0);
  const options = result ? result.options.slice(0, MAX_OPTIONS) : [];
  const open = options.length > 0;
  const optionId = (i: number) => `${listId}-${i}`;

  useEffect(() => {
    if (!open) return;
    const el = document.getElementById(optionId(active));
    // happy-dom and old browsers may lack it; the list still works without scrolling.
    if (el && typeof el.scrollIntoView === 'function') el.scrollIntoView({ block: 'nearest' });
  }, [open, active]);

  const close = () => {
    setResult(null);
    setActive(0);
  };

  /** Asks for suggestions at the caret of `field` (explicitly: Ctrl+Space). */
  const suggest = (field: Field, explicit: boolean) => {
    const caret = field.selectionStart ?? field.value.length;
    setResult(props.complete(field.value, caret, 'template', explicit));
    setActive(0);
  };

  const accept = (index: number) => {
    const field = fieldRef.current;
    const option = options[index];
    if (!field || !result || !option) return;
    const text = field.value.slice(0, result.from) + option.insert + field.value.slice(result.to);
    const caret = result.from + (option.caret ?? option.insert.length);
    // Set at once so the caret lands right even before the owner re-renders with the value.
    field.value = text;
    field.setSelectionRange(caret, caret);
    close();
    props.onInput(text);
  };

  const onInput = (e: Event) => {
    const field = e.currentTarget as Field;
    props.onInput(field.value);
    const inputType = (e as Partial<InputEvent>).inputType;
    // Typing opens or narrows the list; deleting only updates a list already open.
    if (inputType === undefined || inputType.startsWith('insert') || open) suggest(field, false);
    else close();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const field = e.currentTarget as Field;
    if (e.key === ' ' && e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      suggest(field, true);
      return;
    }
    if (open) {
      const modified = e.ctrlKey || e.metaKey || e.altKey;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const step = e.key === 'ArrowDown' ? 1 : -1;
        setActive((active + step + options.length) % options.length);
        return;
      }
      if ((e.key === 'Enter' || e.key === 'Tab') && !modified && !e.shiftKey) {
        e.preventDefault();
        accept(active);
        return;
      }
      if (e.key === 'Escape') {
        // The list's Escape: the editor must not also deselect or close a panel.
        e.preventDefault();
        e.stopPropagation();
        close();
        return;
      }
      if (e.key === 'ArrowLeft' || e.key === 'ArrowRight' || e.key === 'Home' || e.key === 'End') close();
    }
    props.onKeyDown?.(e);
  };

  const common = {
    ref: fieldRef as never,
    id: props.id,
    class: 'ed-bi-field',
    value: props.value,
    placeholder: props.placeholder,
    'aria-label': props.label,
    'aria-labelledby': props.labelledBy,
    'aria-describedby': props.describedBy,
    'aria-invalid': props.invalid ? ('true' as const) : undefined,
    'aria-autocomplete': 'list' as const,
    'aria-controls': listId,
    'aria-activedescendant': open ? optionId(active) : undefined,
    autoComplete: 'off',
    spellcheck: false,
    onInput,
    onKeyDown,
    onBlur: close,
  };

  return (
    <div class="ed-bi">
      {props.multiline ? (
        // ARIA in HTML allows a textarea no role but its own (textbox), which may still say
        // that it has a list popup and which option is active; `aria-expanded` is the
        // combobox's alone.
        <textarea {...common} />
      ) : (
        <input type="text" role="combobox" aria-expanded={open} {...common} />
      )}
      <ul id={listId} role="listbox" aria-label="Suggestions" class="ed-bi-list" hidden={!open}>
        {options.map((o, i) => (
          <li
            key={`${o.kind}:${o.label}`}
            id={optionId(i)}
            role="option"
            aria-selected={i === active}
            class="ed-bi-option"
            // Keep the focus in the field, so the click accepts into it.
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => accept(i)}
          >
            <span class="ed-bi-label">{o.label}</span>
            {o.detail && <span class="ed-bi-detail">{o.detail}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}
