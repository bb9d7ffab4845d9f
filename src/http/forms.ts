import type { FastifyRequest } from 'fastify';
import type { FieldError } from '../shared/errors.ts';
import { html, type Html } from './html.ts';

/** What a form needs to show itself again: the values sent and the errors per field. */
export interface FormState {
  values: Record<string, unknown>;
  errors: FieldError[];
}

export const emptyForm = (values: Record<string, unknown> = {}): FormState => ({ values, errors: [] });

export function csrfField(request: FastifyRequest): Html {
  return html`<input type="hidden" name="_csrf" value="${request.ctx.csrfToken}">`;
}

export function fieldErrors(request: FastifyRequest, form: FormState, name: string): Html | '' {
  const errs = form.errors.filter((e) => e.field === name);
  if (errs.length === 0) return '';
  return html`<p class="error" id="${name}-error">${errs.map((e) => request.ctx.t(`fields.${e.message}`, e.params))}</p>`;
}

/** A summary at the top of a form so screen-reader users hear that something went wrong. */
export function errorSummary(request: FastifyRequest, form: FormState): Html | '' {
  if (form.errors.length === 0) return '';
  const { t } = request.ctx;
  return html`<div class="alert" role="alert"><p>${t('forms.hasErrors', { count: form.errors.length })}</p><ul>${form.errors.map(
    (e) => html`<li><a href="#${e.field}">${t(`labels.${e.field}`)}</a> : ${t(`fields.${e.message}`, e.params)}</li>`,
  )}</ul></div>`;
}

interface InputOptions {
  type?: string;
  required?: boolean;
  hint?: string;
  attrs?: Html;
  label?: string;
}

/** A labelled input with its error, wired with aria-invalid and aria-describedby. */
export function input(request: FastifyRequest, form: FormState, name: string, options: InputOptions = {}): Html {
  const { t } = request.ctx;
  const invalid = form.errors.some((e) => e.field === name);
  const value = form.values[name];
  const described = [invalid ? `${name}-error` : '', options.hint ? `${name}-hint` : ''].filter(Boolean).join(' ');
  return html`<div class="field">
<label for="${name}">${options.label ?? t(`labels.${name}`)}${options.required ? html` <span aria-hidden="true">*</span>` : ''}</label>
${options.hint ? html`<p class="hint" id="${name}-hint">${options.hint}</p>` : ''}
<input id="${name}" name="${name}" type="${options.type ?? 'text'}" value="${value === undefined || value === null ? '' : String(value)}"${options.required ? html` required` : ''}${invalid ? html` aria-invalid="true"` : ''}${described ? html` aria-describedby="${described}"` : ''}${options.attrs ?? ''}>
${fieldErrors(request, form, name)}
</div>`;
}

export function textarea(
  request: FastifyRequest,
  form: FormState,
  name: string,
  options: { rows?: number } = {},
): Html {
  const { t } = request.ctx;
  const invalid = form.errors.some((e) => e.field === name);
  const value = form.values[name];
  return html`<div class="field">
<label for="${name}">${t(`labels.${name}`)}</label>
<textarea id="${name}" name="${name}" rows="${options.rows ?? 5}"${invalid ? html` aria-invalid="true" aria-describedby="${name}-error"` : ''}>${value === undefined || value === null ? '' : String(value)}</textarea>
${fieldErrors(request, form, name)}
</div>`;
}

export function select(
  request: FastifyRequest,
  form: FormState,
  name: string,
  options: { value: string; label: string }[],
): Html {
  const { t } = request.ctx;
  const invalid = form.errors.some((e) => e.field === name);
  const current = String(form.values[name] ?? '');
  return html`<div class="field">
<label for="${name}">${t(`labels.${name}`)}</label>
<select id="${name}" name="${name}"${invalid ? html` aria-invalid="true" aria-describedby="${name}-error"` : ''}>${options.map(
    (o) => html`<option value="${o.value}"${o.value === current ? html` selected` : ''}>${o.label}</option>`,
  )}</select>
${fieldErrors(request, form, name)}
</div>`;
}
