/**
 * Undo and redo: one history for the whole app (canvas, properties, pages alike).
 *
 * Each step keeps the change as it was made and its inverse, computed against the document it
 * was applied to. Typing into a property field makes one change per keystroke; consecutive
 * changes that set the same property of the same widget within `mergeWindowMs` (1 s) of each
 * other merge into one step, whose undo restores the value from before the first keystroke.
 * A new change clears the redo list.
 */

import type { Change } from './types.ts';

export interface HistoryStep {
  readonly change: Change;
  readonly inverse: Change;
}

interface Entry extends HistoryStep {
  /** When the step was last extended (ms). */
  readonly at: number;
  /** Steps with the same key, close in time, merge. */
  readonly mergeKey: string | null;
}

export class History {
  private undoStack: Entry[] = [];
  private redoStack: Entry[] = [];

  constructor(
    private readonly options: { readonly mergeWindowMs?: number; readonly limit?: number } = {},
  ) {}

  /** Records a change made at `now` (ms) with its inverse. */
  record(change: Change, inverse: Change, now: number): void {
    if (change.ops.length === 0) return;
    this.redoStack = [];
    const key = mergeKeyOf(change);
    const last = this.undoStack[this.undoStack.length - 1];
    const window = this.options.mergeWindowMs ?? 1000;
    if (last && key !== null && last.mergeKey === key && now - last.at <= window) {
      // The merged step redoes the latest value and undoes to the value before the first.
      this.undoStack[this.undoStack.length - 1] = { change, inverse: last.inverse, at: now, mergeKey: key };
      return;
    }
    this.undoStack.push({ change, inverse, at: now, mergeKey: key });
    const limit = this.options.limit ?? 500;
    if (this.undoStack.length > limit) this.undoStack.splice(0, this.undoStack.length - limit);
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** The label of the step undo would undo ("Move inp_username"), or "". */
  get undoLabel(): string {
    return this.undoStack[this.undoStack.length - 1]?.change.label ?? '';
  }

  get redoLabel(): string {
    return this.redoStack[this.redoStack.length - 1]?.change.label ?? '';
  }

  /** The step to undo, without removing it: the caller applies `inverse` and then calls
   * `undone()` (or leaves the history as it was when the inverse does not apply). */
  peekUndo(): HistoryStep | undefined {
    return this.undoStack[this.undoStack.length - 1];
  }

  peekRedo(): HistoryStep | undefined {
    return this.redoStack[this.redoStack.length - 1];
  }

  /** Moves the top undo step to redo; `redoInverse` replaces its inverse when the document the
   * redo applies to differs from the one recorded (the caller recomputes it). */
  undone(): void {
    const e = this.undoStack.pop();
    // An undone step never merges with what comes after it.
    if (e) this.redoStack.push({ ...e, mergeKey: null });
  }

  /** Moves the top redo step back to undo, with the inverse computed against the document
   * the redo applied to. */
  redone(inverse: Change): void {
    const e = this.redoStack.pop();
    if (e) this.undoStack.push({ change: e.change, inverse, at: Number.NEGATIVE_INFINITY, mergeKey: null });
  }

  /** Forgets the top undo step (`'undo'`) or redo step (`'redo'`): one that no longer applies,
   * so the steps under it stay reachable. */
  drop(which: 'undo' | 'redo'): void {
    (which === 'undo' ? this.undoStack : this.redoStack).pop();
  }

  /** Rewrites every step (after a rebase renamed widgets that collided with another tab's). */
  remap(f: (change: Change) => Change): void {
    const map = (e: Entry): Entry => ({ ...e, change: f(e.change), inverse: f(e.inverse) });
    this.undoStack = this.undoStack.map(map);
    this.redoStack = this.redoStack.map(map);
  }

  clear(): void {
    this.undoStack = [];
    this.redoStack = [];
  }
}

/**
 * Changes that are one setProp merge by widget and property; changes that are one edit of a
 * query, JS object or datasource (a put of a new value) merge by its name and the change's
 * label, which names the field ("Edit sign_in path"); others never merge.
 */
function mergeKeyOf(change: Change): string | null {
  const [op, ...rest] = change.ops;
  if (!op || rest.length > 0) return null;
  if (op.kind === 'setProp') return JSON.stringify([op.page, op.widget, op.prop]);
  if ((op.kind === 'putQuery' || op.kind === 'putJsObject' || op.kind === 'putDatasource') && op.value !== null) {
    return JSON.stringify([op.kind, op.name, change.label]);
  }
  return null;
}
