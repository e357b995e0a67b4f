/**
 * The property pane: a region named "Properties" for the primary selected widget. First its
 * `name` (a rename rewrites every reference in the app; a bad or taken name is refused with
 * the reason), then every property of its type from the catalogue, in the catalogue's order,
 * each labelled with its name exactly as docs/app-format.md writes it and edited with a control
 * of its kind (rules in canvas/propControls.ts). A `JS` toggle switches a property to a `{{ }}`
 * binding; under a binding the pane shows its value, or its error, from the canvas's live
 * runtime as it is typed. The server's problems for the widget appear at their property.
 *
 * Every edit goes through `session.apply`; each keystroke is a `setProp`, and the history
 * merges consecutive ones of the same property into one undo step.
 */

import { Component } from 'preact';
import { useState } from 'preact/hooks';
import { bindingCodes, parseTemplate, type BoundValue, type WidgetModel } from '../../runtime/index.ts';
import { BaseWidget } from '../../widgets/index.ts';
import * as cmd from '../doc/commands.ts';
import { widgetSpec, type PropSpec } from '../doc/catalogue.ts';
import { findWidget } from '../doc/query.ts';
import type { PageDoc, Problem, WidgetDoc } from '../doc/types.ts';
import { apply, attempt } from './canvas/actions.ts';
import { canvasController, useCanvas } from './canvas/controller.ts';
import { completerFor } from './codeItem.tsx';
import { definitionKey, FindUsages } from './usages.tsx';
import { BindingInput } from './complete/BindingInput.tsx';
import type { Completer } from '../doc/completion.ts';
import {
  columnsOf,
  columnsValue,
  controlOf,
  effectiveValue,
  fromBindingText,
  hasJsToggle,
  isBindingValue,
  jsonText,
  parseCount,
  parseJson,
  previewText,
  toBindingText,
  codeText,
  parseCode,
  type Column,
  type Parsed,
} from './canvas/propControls.ts';
import type { EditorContext } from './context.ts';
import { OnLoadList } from './OnLoadList.tsx';
import { AccessField } from './AccessField.tsx';
import { setPageAccess } from '../doc/access.ts';
import { ActionButton, ActionDialog, ActionSummary } from './ActionPicker.tsx';
import './canvas/canvas.css';

export function PropertyPane() {
  const { ctx } = useCanvas();
  const doc = ctx.session.doc.value;
  const page = doc.pages.find((p) => p.name === ctx.currentPage.value);
  const primary = ctx.selection.value[0];
  const found = page && primary !== undefined ? findWidget(page, primary) : undefined;
  return (
    <section class="ed-panel ed-props" aria-label="Properties" onKeyDown={definitionKey(ctx)}>
      <div class="ed-panel-head">
        <h2>Properties</h2>
      </div>
      {page && found ? (
        <WidgetProperties key={found.widget.name} ctx={ctx} page={page} widget={found.widget} />
      ) : (
        <PageProperties ctx={ctx} page={page} problems={ctx.session.problems.value} />
      )}
    </section>
  );
}

function PageProperties({ ctx, page, problems }: { ctx: EditorContext; page: PageDoc | undefined; problems: readonly Problem[] }) {
  if (!page) return <p class="ed-prop-hint">No page is open.</p>;
  const own = problems.filter((p) => p.page === page.name && p.widget === undefined);
  return (
    <>
      <p class="ed-props-head">{page.name}</p>
      <p class="ed-props-type">Page{page.hidden ? ', hidden' : ''}</p>
      <p class="ed-prop-hint">Select a widget on the canvas to edit its properties.</p>
      <AccessField
        key={page.name}
        id="ed-page-access"
        value={page.access}
        onChange={(access) => apply(ctx, setPageAccess(ctx.session.doc.peek(), page.name, access))}
      />
      <OnLoadList ctx={ctx} doc={ctx.session.doc.value} page={page} />
      <ProblemList problems={own} />
    </>
  );
}

function ProblemList({ problems }: { problems: readonly Problem[] }) {
  if (problems.length === 0) return null;
  return (
    <ul class="ed-cols">
      {problems.map((p, i) => (
        <li key={i} class="ed-prop-error">
          {p.message}
        </li>
      ))}
    </ul>
  );
}

interface WidgetProps {
  readonly ctx: EditorContext;
  readonly page: PageDoc;
  readonly widget: WidgetDoc;
}

