/**
 * Widget models: each widget's state and derived properties as nodes of the reactive graph,
 * without the DOM (the Preact views beside this file only render them). What a binding reads
 * as `inp_username.text` comes from `read()` here.
 *
 * Which types exist, which properties are events, and what a property left out means all come
 * from the widget catalogue (`../catalogue.ts`, from schema/widgets.json), as the server's
 * validator does; this file holds only the behaviour.
 */

import {
  batch,
  computed,
  displayString,
  signal,
  type AppRuntime,
  type BoundValue,
  type PageDef,
  type PageWidgets,
  type ReadonlySignal,
  type WidgetDef,
  type WidgetModel,
} from '../runtime/index.ts';
import { eventProps, widgetSpec, type WidgetSpec } from '../catalogue.ts';

const NO_READS: ReadonlySet<string> = new Set();
const UNSET: BoundValue = { ok: true, value: undefined, reads: NO_READS };

/** A default as an evaluated value that read nothing. */
type DefaultValue = BoundValue & { readonly ok: true };

/** Each type's defaults as evaluated values, made once per type. */
const defaultsByType = new Map<string, ReadonlyMap<string, DefaultValue>>();

function defaultsOf(spec: WidgetSpec | undefined): ReadonlyMap<string, DefaultValue> {
  if (!spec) return new Map();
  let defaults = defaultsByType.get(spec.type);
  if (!defaults) {
    defaults = new Map(
      spec.props
        .filter((p) => p.default !== undefined)
        .map((p): [string, DefaultValue] => [p.name, { ok: true, value: p.default, reads: NO_READS }]),
    );
    defaultsByType.set(spec.type, defaults);
  }
  return defaults;
}

export interface BuildContext {
  readonly runtime: AppRuntime;
  /** The Form this widget is inside, if any. */
  readonly form: FormModel | undefined;
}

export interface PropError {
  readonly prop: string;
  readonly message: string;
}

const NO_ERRORS: readonly PropError[] = [];

function sameErrors(a: readonly PropError[], b: readonly PropError[]): boolean {
  return a.length === b.length && a.every((e, i) => e.prop === b[i]?.prop && e.message === b[i]?.message);
}

export abstract class BaseWidget implements WidgetModel {
  readonly name: string;
  readonly type: string;
  private readonly props = new Map<string, ReadonlySignal<BoundValue>>();
  /** The catalogue's defaults for this widget's type (none for an unknown type). */
  private readonly defaults: ReadonlyMap<string, DefaultValue>;
  children: readonly WidgetModel[] = [];

  constructor(
    readonly def: WidgetDef,
    protected readonly ctx: BuildContext,
  ) {
    this.name = def.name;
    this.type = def.type;
    this.defaults = defaultsOf(widgetSpec(def.type));
    for (const [key, raw] of Object.entries(def.props)) {
      if (!eventProps.has(key)) this.props.set(key, ctx.runtime.bind(raw));
    }
  }

  /** A property's evaluated value or error; its catalogue default when it is left out. */
  prop(key: string): BoundValue {
    return this.props.get(key)?.value ?? this.defaults.get(key) ?? UNSET;
  }

  /** A property's value; its default (or `fallback`, for a type without one) when it is unset or failing. */
  value(key: string, fallback?: unknown): unknown {
    const p = this.prop(key);
    return p.ok && p.value !== undefined ? p.value : (this.defaults.get(key)?.value ?? fallback);
  }

  bool(key: string, fallback = false): boolean {
    const v = this.value(key, fallback);
    return typeof v === 'string' ? v === 'true' : Boolean(v);
  }

  text(key: string): string {
    return displayString(this.value(key));
  }

  get isVisible(): boolean {
    return this.bool('isVisible');
  }

