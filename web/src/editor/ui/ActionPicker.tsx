/**
 * The action picker: a dialog that writes an event property's code from a choice ("Run a
 * query", then "Navigate to" on success) instead of by hand. It reads the property's current
 * value (doc/actions.ts `parseAction`) to pre-fill, and Apply hands back the code
 * `actionCode` writes; hand-written code opens as "Custom code", unchanged.
 *
 * The form keeps every kind's fields at once, so switching the choice back and forth loses
 * nothing typed. Follow-ups of a query go one level deep here (the model nests further; such a
 * value opens as custom code).
 */

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ACTION_CHOICES, ALERT_TYPES, actionCode, describeAction, parseAction, type Action, type ActionKind, type AlertType, type NavigateTarget } from '../doc/actions.ts';
import { jsFunctions } from '../doc/ops.ts';
import type { AppDoc } from '../doc/types.ts';
import { Dialog } from './shell/Dialog.tsx';
import { Field } from './shell/Field.tsx';

/** The button beside an event property that opens its picker. */
export function ActionButton({ property, onOpen }: { property: string; onOpen: () => void }) {
  return (
    <button type="button" class="ed-btn ed-btn-small ed-action-open" onClick={onOpen} title="Choose what the event does">
      Action<span class="ed-sr"> for {property}</span>
    </button>
  );
}

/** What the property's action does, in a sentence; nothing for custom code. */
export function ActionSummary({ doc, value }: { doc: AppDoc; value: string }) {
  const action = parseAction(value, doc);
  const text = action && describeAction(action);
  return text ? <div class="ed-prop-hint ed-action-summary">{text}</div> : null;
}

export interface ActionDialogProps {
  readonly doc: AppDoc;
  readonly property: string;
  /** The property's value now. */
  readonly value: string;
  readonly onApply: (value: string) => void;
  readonly onClose: () => void;
}

type FollowUpKind = ActionKind | 'none';

/** Every field of every kind (the picker's state). */
interface Form {
  readonly kind: FollowUpKind;
  readonly object: string;
  readonly fn: string;
  readonly query: string;
  readonly queryParams: string;
  readonly page: string;
  readonly pageParams: string;
  readonly target: NavigateTarget;
  readonly key: string;
  readonly value: string;
  readonly message: string;
  readonly alertType: AlertType;
  readonly code: string;
  readonly onSuccess: Form | null;
  readonly onFailure: Form | null;
}

/** The kinds a follow-up may be in this dialog: all but a query. */
const FOLLOW_UP_CHOICES = ACTION_CHOICES.filter((c) => c.kind !== 'query');

function functionsOf(doc: AppDoc, object: string): string[] {
  const source = doc.jsObjects.find((o) => o.name === object)?.source;
  return source === undefined ? [] : jsFunctions(source);
}

function blankForm(doc: AppDoc, kind: FollowUpKind): Form {
  const object = doc.jsObjects[0]?.name ?? '';
  return {
    kind,
    object,
    fn: functionsOf(doc, object)[0] ?? '',
    query: doc.queries[0]?.name ?? '',
    queryParams: '',
    page: doc.pages[0]?.name ?? '',
    pageParams: '',
    target: 'SAME_WINDOW',
    key: '',
    value: '',
    message: '',
    alertType: 'info',
    code: '',
    onSuccess: null,
    onFailure: null,
  };
}

function formOf(doc: AppDoc, action: Action | null, whenNone: FollowUpKind): Form {
  const blank = blankForm(doc, action?.kind ?? whenNone);
  if (!action) return blank;
  switch (action.kind) {
    case 'js':
      return { ...blank, object: action.object, fn: action.fn };
    case 'query':
      return {
        ...blank,
        query: action.query,
        queryParams: action.params ?? '',
        onSuccess: formOf(doc, action.onSuccess ?? null, 'none'),
        onFailure: formOf(doc, action.onFailure ?? null, 'none'),
      };
    case 'navigate':
      return { ...blank, page: action.page, pageParams: action.params ?? '', target: action.target ?? 'SAME_WINDOW' };
    case 'storeValue':
      return { ...blank, key: action.key, value: action.value };
    case 'removeValue':
      return { ...blank, key: action.key };
    case 'clearStore':
    case 'signIn':
    case 'signOut':
      return blank;
    case 'alert':
      return { ...blank, message: action.message, alertType: action.type };
    case 'code':
      return { ...blank, code: action.code };
  }
}

/** The form for a property's value: a query whose follow-ups nest deeper than this dialog
 * goes opens as its code, so that nothing is hidden. */
