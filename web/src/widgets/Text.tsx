import type { TextModel } from './models.ts';

/**
 * Text, always inserted as a text node (never as HTML). The node is bound to the model's
 * `shownText` signal (@preact/signals renders a signal child as a text node it updates in
 * place), so a new value changes that node's data without rendering this component again.
 */
export function TextView({ model }: { model: TextModel }) {
  return <div class="lk-text">{model.shownText}</div>;
}