  private lastErrors = NO_ERRORS;
  /**
   * The properties whose binding failed. A computed that keeps its previous list while the
   * failures are the same, so the view reading it is not rendered again each time a property's
   * value changes (a keystroke would otherwise re-render every widget bound to that input).
   */
  private readonly propErrors = computed((): readonly PropError[] => {
    const out: PropError[] = [];
    for (const [prop, node] of this.props) {
      const v = node.value;
      if (!v.ok) out.push({ prop, message: v.error.message });
    }
    if (sameErrors(this.lastErrors, out)) return this.lastErrors;
    this.lastErrors = out;
    return out;
  });

  /** The properties whose binding failed, for the inline error note. */
  errors(): readonly PropError[] {
    return this.propErrors.value;
  }

  /** Outputs the widget computes (`text`, `isValid`, …); props are readable as well. */
  protected output(_key: string): { found: boolean; value?: unknown } {
    return { found: false };
  }

  read(key: string): unknown {
    const out = this.output(key);
    if (out.found) return out.value;
    if (key === 'isVisible') return this.isVisible;
    const p = this.prop(key);
    return p.ok ? p.value : undefined;
  }

  reset(): void {}

  runEvent(key: string): Promise<boolean> {
    return this.ctx.runtime.runEvent(this.def.props[key]);
  }
}

// ---- Input ----------------------------------------------------------------------------------

/** The catalogue's choices of `inputType` (models.test.ts checks that they are these). */
export type InputType = 'TEXT' | 'EMAIL' | 'PASSWORD' | 'NUMBER';
const INPUT_TYPE = widgetSpec('Input')?.props.find((p) => p.name === 'inputType');
const INPUT_TYPES = (INPUT_TYPE?.choices ?? []) as readonly InputType[];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface Validity {
  readonly valid: boolean;
  /** Why it is invalid (the `errorMessage` property when set). */
  readonly message: string;
}

export class InputModel extends BaseWidget {
  /**
   * What the user typed since the last reset, with the default text it replaced; null: showing
   * the default. A new default text drops the edit, as in Appsmith (a form prefilled from a
   * query shows the new record when the query runs again).
   */
  private readonly edit = signal<{ text: string; basis: string } | null>(null);
  /** Whether to show the validation message: after the user typed or left the field. */
  readonly touched = signal(false);

  readonly inputType = computed((): InputType => {
    const t = this.text('inputType').toUpperCase();
    return INPUT_TYPES.includes(t as InputType) ? (t as InputType) : (INPUT_TYPE?.default as InputType);
  });
  readonly defaultText = computed(() => this.text('defaultText'));
  private readonly userText = computed(() => {
    const e = this.edit.value;
    return e !== null && e.basis === this.defaultText.value ? e.text : null;
  });
  readonly currentText = computed(() => this.userText.value ?? this.defaultText.value);
  readonly numberValue = computed(() => {
    const t = this.currentText.value.trim();
    const n = Number(t);
    return t === '' || !Number.isFinite(n) ? undefined : n;
  });
  readonly isDirty = computed(() => this.userText.value !== null && this.userText.value !== this.defaultText.value);
  readonly maxChars = computed(() => {
    const n = Number(this.value('maxChars'));
    return Number.isInteger(n) && n > 0 ? n : undefined;
  });

  readonly validity = computed((): Validity => {
    const text = this.currentText.value;
    const custom = this.text('errorMessage');
    const invalid = (why: string): Validity => ({ valid: false, message: custom || why });
    if (text === '') {
      return this.bool('isRequired') ? invalid('This field is required') : { valid: true, message: '' };
    }
    const max = this.maxChars.value;
    if (max !== undefined && text.length > max) return invalid(`At most ${max} characters`);
    const type = this.inputType.value;
    if (type === 'EMAIL' && !EMAIL.test(text)) return invalid('Enter a valid email address');
    if (type === 'NUMBER' && this.numberValue.value === undefined) return invalid('Enter a number');
    const regex = this.text('regex');
    if (regex !== '') {
      let re: RegExp;
      try {
        // Anchored: the whole text must match, as users of a validation pattern expect.
        re = new RegExp(`^(?:${regex})$`);
      } catch {
        return { valid: false, message: `The regex property is not a valid pattern: ${regex}` };
      }
      if (!re.test(text)) return invalid('Invalid value');
    }
    const validation = this.prop('validation');
    if (validation.ok && validation.value !== undefined && !validation.value) return invalid('Invalid value');
    return { valid: true, message: '' };
  });