function WidgetProperties({ ctx, page, widget }: WidgetProps) {
  const { canvas } = useCanvas();
  const model = canvas.live.models.value.get(widget.name);
  const problems = ctx.session.problems.value.filter((p) => p.page === page.name && p.widget === widget.name);
  const spec = widgetSpec(widget.type);
  return (
    <>
      <NameField ctx={ctx} page={page} widget={widget} problems={problems.filter((p) => p.property === 'name')} />
      <div class="ed-props-type-row">
        <p class="ed-props-type">{widget.type}</p>
        <FindUsages ctx={ctx} name={widget.name} />
      </div>
      <ProblemList
        problems={problems.filter((p) => p.property === undefined || (p.property !== 'name' && !spec.props.some((s) => s.name === p.property)))}
      />
      {spec.props.map((s) => (
        <PropertyField
          key={s.name}
          ctx={ctx}
          pageName={page.name}
          widgetName={widget.name}
          spec={s}
          raw={widget.props[s.name]}
          model={model}
          modelNow={() => canvas.live.models.peek().get(widget.name)}
          problems={problems.filter((p) => p.property === s.name)}
        />
      ))}
    </>
  );
}

function NameField({ ctx, page, widget, problems }: WidgetProps & { problems: readonly Problem[] }) {
  // Keyed by the widget's name: a rename makes a new field.
  const [text, setText] = useState(widget.name);
  const [refusal, setRefusal] = useState<string | null>(null);
  // What is typed is checked as it is typed; the server's word is shown while nothing is.
  const problem = refusal ?? cmd.widgetNameProblem(ctx.session.doc.peek(), widget.name, text) ?? (text === widget.name ? problems[0]?.message ?? null : null);
  // The field's own value: an Enter right after a keystroke comes before the re-render.
  const commit = (to: string): void => {
    if (to === widget.name) return;
    try {
      apply(ctx, cmd.renameWidget(ctx.session.doc.peek(), page.name, widget.name, to));
      setRefusal(null);
    } catch (e) {
      setRefusal(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div class="ed-prop">
      <div class="ed-prop-row">
        <label class="ed-prop-label" for="ed-prop--name">
          name
        </label>
      </div>
      <input
        id="ed-prop--name"
        class="ed-prop-input"
        value={text}
        spellcheck={false}
        autoComplete="off"
        aria-invalid={problem !== null}
        aria-describedby={problem !== null ? 'ed-prop--name-problem' : undefined}
        onInput={(e) => {
          setText(e.currentTarget.value);
          setRefusal(null);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            commit(e.currentTarget.value);
          } else if (e.key === 'Escape' && text !== widget.name) {
            e.preventDefault();
            setText(widget.name);
          }
        }}
        onBlur={(e) => commit(e.currentTarget.value)}
      />
      {problem !== null && (
        <div class="ed-prop-error" id="ed-prop--name-problem" aria-live="polite">
          {problem}
        </div>
      )}
    </div>
  );
}

interface FieldProps {
  readonly ctx: EditorContext;
  readonly pageName: string;
  readonly widgetName: string;
  readonly spec: PropSpec;
  /** The property's value in the document. */
  readonly raw: unknown;
  /** The widget's model on the canvas, whose runtime evaluates the property's binding. */
  readonly model: WidgetModel | undefined;
  /** The same, at the moment of the call (a handler may run after the model was replaced). */
  readonly modelNow: () => WidgetModel | undefined;
  readonly problems: readonly Problem[];
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * One property's field, rendered again only when what it shows changed: a keystroke in one
 * field re-renders that field, not the pane (every other field's value is the same object in
 * the new document). The model matters only under a binding, whose value is shown.
 */
class PropertyField extends Component<FieldProps> {
  override shouldComponentUpdate(next: FieldProps): boolean {
    const p = this.props;
    return (
      next.raw !== p.raw ||
      next.spec !== p.spec ||
      next.ctx !== p.ctx ||
      next.pageName !== p.pageName ||
      next.widgetName !== p.widgetName ||
      !sameList(next.problems, p.problems) ||
      (next.model !== p.model && (isBindingValue(next.raw) || isBindingValue(p.raw)))
    );
  }

  override render() {
    return <Field {...this.props} />;
  }
}

function Field(props: FieldProps) {
  const { ctx, pageName, widgetName, spec, raw, model, modelNow, problems } = props;
  const bound = model instanceof BaseWidget ? () => model.prop(spec.name) : undefined;
  const id = `ed-prop-${spec.name}`;
  const [jsChosen, setJs] = useState(isBindingValue(raw));
  // An event property's action picker is open.
  const [picking, setPicking] = useState(false);
  // A binding can only be shown as code (except text, whose field takes any text): after an
  // undo or a paste the property may hold one whatever the toggle said.
  const js = jsChosen || (spec.kind !== 'text' && isBindingValue(raw));

  /** The property's value in the document as it is now (an event handler may run before the
   * render that follows the previous keystroke). */
  const rawNow = (): unknown => {
    const p = ctx.session.doc.peek().pages.find((x) => x.name === pageName);
    return p ? findWidget(p, widgetName)?.widget.props[spec.name] : undefined;
  };

  const set = (value: unknown): void => {
    attempt(ctx, () => {
      const doc = ctx.session.doc.peek();
      if (value === undefined) {
        if (rawNow() !== undefined) apply(ctx, cmd.unsetProp(doc, pageName, widgetName, spec.name));
      } else {
        apply(ctx, cmd.setProp(doc, pageName, widgetName, spec.name, value));
      }
    });
  };

  const toggleJs = (): void => {
    if (js) {
      const now = modelNow();
      set(fromBindingText(spec, raw, now instanceof BaseWidget ? now.prop(spec.name) : { ok: false }));
      setJs(false);
    } else {
      const text = toBindingText(spec, raw);
      if (text !== raw && text !== '{{ }}') set(text);
      setJs(true);
    }
  };

  const problemId = `${id}-problems`;
  const described = problems.length > 0 ? problemId : undefined;
  const control = controlOf(spec.kind);
  const asCode = js || control === 'code';
  return (
    <div class="ed-prop">
      <div class="ed-prop-row">
        {control === 'columns' && !js ? (
          <span class="ed-prop-label" id={`${id}-label`}>
            {spec.name}
          </span>
        ) : (
          <label class="ed-prop-label" for={id} title={spec.description}>
            {spec.name}
          </label>
        )}
        {hasJsToggle(spec) && (
          <button type="button" class="ed-prop-js" aria-pressed={js} onClick={toggleJs} title="Write a {{ }} binding">
            JS<span class="ed-sr"> for {spec.name}</span>
          </button>
        )}
        {control === 'code' && <ActionButton property={spec.name} onOpen={() => setPicking(true)} />}
      </div>
      {asCode ? (
        <ParsedField
          id={id}
          multiline
          complete={completerFor(ctx, canvasController(ctx.session))}
          text={codeText(raw)}
          now={() => codeText(rawNow())}
          parse={(t) => parseCode(spec, t)}
          format={codeText}
          describedBy={described}
          set={set}
        />
      ) : (
        <PlainControl id={id} spec={spec} raw={raw} rawNow={rawNow} describedBy={described} set={set} complete={completerFor(ctx, canvasController(ctx.session))} />
      )}
      {control === 'code' ? <EventCheck code={raw} /> : bound && isBindingValue(raw) && <Evaluated bound={bound} />}
      {control === 'code' && <ActionSummary doc={ctx.session.doc.peek()} value={codeText(raw)} />}
      {picking && (
        <ActionDialog
          doc={ctx.session.doc.peek()}
          property={spec.name}
          value={codeText(rawNow())}
          onApply={(value) => {
            setPicking(false);
            set(value);
          }}
          onClose={() => setPicking(false)}
        />
      )}
      {problems.length > 0 && (
        <div id={problemId}>
          {problems.map((p, i) => (
            <div key={i} class="ed-prop-error">
              {p.message}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

/** The binding's value as the canvas evaluates it, or its error; updated as it changes. */
function Evaluated({ bound }: { bound: () => BoundValue }) {
  const v = bound();
  if (!v.ok) return <div class="ed-prop-error">{v.error.message}</div>;
  return <div class="ed-prop-value">{previewText(v.value)}</div>;
}

/** Event code is not evaluated on the canvas; its syntax is checked as it is typed. */
function EventCheck({ code }: { code: unknown }) {
  if (typeof code !== 'string' || code.trim() === '') return null;
  const { template, diagnostics } = parseTemplate(code);
  const problem = diagnostics[0]?.message ?? (bindingCodes(template).length === 0 ? 'An event holds code in {{ }}, such as {{MyObject.run()}}.' : null);
  return problem ? <div class="ed-prop-error">{problem}</div> : null;
}

interface PlainProps {
  readonly id: string;
  readonly spec: PropSpec;
  readonly raw: unknown;
  readonly rawNow: () => unknown;
  readonly describedBy: string | undefined;
  readonly set: (value: unknown) => void;
  readonly complete: Completer;
}

function countText(value: unknown): string {
  return value === undefined ? '' : String(value);
}

function PlainControl(props: PlainProps) {
  const { id, spec, raw, rawNow, describedBy, set } = props;
  const value = effectiveValue(spec, raw);
  switch (controlOf(spec.kind)) {
    case 'toggle':
      return (
        <div class="ed-prop-check">
          <input id={id} type="checkbox" checked={value === true} aria-describedby={describedBy} onChange={(e) => set(e.currentTarget.checked)} />
          <span class="ed-prop-hint">{value === true ? 'Yes' : 'No'}</span>
        </div>
      );
    case 'select':
      return (
        <select id={id} class="ed-prop-select" value={typeof value === 'string' ? value : ''} aria-describedby={describedBy} onChange={(e) => set(e.currentTarget.value)}>
          {(spec.choices ?? []).map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      );
    case 'number':
      return <ParsedField id={id} multiline={false} text={countText(value)} now={() => countText(effectiveValue(spec, rawNow()))} parse={parseCount} format={countText} describedBy={describedBy} set={set} />;
    case 'json':
      return <ParsedField id={id} multiline text={jsonText(value)} now={() => jsonText(effectiveValue(spec, rawNow()))} parse={parseJson} format={jsonText} describedBy={describedBy} set={set} />;
    case 'columns':
      return <ColumnsEditor id={id} columns={columnsOf(value)} set={set} />;
    case 'text':
    case 'code':
      // Text takes bindings anywhere: completed, a pick landing inside `{{ }}`.
      return (
        <BindingInput
          id={id}
          value={value === undefined || value === null ? '' : String(value)}
          describedBy={describedBy}
          complete={props.complete}
          onInput={(t) => set(t === '' && spec.default === '' ? undefined : t)}
        />
      );
  }
}

/**
 * A field whose text becomes a value only when it parses (a count, JSON): the text is kept as
 * typed, a value is applied at each keystroke that parses, and the reason is shown otherwise.
 */
function ParsedField(props: {
  id: string;
  multiline: boolean;
  /** The property's value as this field writes it. */
  text: string;
  /** The same, read from the document at the moment of the call. */
  now: () => string;
  parse: (text: string) => Parsed;
  format: (value: unknown) => string;
  describedBy: string | undefined;
  set: (value: unknown) => void;
  /** Bindings are completed (a binding or event code field). */
  complete?: Completer;
}) {
  // What was typed, and the property's value it was typed over (as this field writes it):
  // when the value changes from elsewhere (undo), the value wins.
  const [typed, setTyped] = useState({ text: props.text, error: null as string | null, basis: props.text });
  const { text, error } = typed.basis === props.text ? typed : { text: props.text, error: null };
  const errorId = `${props.id}-invalid`;
  const onInput = (t: string): void => {
    const parsed = props.parse(t);
    if (!parsed.ok) {
      setTyped({ text: t, error: parsed.message, basis: props.now() });
      return;
    }
    setTyped({ text: t, error: null, basis: props.format(parsed.value) });
    props.set(parsed.value);
  };
  const describedBy = [error ? errorId : undefined, props.describedBy].filter(Boolean).join(' ') || undefined;
  const common = {
    id: props.id,
    value: text,
    'aria-invalid': error !== null,
    'aria-describedby': describedBy,
  };
  return (
    <>
      {props.multiline && props.complete ? (
        <BindingInput
          id={props.id}
          multiline
          value={text}
          invalid={error !== null}
          describedBy={describedBy}
          complete={props.complete}
          onInput={onInput}
        />
      ) : props.multiline ? (
        <textarea
          {...common}
          class="ed-prop-code"
          rows={Math.min(8, Math.max(2, text.split('\n').length))}
          spellcheck={false}
          onInput={(e) => onInput(e.currentTarget.value)}
        />
      ) : (
        <input {...common} class="ed-prop-input" type="number" min={0} step={1} onInput={(e) => onInput(e.currentTarget.value)} />
      )}
      {error && (
        <div class="ed-prop-error" id={errorId}>
          {error}
        </div>
      )}
    </>
  );
}

/** The Table's columns: a key and a label per column, added and removed in place. */
function ColumnsEditor({ id, columns, set }: { id: string; columns: readonly Column[]; set: (value: unknown) => void }) {
  const update = (next: readonly Column[]): void => set(columnsValue(next));
  return (
    <div class="ed-cols" role="group" aria-labelledby={`${id}-label`}>
      {columns.map((c, i) => (
        <div key={i} class="ed-cols-row">
          <input
            class="ed-prop-input"
            aria-label={`key of column ${i + 1}`}
            value={c.key}
            onInput={(e) => update(columns.map((x, j) => (j === i ? { ...x, key: e.currentTarget.value } : x)))}
          />
          <input
            class="ed-prop-input"
            aria-label={`label of column ${i + 1}`}
            placeholder={c.key}
            value={c.label ?? ''}
            onInput={(e) => update(columns.map((x, j) => (j === i ? { ...x, label: e.currentTarget.value } : x)))}
          />
          <button type="button" class="ed-btn ed-btn-small" aria-label={`Remove column ${i + 1}`} onClick={() => update(columns.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <button type="button" class="ed-btn ed-btn-small" onClick={() => update([...columns, { key: `column${columns.length + 1}` }])}>
        Add column
      </button>
    </div>
  );
}
