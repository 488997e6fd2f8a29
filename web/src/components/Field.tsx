import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';

interface FieldShell {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  className?: string;
}

function describedBy(hintId: string, errorId: string, hint: unknown, error: unknown): string | undefined {
  return [hint ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ') || undefined;
}

/** What a control needs to be tied to its label, hint and error. */
interface ControlWiring {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

/** The label, hint and error around one control, wired together for screen readers; `control` draws the control. */
function FieldFrame({ label, hint, error, className, control }: FieldShell & { control: (wiring: ControlWiring) => ReactNode }) {
  const id = useId();
  return (
    <div className={['field', className].filter(Boolean).join(' ')}>
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      {hint ? (
        <p className="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {control({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy(`${id}-hint`, `${id}-error`, hint, error) })}
      {error ? (
        <p className="field__error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A labelled input with an optional hint and error. */
export function TextField({ label, hint, error, className, ...input }: FieldShell & InputHTMLAttributes<HTMLInputElement>) {
  return <FieldFrame label={label} hint={hint} error={error} className={className} control={(wiring) => <input className="field__input" {...wiring} {...input} />} />;
}

export function TextArea({ label, hint, error, className, ...input }: FieldShell & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return <FieldFrame label={label} hint={hint} error={error} className={className} control={(wiring) => <textarea className="field__input field__input--area" {...wiring} {...input} />} />;
}

export function SelectField({ label, hint, error, className, children, ...select }: FieldShell & SelectHTMLAttributes<HTMLSelectElement>) {
  return (
    <FieldFrame
      label={label}
      hint={hint}
      error={error}
      className={className}
      control={(wiring) => (
        <select className="field__input" {...wiring} {...select}>
          {children}
        </select>
      )}
    />
  );
}

/** A group of checkboxes or radios under one legend. */
export function ChoiceGroup({ legend, hint, error, children, className }: { legend: ReactNode; hint?: ReactNode; error?: string | undefined; children: ReactNode; className?: string }) {
  const id = useId();
  return (
    <fieldset className={['choices', className].filter(Boolean).join(' ')} aria-describedby={describedBy(`${id}-hint`, `${id}-error`, hint, error)}>
      <legend className="field__label">{legend}</legend>
      {hint ? (
        <p className="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      <div className="choices__options">{children}</div>
      {error ? (
        <p className="field__error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

export function Choice({ label, hint, ...input }: { label: ReactNode; hint?: ReactNode } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label className="choice">
      <input className="choice__input" {...input} />
      <span className="choice__text">
        <span className="choice__label">{label}</span>
        {hint ? <span className="choice__hint">{hint}</span> : null}
      </span>
    </label>
  );
}
