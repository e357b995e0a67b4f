/**
 * An ordered map edited as rows of "Key" and "Value" fields (a query's params and headers, a
 * form body's fields): a list with an accessible name ("Params"), an add button ("Add param")
 * and a remove button per row.
 *
 * The document holds a map, which cannot hold a row being typed: a new row has no key yet,
 * and two rows may briefly share one. So the rows live here; every edit saves the map of the
 * rows that are complete (a key, unique), in row order, and a row that is not is shown with
 * its reason until it is fixed or removed — never dropped silently. When the map changes from
 * outside (undo, another tab), the rows are read again from it.
 */

import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

type Rows = readonly { readonly key: string; readonly value: string }[];

export interface KeyValueListProps {
  /** The list's name ("Params", "Headers"). */
  readonly label: string;
  /** What one row is, for the buttons ("param" → "Add param", "Remove param 2"). */
  readonly noun: string;
  readonly value: Readonly<Record<string, string>>;
  readonly onChange: (next: Record<string, string>) => void;
  /** How a value is edited (a binding field with completion); a plain input by default. */
  readonly renderValue?: (props: ValueFieldProps) => JSX.Element;
  /** Why a complete row's key is refused (a forbidden header), or null. */
  readonly keyProblem?: (key: string) => string | null;
  /** Shown under a row (a secret's status), from its value. */
  readonly note?: (value: string) => JSX.Element | null;
  /** The rows' field labels: "Key" and "Value" unless said ("Store key", "Path"). */
  readonly keyLabel?: string;
  readonly valueLabel?: string;
}

export interface ValueFieldProps {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onInput: (value: string) => void;
}

function rowsOf(map: Readonly<Record<string, string>>): Rows {
  return Object.entries(map).map(([key, value]) => ({ key, value }));
}

/** The map the complete rows make, and each row's problem (null when it is saved). */
export function mapOfRows(rows: Rows, keyProblem?: (key: string) => string | null): { map: Record<string, string>; problems: (string | null)[] } {
  const map: Record<string, string> = {};
  const seen = new Set<string>();
  const problems = rows.map((r) => {
    const key = r.key.trim();
    if (key === '') return r.value === '' ? null : 'Give this row a key: it is not saved without one.';
    if (seen.has(key)) return `"${key}" is already above: this row is not saved.`;
    const refused = keyProblem?.(key) ?? null;
    if (refused) return refused;
    seen.add(key);
    map[key] = r.value;
    return null;
  });
  return { map, problems };
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ea = Object.entries(a);
  const eb = Object.entries(b);
  return ea.length === eb.length && ea.every(([k, v], i) => eb[i]?.[0] === k && eb[i]?.[1] === v);
}

let nextListId = 0;

export function KeyValueList(props: KeyValueListProps) {
  const [rows, setRows] = useState<Rows>(() => rowsOf(props.value));
  const saved = useRef(props.value);
  const id = useRef(`kv${++nextListId}`).current;

  // A change from outside (undo, another tab) that is not what these rows saved: read again.
  useEffect(() => {
    if (props.value === saved.current) return;
    saved.current = props.value;
    if (!sameMap(mapOfRows(rows, props.keyProblem).map, props.value)) setRows(rowsOf(props.value));
  }, [props.value]);

  const update = (next: Rows): void => {
    setRows(next);
    const { map } = mapOfRows(next, props.keyProblem);
    if (!sameMap(map, props.value)) props.onChange(map);
  };
  const { problems } = mapOfRows(rows, props.keyProblem);
  const Value = props.renderValue ?? PlainValue;
  const keyLabel = props.keyLabel ?? 'Key';
  const valueLabel = props.valueLabel ?? 'Value';
  const focusLast = useRef(false);
  const listRef = useRef<HTMLUListElement>(null);
  useEffect(() => {
    if (!focusLast.current) return;
    focusLast.current = false;
    const inputs = listRef.current?.querySelectorAll<HTMLInputElement>('input[data-kv-key]');
    inputs?.[inputs.length - 1]?.focus();
  });

  return (
    <div class="ed-kv">
      <div class="ed-kv-head">
        <span id={`${id}-label`} class="ed-kv-title">
          {props.label}
        </span>
        <button
          type="button"
          class="ed-btn ed-btn-small"
          onClick={() => {
            focusLast.current = true;
            setRows([...rows, { key: '', value: '' }]);
          }}
        >
          Add {props.noun}
        </button>
      </div>
      <ul ref={listRef} class="ed-kv-rows" aria-labelledby={`${id}-label`}>
        {rows.map((row, i) => {
          const problem = problems[i];
          const rowId = `${id}-${i}`;
          return (
            <li key={i} class="ed-kv-row">
              <div class="ed-kv-field">
                <label for={`${rowId}-key`}>{keyLabel}</label>
                <input
                  id={`${rowId}-key`}
                  data-kv-key=""
                  value={row.key}
                  aria-invalid={problem ? 'true' : undefined}
                  aria-describedby={problem ? `${rowId}-problem` : undefined}
                  spellcheck={false}
                  onInput={(e) => update(rows.map((r, k) => (k === i ? { ...r, key: e.currentTarget.value } : r)))}
                />
              </div>
              <div class="ed-kv-field">
                <label for={`${rowId}-value`}>{valueLabel}</label>
                <Value
                  id={`${rowId}-value`}
                  label={valueLabel}
                  value={row.value}
                  onInput={(v) => update(rows.map((r, k) => (k === i ? { ...r, value: v } : r)))}
                />
              </div>
              <button
                type="button"
                class="ed-icon-btn"
                aria-label={`Remove ${props.noun} ${row.key.trim() === '' ? i + 1 : row.key}`}
                onClick={() => update(rows.filter((_, k) => k !== i))}
              >
                ×
              </button>
              {problem && (
                <p id={`${rowId}-problem`} class="ed-error ed-kv-problem">
                  {problem}
                </p>
              )}
              {props.note?.(row.value)}
            </li>
          );
        })}
      </ul>
      {rows.length === 0 && <p class="ed-muted ed-small">No {props.noun}s.</p>}
    </div>
  );
}

function PlainValue(p: ValueFieldProps) {
  return <input id={p.id} value={p.value} spellcheck={false} onInput={(e) => p.onInput(e.currentTarget.value)} />;
}
