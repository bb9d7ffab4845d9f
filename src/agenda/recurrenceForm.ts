import type { FastifyRequest } from 'fastify';
import { localeOf } from '../i18n/i18n.ts';
import { html, type Html } from '../http/html.ts';
import type { FieldError } from '../shared/errors.ts';
import type { PreviewDate } from './previewRecurrence.ts';
import { WEEKDAYS, type RecurrenceRule } from './recurrence.ts';
import { recurrenceAsInput, type RecurrenceInput } from './recurrenceInput.ts';
import { agendaInput, fieldError, formatWhen } from './views.ts';

/** What the dates part of the event form is drawn from (eventForm, its date modes, the rule). */
export interface DatesFormOptions {
  action: string;
  values: Record<string, unknown>;
  errors: FieldError[];
  timezone: string;
  /** The dates the rule gives (after "Aperçu", or the stored rule's). */
  preview?: PreviewDate[] | null;
}

/** Spare inputs for extra single dates beyond the ones the rule has. */
const EXTRA_DATE_ROWS = 2;

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/**
 * The rule part of a posted event form, or null when the form gives its dates one by one. The
 * exceptions are the days of the last preview whose box was unticked.
 */
export function recurrenceFromForm(body: Record<string, unknown>): RecurrenceInput | null {
  if (body.dateMode !== 'rule') return null;
  const keep = new Set(asList(body.ruleKeep));
  return {
    frequency: body.ruleFrequency,
    interval: body.ruleInterval,
    weekdays: asList(body.ruleWeekdays),
    monthlyBy: body.ruleMonthlyBy,
    monthDay: body.ruleMonthDay,
    monthWeek: body.ruleMonthWeek,
    monthWeekday: body.ruleMonthWeekday,
    startDate: body.ruleStartDate,
    startTime: body.ruleStartTime,
    endTime: body.ruleEndTime,
    until: body.ruleUntil,
    count: body.ruleCount,
    exceptions: asList(body.rulePreviewed).filter((day) => !keep.has(day)),
    extraDates: asList(body.ruleExtraDates).filter((d) => d.trim() !== ''),
    timezone: body.ruleTimezone,
  };
}

/** A stored rule as the form's posted values (the inverse of recurrenceFromForm). */
export function recurrenceFormValues(rule: RecurrenceRule): Record<string, unknown> {
  const r = recurrenceAsInput(rule);
  return {
    dateMode: 'rule',
    ruleFrequency: r.frequency,
    ruleInterval: r.interval,
    ruleWeekdays: r.weekdays,
    ruleMonthlyBy: r.monthlyBy,
    ruleMonthDay: r.monthDay,
    ruleMonthWeek: r.monthWeek,
    ruleMonthWeekday: r.monthWeekday,
    ruleStartDate: r.startDate,
    ruleStartTime: r.startTime,
    ruleEndTime: r.endTime,
    ruleUntil: r.until,
    ruleCount: r.count,
    ruleExtraDates: r.extraDates,
    ruleTimezone: r.timezone,
    // The exceptions, as days shown and unticked.
    rulePreviewed: r.exceptions,
  };
}

/** Weekday names in the person's language, Monday first (from a known Monday, 2024-01-01). */
function weekdayNames(request: FastifyRequest): string[] {
  const f = new Intl.DateTimeFormat(localeOf(request.ctx.lang), { weekday: 'long', timeZone: 'UTC' });
  return WEEKDAYS.map((_, i) => f.format(new Date(Date.UTC(2024, 0, 1 + i))));
}

function select(
  request: FastifyRequest,
  errors: FieldError[],
  field: string,
  name: string,
  current: string,
  options: [string, string][],
): Html {
  const id = field.replace(/\./g, '-');
  const invalid = errors.some((e) => e.field === field);
  return html`<div class="field"><label for="${id}">${request.ctx.t(`agenda.field.${field}`)}</label>
<select id="${id}" name="${name}"${invalid ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>${options.map(
    ([value, label]) => html`<option value="${value}"${value === current ? html` selected` : ''}>${label}</option>`,
  )}</select>${fieldError(request, errors, field)}</div>`;
}

/** The preview: each date with its box (untick = exception), extra dates and kept sold dates marked. */
function previewList(request: FastifyRequest, preview: PreviewDate[]): Html {
  const { t, lang } = request.ctx;
  const active = preview.filter((p) => !p.excluded).length;
  return html`<div class="recurrence-preview" id="recurrence-preview">
<h4>${t('agenda.recurrence.previewTitle', { count: active })}</h4>
<p class="hint">${t('agenda.recurrence.previewHint')}</p>
<ul class="plain">${preview.map((p) => {
    const when = formatWhen(lang, p.startsAt, p.endsAt, p.timezone);
    if (p.kind === 'kept')
      return html`<li class="kept">${when} <strong class="badge">${t('agenda.recurrence.kept')}</strong></li>`;
    if (p.kind === 'extra') return html`<li>${when} <span class="hint">${t('agenda.recurrence.extra')}</span></li>`;
    return html`<li><label class="check"><input type="checkbox" name="ruleKeep" value="${p.day}"${p.excluded ? '' : html` checked`}> ${when}</label><input type="hidden" name="rulePreviewed" value="${p.day}"></li>`;
  })}</ul></div>`;
}

/** Without a preview on the page (the form shown again after an error), the exceptions ride along unchanged. */
function keptExceptions(values: Record<string, unknown>): Html[] {
  const exceptions = (recurrenceFromForm({ ...values, dateMode: 'rule' })?.exceptions ?? []) as string[];
  return exceptions.map((day) => html`<input type="hidden" name="rulePreviewed" value="${day}">`);
}

