import type { ButtonModel } from './models.ts';

/** A button; while the action chain it started runs it shows a spinner and takes no clicks. */
export function ButtonView({ model }: { model: ButtonModel }) {
  const running = model.isRunning.value;
  return (
    <button
      type="button"
      class="lk-button"
      disabled={model.isDisabled.value || running}
      aria-busy={running}
      onClick={() => void model.click()}
    >
      {running && <span class="lk-spinner" aria-hidden="true" />}
      <span>{model.text('text')}</span>
    </button>
  );
}
