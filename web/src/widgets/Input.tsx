import type { InputModel, InputType } from './models.ts';

const HTML_TYPE: Record<InputType, 'text' | 'email' | 'password'> = {
  TEXT: 'text',
  EMAIL: 'email',
  PASSWORD: 'password',
  // A text field, so a half-typed number ("1e", "-") is kept as typed and validated instead of
  // being silently emptied by the browser.
  NUMBER: 'text',
};

export function InputView({ model }: { model: InputModel }) {
  const id = `lk-input-${model.name}`;
  const label = model.text('label');
  const type = model.inputType.value;
  const validity = model.validity.value;
  const showError = !validity.valid && model.touched.value;
  const required = model.bool('isRequired');
  return (
    <div class="lk-input">
      {label !== '' && (
        <label class="lk-label" for={id}>
          {label}
          {required && <span aria-hidden="true"> *</span>}
        </label>
      )}
      <input
        id={id}
        name={model.name}
        // Preact's types tie each input type to its own attribute set; these three share ours.
        type={HTML_TYPE[type] as 'text'}
        inputMode={type === 'NUMBER' ? 'decimal' : undefined}
        autoComplete={type === 'PASSWORD' ? 'current-password' : type === 'EMAIL' ? 'email' : 'off'}
        value={model.currentText.value}
        placeholder={model.text('placeholderText')}
        maxLength={model.maxChars.value}
        disabled={model.bool('isDisabled')}
        required={required}
        aria-invalid={showError}
        aria-describedby={showError ? `${id}-error` : undefined}
        onInput={(e) => {
          model.setText(e.currentTarget.value);
          void model.runEvent('onTextChanged');
        }}
        onBlur={() => {
          model.touched.value = true;
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.isComposing) {
            e.preventDefault();
            void model.runEvent('onSubmit');
          }
        }}
      />
      {showError && (
        <div class="lk-field-error" id={`${id}-error`}>
          {validity.message}
        </div>
      )}
    </div>
  );
}