function initialForm(doc: AppDoc, value: string): Form {
  const action = parseAction(value, doc);
  const tooDeep = action?.kind === 'query' && (action.onSuccess?.kind === 'query' || action.onFailure?.kind === 'query');
  return formOf(doc, tooDeep ? { kind: 'code', code: value.trim().slice(2, -2) } : action, 'js');
}

type Built = { readonly action: Action } | { readonly problem: string };

/** The action the form describes, or what is missing. */
function build(form: Form): Built | null {
  const need = (problem: string) => ({ problem });
  switch (form.kind) {
    case 'none':
      return null;
    case 'js':
      if (!form.object) return need('Choose a JS object.');
      return form.fn ? { action: { kind: 'js', object: form.object, fn: form.fn } } : need('Choose a function.');
    case 'query': {
      if (!form.query) return need('Choose a query.');
      const onSuccess = form.onSuccess && build(form.onSuccess);
      const onFailure = form.onFailure && build(form.onFailure);
      if (onSuccess && 'problem' in onSuccess) return need(`On success: ${onSuccess.problem}`);
      if (onFailure && 'problem' in onFailure) return need(`On failure: ${onFailure.problem}`);
      const params = form.queryParams.trim();
      return {
        action: {
          kind: 'query',
          query: form.query,
          ...(params && { params }),
          ...(onSuccess && { onSuccess: onSuccess.action }),
          ...(onFailure && { onFailure: onFailure.action }),
        },
      };
    }
    case 'navigate': {
      if (!form.page) return need('Choose a page.');
      const params = form.pageParams.trim();
      return { action: { kind: 'navigate', page: form.page, ...(params && { params }), target: form.target } };
    }
    case 'storeValue':
      if (!form.key) return need('Give the key to store the value under.');
      if (!form.value.trim()) return need('Give the value: code, such as inp_name.text or \'yes\'.');
      return { action: { kind: 'storeValue', key: form.key, value: form.value.trim() } };
    case 'removeValue':
      return form.key ? { action: { kind: 'removeValue', key: form.key } } : need('Give the key of the value to remove.');
    case 'clearStore':
    case 'signIn':
    case 'signOut':
      return { action: { kind: form.kind } };
    case 'alert':
      return { action: { kind: 'alert', message: form.message, type: form.alertType } };
    case 'code':
      return form.code.trim() ? { action: { kind: 'code', code: form.code } } : need('Write the code.');
  }
}

