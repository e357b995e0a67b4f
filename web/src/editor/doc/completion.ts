/**
 * The shape of completion, shared by the code editor (CodeMirror, ui/code/) and the binding
 * fields (ui/complete/): given a field's text and the caret, what may be inserted where.
 * `complete.ts` computes it from the app; the fields only show it.
 */

export type SuggestionKind = 'widget' | 'query' | 'jsObject' | 'global' | 'property' | 'function' | 'storeKey' | 'field' | 'page';

export interface Suggestion {
  /** What the list shows ("inp_username", "text", "accesstoken"). */
  readonly label: string;
  /** A short note beside it ("Input on LoginPage", "string", "store key"). */
  readonly detail?: string;
  readonly kind: SuggestionKind;
  /** The text that replaces `from`..`to` of the field when picked; inside `{{ }}` always. */
  readonly insert: string;
  /** Where the caret goes after insertion, as an offset into `insert` (default: its end). */
  readonly caret?: number;
}

export interface CompletionResult {
  /** The range of the field's text the picked suggestion replaces. */
  readonly from: number;
  readonly to: number;
  readonly options: readonly Suggestion[];
}

/**
 * What a field asks for completions with. `mode`: 'template' for a binding field (text with
 * `{{ }}` bindings: outside them a pick is wrapped in `{{ }}`), 'code' for a JS object's source
 * or other plain JavaScript. `explicit`: the builder asked (Ctrl+Space), so offer even with no
 * word typed yet. Null: nothing to offer here.
 */
export type Completer = (text: string, caret: number, mode: 'template' | 'code', explicit: boolean) => CompletionResult | null;
