/** A labelled one-line field (the label's text is its accessible name), with its problem. */

import { useId } from 'preact/hooks';

export interface FieldProps {
  readonly label: string;
  readonly value: string;
  readonly onInput: (value: string) => void;
  readonly type?: 'text' | 'email' | 'password';
  readonly name?: string;
  readonly autoComplete?: string;
  /** Shown under the field and tied to it (`aria-describedby`); the field is then invalid. */
  readonly problem?: string;
  /** Focused when it appears (a dialog focuses it when it opens). */
  readonly autoFocus?: boolean;
}

export function Field({ label, value, onInput, type = 'text', name, autoComplete, problem, autoFocus }: FieldProps) {
  const problemId = useId();
  // Preact's input typing narrows its other attributes per `type`; these three share them.
  const typed = { type } as { type: 'text' };
  return (
    <label class="ed-field">
      <span>{label}</span>
      <input
        {...typed}
        name={name}
        autoComplete={autoComplete}
        autoFocus={autoFocus}
        value={value}
        aria-invalid={problem ? 'true' : undefined}
        aria-describedby={problem ? problemId : undefined}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
      {problem && (
        <span id={problemId} class="ed-error" role="alert">
          {problem}
        </span>
      )}
    </label>
  );
}