  setText(text: string): void {
    batch(() => {
      this.edit.value = { text, basis: this.defaultText.peek() };
      this.touched.value = true;
    });
  }

  /** The value a Form's `data` holds: a number for NUMBER inputs, else the text. */
  formValue(): unknown {
    return this.inputType.value === 'NUMBER' ? this.numberValue.value : this.currentText.value;
  }

  protected override output(key: string): { found: boolean; value?: unknown } {
    switch (key) {
      case 'text':
        return { found: true, value: this.currentText.value };
      case 'value':
        return { found: true, value: this.formValue() };
      case 'isValid':
        return { found: true, value: this.validity.value.valid };
      case 'isDirty':
        return { found: true, value: this.isDirty.value };
      case 'inputType':
        return { found: true, value: this.inputType.value };
      default:
        return { found: false };
    }
  }

  override reset(): void {
    batch(() => {
      this.edit.value = null;
      this.touched.value = false;
    });
  }
}

// ---- Form and Container ---------------------------------------------------------------------

export class ContainerModel extends BaseWidget {}

export class FormModel extends BaseWidget {
  private inputs(): InputModel[] {
    const out: InputModel[] = [];
    const visit = (ws: readonly WidgetModel[]): void => {
      for (const w of ws) {
        if (w instanceof InputModel) out.push(w);
        visit(w.children);
      }
    };
    visit(this.children);
    return out;
  }

  /** The children's values by widget name. */
  readonly data = computed(() => {
    const out: Record<string, unknown> = {};
    for (const input of this.inputs()) out[input.name] = input.formValue();
    return Object.freeze(out);
  });

  /** Whether every input inside the form is valid. */
  readonly isValid = computed(() => this.inputs().every((i) => i.validity.value.valid));

  protected override output(key: string): { found: boolean; value?: unknown } {
    if (key === 'data') return { found: true, value: this.data.value };
    if (key === 'isValid') return { found: true, value: this.isValid.value };
    return { found: false };
  }
}

// ---- Button ---------------------------------------------------------------------------------

export class ButtonModel extends BaseWidget {
  /** Number of action chains this button started that have not finished. */
  private readonly runs = signal(0);
  readonly isRunning = computed(() => this.runs.value > 0);

  readonly isDisabled = computed(() => {
    if (this.bool('isDisabled')) return true;
    const form = this.ctx.form;
    return this.bool('disabledWhenInvalid') && form !== undefined && !form.isValid.value;
  });

  /** Runs `onClick`; ignored while disabled or while its previous chain still runs. */
  async click(): Promise<void> {
    if (this.isDisabled.peek() || this.runs.peek() > 0) return;
    this.runs.value++;
    try {
      const succeeded = await this.runEvent('onClick');
      const form = this.ctx.form;
      if (succeeded && form && this.bool('resetFormOnClick')) {
        const reset = (ws: readonly WidgetModel[]): void => {
          for (const w of ws) {
            w.reset();
            reset(w.children);
          }
        };
        batch(() => reset(form.children));
      }
    } finally {
      this.runs.value--;
    }
  }

  protected override output(key: string): { found: boolean; value?: unknown } {
    if (key === 'text') return { found: true, value: this.text('text') };
    if (key === 'isDisabled') return { found: true, value: this.isDisabled.value };
    return { found: false };
  }
}

// ---- Text -----------------------------------------------------------------------------------

export class TextModel extends BaseWidget {
  /** The text as shown; the view binds it to its text node, which then updates by itself. */
  readonly shownText = computed(() => this.text('text'));

  protected override output(key: string): { found: boolean; value?: unknown } {
    return key === 'text' ? { found: true, value: this.shownText.value } : { found: false };
  }
}

// ---- Table ----------------------------------------------------------------------------------

export interface Column {
  readonly key: string;
  readonly label: string;
}