export function ActionDialog({ doc, property, value, onApply, onClose }: ActionDialogProps) {
  const [form, setForm] = useState(() => initialForm(doc, value));
  const [problem, setProblem] = useState<string | null>(null);
  const first = useRef<HTMLSelectElement>(null);
  useEffect(() => first.current?.focus(), []);
  const update = (next: Form): void => {
    setForm(next);
    setProblem(null);
  };
  const submit = (e: Event): void => {
    e.preventDefault();
    const built = build(form);
    if (built === null) return;
    if ('problem' in built) setProblem(built.problem);
    else onApply(actionCode(built.action));
  };
  return (
    <Dialog title={`Action for ${property}`} onClose={onClose} class="ed-action-dialog">
      <form
        onSubmit={submit}
        onKeyDown={(e) => {
          // The native dialog cancels on Esc too; this also covers a dialog opened without showModal.
          if (e.key === 'Escape') {
            e.preventDefault();
            onClose();
          }
        }}
      >
        <Select label="Action" value={form.kind} choices={ACTION_CHOICES.map((c) => [c.kind, c.label])} selectRef={first} onChange={(kind) => update(withKind(doc, form, kind))} />
        <KindFields doc={doc} form={form} onChange={update} />
        {problem && (
          <p class="ed-error" role="alert">
            {problem}
          </p>
        )}
        <div class="ed-dialog-actions">
          <button type="button" class="ed-btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="ed-btn ed-btn-primary">
            Apply
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The form with another kind chosen; a query starts with no follow-ups. */
function withKind(doc: AppDoc, form: Form, kind: string): Form {
  const known = kind === 'none' ? 'none' : ACTION_CHOICES.find((c) => c.kind === kind)?.kind;
  if (!known) return form;
  return {
    ...form,
    kind: known,
    onSuccess: form.onSuccess ?? blankForm(doc, 'none'),
    onFailure: form.onFailure ?? blankForm(doc, 'none'),
  };
}

/** A choice's value, and its label. */
type Choice = readonly [string, string];

/** The choices of a select, with the current value kept when the app no longer has it (a
 * deleted page), so that opening the dialog changes nothing by itself. */
function namesWith(names: readonly string[], current: string): Choice[] {
  const all = current && !names.includes(current) ? [current, ...names] : names;
  return all.map((n) => [n, n]);
}

function KindFields({ doc, form, onChange, nested }: { doc: AppDoc; form: Form; onChange: (f: Form) => void; nested?: boolean }) {
  const set = (patch: Partial<Form>): void => onChange({ ...form, ...patch });
  switch (form.kind) {
    case 'none':
    case 'clearStore':
    case 'signIn':
    case 'signOut':
      return null;
    case 'js':
      return (
        <>
          <Select
            label="JS object"
            value={form.object}
            choices={namesWith(doc.jsObjects.map((o) => o.name), form.object)}
            onChange={(object) => set({ object, fn: functionsOf(doc, object)[0] ?? '' })}
          />
          <Select label="Function" value={form.fn} choices={namesWith(functionsOf(doc, form.object), form.fn)} onChange={(fn) => set({ fn })} />
        </>
      );
    case 'query':
      return (
        <>
          <Select label="Query" value={form.query} choices={namesWith(doc.queries.map((q) => q.name), form.query)} onChange={(query) => set({ query })} />
          <Field label="Params" value={form.queryParams} onInput={(queryParams) => set({ queryParams })} />
          {!nested && (
            <>
              <FollowUp doc={doc} label="On success" form={form.onSuccess} onChange={(onSuccess) => set({ onSuccess })} />
              <FollowUp doc={doc} label="On failure" form={form.onFailure} onChange={(onFailure) => set({ onFailure })} />
            </>
          )}
        </>
      );
    case 'navigate':
      return (
        <>
          <Select label="Page" value={form.page} choices={namesWith(doc.pages.map((p) => p.name), form.page)} onChange={(page) => set({ page })} />
          <Field label="Params" value={form.pageParams} onInput={(pageParams) => set({ pageParams })} />
          <Select
            label="Target"
            value={form.target}
            choices={[
              ['SAME_WINDOW', 'Same window'],
              ['NEW_WINDOW', 'New window'],
            ]}
            onChange={(t) => set({ target: t === 'NEW_WINDOW' ? 'NEW_WINDOW' : 'SAME_WINDOW' })}
          />
        </>
      );
    case 'storeValue':
      return (
        <>
          <Field label="Key" value={form.key} onInput={(key) => set({ key })} />
          <Field label="Value" value={form.value} onInput={(value) => set({ value })} />
        </>
      );
    case 'removeValue':
      return <Field label="Key" value={form.key} onInput={(key) => set({ key })} />;
    case 'alert':
      return (
        <>
          {/* Several lines: a message's line breaks are kept. */}
          <TextArea label="Message" rows={2} value={form.message} onInput={(message) => set({ message })} />
          <Select
            label="Type"
            value={form.alertType}
            choices={ALERT_TYPES.map((t) => [t, t])}
            onChange={(t) => set({ alertType: ALERT_TYPES.find((x) => x === t) ?? 'info' })}
          />
        </>
      );
    case 'code':
      return <TextArea label="Code" code rows={6} value={form.code} onInput={(code) => set({ code })} />;
  }
}

/** A query's follow-up: a choice of "None" or a kind, and that kind's fields in a group. */
function FollowUp({ doc, label, form, onChange }: { doc: AppDoc; label: string; form: Form | null; onChange: (f: Form) => void }) {
  const current = form ?? blankForm(doc, 'none');
  return (
    <div class="ed-action-follow">
      <Select
        label={label}
        value={current.kind}
        choices={[['none', 'None'], ...FOLLOW_UP_CHOICES.map((c): Choice => [c.kind, c.label])]}
        onChange={(kind) => onChange(withKind(doc, current, kind))}
      />
      {current.kind !== 'none' && (
        <div role="group" aria-label={label} class="ed-action-fields">
          <KindFields doc={doc} form={current} onChange={onChange} nested />
        </div>
      )}
    </div>
  );
}

function Select({
  label,
  value,
  choices,
  onChange,
  selectRef,
}: {
  label: string;
  value: string;
  choices: readonly Choice[];
  onChange: (value: string) => void;
  selectRef?: { current: HTMLSelectElement | null };
}) {
  // Labelled by `for`: a label wrapping a select would add the chosen option to its name.
  const id = useId();
  return (
    <div class="ed-field">
      <label for={id}>{label}</label>
      <select id={id} ref={selectRef} class="ed-action-select" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {choices.length === 0 && <option value="">(none in this app)</option>}
        {choices.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

function TextArea({ label, value, onInput, rows, code }: { label: string; value: string; onInput: (value: string) => void; rows: number; code?: boolean }) {
  const id = useId();
  return (
    <div class="ed-field">
      <label for={id}>{label}</label>
      <textarea id={id} class={code ? 'ed-prop-code' : 'ed-action-text'} rows={rows} spellcheck={!code} value={value} onInput={(e) => onInput(e.currentTarget.value)} />
    </div>
  );
}
