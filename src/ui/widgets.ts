import type { ComponentChildren } from 'preact';
import { ApiError, describe, type FieldError } from './api.js';
import { html } from './html.js';

/** A labelled input whose problem+json errors appear under it and are announced. */
export function Field(props: {
  id: string;
  label: string;
  value: string;
  onInput: (v: string) => void;
  errors?: FieldError[] | undefined;
  type?: string;
  hint?: string;
  readOnly?: boolean;
  placeholder?: string;
  autocomplete?: string;
  children?: ComponentChildren;
}) {
  const errs = props.errors ?? [];
  const errId = `${props.id}-error`;
  const hintId = `${props.id}-hint`;
  const described = [errs.length > 0 ? errId : '', props.hint ? hintId : ''].filter(Boolean).join(' ') || undefined;
  return html`<div class=${`field${errs.length > 0 ? ' invalid' : ''}`}>
    <label for=${props.id}>${props.label}</label>
    <div class="field-input">
      <input id=${props.id} name=${props.id} type=${props.type ?? 'text'} value=${props.value}
        readOnly=${props.readOnly ?? false} placeholder=${props.placeholder ?? ''} autocomplete=${props.autocomplete ?? 'off'}
        aria-invalid=${errs.length > 0 ? 'true' : undefined} aria-describedby=${described}
        onInput=${(e: Event) => props.onInput((e.currentTarget as HTMLInputElement).value)} />
      ${props.children}
    </div>
    ${props.hint ? html`<p class="hint" id=${hintId}>${props.hint}</p>` : null}
    ${errs.length > 0 ? html`<p class="field-error" id=${errId} role="alert">${errs.map((e) => e.message).join('; ')}</p>` : null}
  </div>`;
}

/** A failure of a whole request, with the field errors no field claimed. */
export function ErrorBanner(props: { error: unknown; claimed?: (field: string) => boolean }) {
  if (!props.error) return null;
  const rest = props.error instanceof ApiError ? (props.error.problem.errors ?? []).filter((e) => !props.claimed?.(e.field)) : [];
  return html`<div class="banner error" role="alert">
    <strong>${props.error instanceof ApiError && props.error.problem.errors?.length ? props.error.problem.title : describe(props.error)}</strong>
    ${rest.length > 0 ? html`<ul>${rest.map((e) => html`<li><code>${e.field}</code>: ${e.message}</li>`)}</ul>` : null}
  </div>`;
}

export function Notice(props: { text: string | null }) {
  return props.text ? html`<div class="banner ok" role="status">${props.text}</div>` : null;
}

/** Field errors of a failed request, by field. */
export function errorsOf(err: unknown): (field: string) => FieldError[] {
  return (field) => (err instanceof ApiError ? err.on(field) : []);
}