export class TableModel extends BaseWidget {
  private readonly selectedIndex = signal<number | undefined>(undefined);

  /** The rows, or an error when `tableData` is not a list of objects. */
  readonly rows = computed((): { rows: readonly Record<string, unknown>[]; error?: string } => {
    const p = this.prop('tableData');
    if (!p.ok) return { rows: [] };
    const v = p.value;
    if (v === undefined || v === null || v === '') return { rows: [] };
    if (!Array.isArray(v)) return { rows: [], error: 'tableData must be a list of objects' };
    const rows = v.map((r: unknown) => (r !== null && typeof r === 'object' ? (r as Record<string, unknown>) : { value: r }));
    return { rows };
  });

  readonly columns = computed((): readonly Column[] => {
    const declared = this.value('columns');
    if (Array.isArray(declared) && declared.length > 0) {
      return declared.map((c: unknown) => {
        if (typeof c === 'string') return { key: c, label: c };
        const rec = (c ?? {}) as Record<string, unknown>;
        const key = displayString(rec.key);
        return { key, label: displayString(rec.label ?? key) };
      });
    }
    const first = this.rows.value.rows[0];
    return first ? Object.keys(first).map((key) => ({ key, label: key })) : [];
  });

  /** True while a query that `tableData` reads is running. */
  readonly isLoading = computed(() => {
    for (const key of this.prop('tableData').reads) {
      if (key.startsWith('query:') && this.ctx.runtime.queries.get(key.slice(6))?.isLoading.value) return true;
    }
    return false;
  });

  readonly selectedRow = computed(() => {
    const i = this.selectedIndex.value;
    return i === undefined ? undefined : this.rows.value.rows[i];
  });

  select(index: number): void {
    this.selectedIndex.value = index;
  }

  get selectedRowIndex(): number | undefined {
    return this.selectedIndex.value;
  }

  protected override output(key: string): { found: boolean; value?: unknown } {
    switch (key) {
      case 'tableData':
        return { found: true, value: this.rows.value.rows };
      case 'selectedRow':
        return { found: true, value: this.selectedRow.value };
      case 'selectedRowIndex':
        return { found: true, value: this.selectedIndex.value };
      case 'isLoading':
        return { found: true, value: this.isLoading.value };
      default:
        return { found: false };
    }
  }

  override reset(): void {
    this.selectedIndex.value = undefined;
  }
}

// ---- unknown types --------------------------------------------------------------------------

/** A widget type this viewer does not know: shown as an inline error, never a blank page. */
export class UnknownModel extends BaseWidget {
  override get isVisible(): boolean {
    return true;
  }

  override errors(): readonly PropError[] {
    return [{ prop: 'type', message: `Unknown widget type "${this.type}"` }, ...super.errors()];
  }
}

// ---- the page factory -----------------------------------------------------------------------

type ModelClass = new (def: WidgetDef, ctx: BuildContext) => BaseWidget;

/** The model of each catalogue type (models.test.ts checks that every type has one). */
export const MODEL_CLASSES: ReadonlyMap<string, ModelClass> = new Map<string, ModelClass>([
  ['Form', FormModel],
  ['Container', ContainerModel],
  ['Input', InputModel],
  ['Button', ButtonModel],
  ['Text', TextModel],
  ['Table', TableModel],
]);

/** Builds the widget models of a page (the runtime's `WidgetFactory`). */
export function createPageWidgets(page: PageDef, runtime: AppRuntime): PageWidgets {
  const byName = new Map<string, WidgetModel>();
  const build = (def: WidgetDef, form: FormModel | undefined): WidgetModel => {
    const ctx: BuildContext = { runtime, form };
    const Model = (widgetSpec(def.type) && MODEL_CLASSES.get(def.type)) || UnknownModel;
    const model = new Model(def, ctx);
    byName.set(def.name, model);
    const childForm = model instanceof FormModel ? model : form;
    model.children = def.children.map((c) => build(c, childForm));
    return model;
  };
  const roots = page.widgets.map((w) => build(w, undefined));
  return { roots, byName };
}