/**
 * The rule part of the event form: frequency and days, times, end, extra dates, and the preview
 * ("Aperçu" posts the form with intent=preview and shows it again with the dates, scrolled to them;
 * nothing is saved).
 */
export function recurrenceFields(request: FastifyRequest, o: DatesFormOptions): Html {
  const { t } = request.ctx;
  const v = o.values;
  const e = o.errors;
  const frequency = str(v.ruleFrequency) || 'weekly';
  const weekdays = new Set(asList(v.ruleWeekdays));
  const names = weekdayNames(request);
  const monthlyBy = str(v.ruleMonthlyBy) || 'monthDay';
  const weekdayInvalid = e.some((x) => x.field === 'recurrence.weekdays');
  const extras = asList(v.ruleExtraDates).filter((d) => d.trim() !== '');
  const radio = (name: string, value: string, current: string, label: string) =>
    html`<label class="check"><input type="radio" name="${name}" value="${value}"${value === current ? html` checked` : ''}> ${label}</label>`;
  return html`<fieldset class="date-rule" id="date-rule"><legend>${t('agenda.recurrence.title')}</legend>
<div class="row">
${select(request, e, 'recurrence.frequency', 'ruleFrequency', frequency, [
  ['weekly', t('agenda.recurrence.weekly')],
  ['monthly', t('agenda.recurrence.monthly')],
])}
${agendaInput(request, e, 'recurrence.interval', str(v.ruleInterval) || '1', { name: 'ruleInterval', type: 'number', hint: t('agenda.recurrence.intervalHint'), attrs: html` min="1" max="52" inputmode="numeric"` })}
</div>
<fieldset class="rule-weekly"><legend>${t('agenda.field.recurrence.weekdays')}</legend>
<div class="weekdays">${WEEKDAYS.map(
    (w, i) =>
      html`<label class="check"><input type="checkbox" name="ruleWeekdays" value="${w}" id="recurrence-weekdays${i === 0 ? '' : `-${w}`}"${weekdays.has(w) ? html` checked` : ''}${weekdayInvalid && i === 0 ? html` aria-invalid="true" aria-describedby="recurrence-weekdays-error"` : ''}> ${names[i]}</label>`,
  )}</div>
${fieldError(request, e, 'recurrence.weekdays')}
</fieldset>
<fieldset class="rule-monthly"><legend>${t('agenda.recurrence.monthlyOn')}</legend>
${radio('ruleMonthlyBy', 'monthDay', monthlyBy, t('agenda.recurrence.byMonthDay'))}
${select(request, e, 'recurrence.monthDay', 'ruleMonthDay', str(v.ruleMonthDay) || '1', [
  ...Array.from({ length: 31 }, (_, i) => [String(i + 1), String(i + 1)] as [string, string]),
  ['-1', t('agenda.recurrence.lastDay')],
])}
${radio('ruleMonthlyBy', 'weekday', monthlyBy, t('agenda.recurrence.byWeekday'))}
<div class="row">
${select(request, e, 'recurrence.monthWeek', 'ruleMonthWeek', str(v.ruleMonthWeek) || '1', [
  ...['1', '2', '3', '4'].map((n) => [n, t(`agenda.recurrence.week.${n}`)] as [string, string]),
  ['-1', t('agenda.recurrence.week.last')],
])}
${select(
  request,
  e,
  'recurrence.monthWeekday',
  'ruleMonthWeekday',
  str(v.ruleMonthWeekday) || 'FR',
  WEEKDAYS.map((w, i) => [w, names[i]!]),
)}
</div>
<p class="hint">${t('agenda.recurrence.monthDayHint')}</p>
</fieldset>
<div class="row">
${agendaInput(request, e, 'recurrence.startDate', v.ruleStartDate, { name: 'ruleStartDate', type: 'date', required: true })}
${agendaInput(request, e, 'recurrence.startTime', v.ruleStartTime, { name: 'ruleStartTime', type: 'time', required: true })}
${agendaInput(request, e, 'recurrence.endTime', v.ruleEndTime, { name: 'ruleEndTime', type: 'time', hint: t('agenda.recurrence.endTimeHint') })}
</div>
<div class="row">
${agendaInput(request, e, 'recurrence.until', v.ruleUntil, { name: 'ruleUntil', type: 'date', hint: t('agenda.recurrence.endHint') })}
${agendaInput(request, e, 'recurrence.count', v.ruleCount, { name: 'ruleCount', type: 'number', attrs: html` min="1" max="104" inputmode="numeric"` })}
</div>
${agendaInput(request, e, 'recurrence.timezone', str(v.ruleTimezone) || o.timezone, { name: 'ruleTimezone' })}
<fieldset><legend>${t('agenda.field.recurrence.extraDates')}</legend>
${fieldError(request, e, 'recurrence.extraDates')}
${Array.from(
  { length: extras.length + EXTRA_DATE_ROWS },
  (_, i) =>
    html`<div class="field"><label for="recurrence-extraDates-${i}">${t('agenda.recurrence.extraNumber', { n: i + 1 })}</label><input id="recurrence-extraDates-${i}" name="ruleExtraDates" type="datetime-local" value="${extras[i] ?? ''}"></div>`,
)}
</fieldset>
<button type="submit" name="intent" value="preview" formaction="${o.action}#recurrence-preview">${t('agenda.recurrence.preview')}</button>
${o.preview ? previewList(request, o.preview) : keptExceptions(v)}
</fieldset>`;
}
