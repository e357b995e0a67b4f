import type { TextModel } from './models.ts';

/** Text, always inserted as a text node (never as HTML). */
export function TextView({ model }: { model: TextModel }) {
  return <div class="lk-text">{model.text('text')}</div>;
}
