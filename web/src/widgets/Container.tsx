import { Grid } from './WidgetView.tsx';
import type { ContainerModel, FormModel } from './models.ts';

/** A box whose children sit on its own 64-column grid. */
export function ContainerView({ model }: { model: ContainerModel }) {
  return (
    <div class="lk-container">
      <Grid widgets={model.children} class="lk-fill" />
    </div>
  );
}

/**
 * A Form: a container with a title whose `data` holds its inputs' values. The browser's own
 * form submission is turned off: buttons and Enter run the app's events instead.
 */
export function FormView({ model }: { model: FormModel }) {
  const title = model.text('title');
  return (
    <form class="lk-container lk-form" noValidate onSubmit={(e) => e.preventDefault()} aria-label={title || model.name}>
      {title !== '' && <div class="lk-form-title">{title}</div>}
      <Grid widgets={model.children} class="lk-fill" />
    </form>
  );
}
