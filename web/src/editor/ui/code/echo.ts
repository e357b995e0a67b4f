/**
 * Telling the owner's echo of the field's own edits from a change made elsewhere.
 *
 * The field reports every edit with onChange, and the owner may hand the value back late (it
 * debounces or merges): by then the builder has typed more. Replacing the text with that stale
 * echo would undo their typing, so a value the field itself reported is not applied; anything
 * else (undo in the app's history, another tab) is.
 */
export class EchoFilter {
  /** Values reported by the field and not yet handed back, oldest first. */
  private pending: string[] = [];

  /** The field reported `value` to its owner. */
  sent(value: string): void {
    this.pending.push(value);
    // A long burst whose echoes never come back must not grow without bound.
    if (this.pending.length > 200) this.pending.shift();
  }

  /**
   * The owner's value arrived while the field holds `current`: whether the field must take it.
   * An echo of one of the field's own reports is dropped together with the older reports.
   */
  shouldApply(value: string, current: string): boolean {
    if (value === current) {
      this.pending = [];
      return false;
    }
    const at = this.pending.lastIndexOf(value);
    if (at >= 0) {
      this.pending = this.pending.slice(at + 1);
      return false;
    }
    this.pending = [];
    return true;
  }
}
