/**
 * A name field that renames on Enter or when left: `rename` applies the change (or throws
 * with the reason, an `OpError`); a refused name stays in the field with the reason until it
 * is fixed, and Esc puts the current name back. Mount it keyed by the name, so it starts
 * afresh when the name changes from elsewhere (undo, another tab).
 */

import { useState } from 'preact/hooks';

export function NameInput({ id, name, rename, class: cls }: { id: string; name: string; rename: (to: string) => void; class?: string }) {
  const [text, setText] = useState(name);
  const [problem, setProblem] = useState<string | null>(null);

  const commit = (typed: string): void => {
    const to = typed.trim();
    if (to === name) {
      setText(name);
      setProblem(null);
      return;
    }
    try {
      rename(to);
    } catch (e) {
      setProblem(e instanceof Error ? e.message : String(e));
      return;
    }
    setProblem(null);
  };

  return (
    <div class={cls}>
      <label for={id}>Name</label>
      <input
        id={id}
        value={text}
        spellcheck={false}
        aria-invalid={problem ? 'true' : undefined}
        aria-describedby={problem ? `${id}-problem` : undefined}
        onInput={(e) => setText(e.currentTarget.value)}
        onBlur={(e) => commit(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            commit(e.currentTarget.value);
          } else if (e.key === 'Escape') {
            e.preventDefault();
            setText(name);
            setProblem(null);
          }
        }}
      />
      {problem && (
        <p id={`${id}-problem`} class="ed-error ed-small" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
