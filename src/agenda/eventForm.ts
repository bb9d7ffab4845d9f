import type { FastifyRequest } from 'fastify';
import { html, type Html } from '../http/html.ts';
import type { EventInput } from './eventInput.ts';
import type { AgendaEvent } from './events.ts';
import { recurrenceFields, recurrenceFormValues, recurrenceFromForm, type DatesFormOptions } from './recurrenceForm.ts';
import { agendaErrorSummary, agendaInput, agendaTextarea, fieldError } from './views.ts';
import { localParts } from './zonedTime.ts';

/** Empty date rows the form offers beyond the event's dates (more are added by saving and editing again). */
const EXTRA_DATE_ROWS = 2;

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** "12,50" or "12.50" euros → cents; anything else is passed on as is so the use case reports it. */
function priceCents(raw: unknown): unknown {
  const s = typeof raw === 'string' ? raw.trim() : '';
  if (!s) return '';
  const m = /^(\d{1,7})(?:[.,](\d{1,2}))?$/.exec(s);
  return m ? Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0')) : s;
}

/**
 * A posted event form → the use case input. Date rows without a start are ignored (the spare rows);
 * with `dateMode=rule` the dates come from the rule and the rows are not read.
 */
export function formFields(body: Record<string, unknown>): EventInput {
  const ids = asList(body.dateId);
  const starts = asList(body.startsAt);
  const ends = asList(body.endsAt);
  const zones = asList(body.timezone);
  const dates = starts
    .map((startsAt, i) => ({ id: ids[i] ?? '', startsAt, endsAt: ends[i] ?? '', timezone: zones[i] ?? '' }))
    .filter((d) => d.startsAt.trim() !== '');
  return {
    title: body.title,
    slug: body.slug,
    description: body.description,
    visibility: body.visibility,
    atVenue: body.atVenue === 'on' || body.atVenue === '1',
    locationName: body.locationName,
    street: body.street,
    postalCode: body.postalCode,
    city: body.city,
    country: body.country,
    latitude: body.latitude,
    longitude: body.longitude,
    tags: body.tags,
    organisers: body.organisers,
    performers: body.performers,
    accessibility: body.accessibility,
    externalUrl: body.externalUrl,
    capacity: body.capacity,
    priceFromCents: priceCents(body.price),
    dates,
    recurrence: recurrenceFromForm(body),
  };
}

const pad = (n: number) => String(n).padStart(2, '0');
/** An instant as the value of a datetime-local input, in the date's own zone. */
export function localInputValue(instant: Date | null, timeZone: string): string {
  if (!instant) return '';
  const p = localParts(instant, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** The form values of an existing event. */
export function eventFormValues(e: AgendaEvent): Record<string, unknown> {
  return {
    title: e.title,
    slug: e.slug,
    description: e.descriptionMd,
    visibility: e.visibility,
    atVenue: e.atVenue ? 'on' : '',
    locationName: e.locationName,
    street: e.street,
    postalCode: e.postalCode,
    city: e.city,
    country: e.country,
    latitude: e.latitude ?? '',
    longitude: e.longitude ?? '',
    tags: e.tags.join(', '),
    organisers: e.organisers.join('\n'),
    performers: e.performers.join('\n'),
    accessibility: e.accessibility,
    externalUrl: e.externalUrl,
    capacity: e.capacity ?? '',
    price: e.priceFromCents === null ? '' : (e.priceFromCents / 100).toFixed(2).replace(/\.00$/, ''),
    // A recurring event's dates are its rule's: the rows stay empty, for a switch back to single dates.
    ...(e.recurrence
      ? recurrenceFormValues(e.recurrence)
      : {
          dateId: e.dates.map((d) => d.id),
          startsAt: e.dates.map((d) => localInputValue(d.startsAt, d.timezone)),
          endsAt: e.dates.map((d) => localInputValue(d.endsAt, d.timezone)),
          timezone: e.dates.map((d) => d.timezone),
        }),
  };
}

/** The create/edit/propose form of an event. Proposals cannot choose the visibility or the slug. */
export function eventForm(request: FastifyRequest, o: DatesFormOptions & { proposal?: boolean; csrf: Html }): Html {
  const { t } = request.ctx;
  const v = o.values;
  const e = o.errors;
  const starts = asList(v.startsAt);
  const rows = Math.max(1, starts.length) + EXTRA_DATE_ROWS;
  const dateRows = Array.from({ length: rows }, (_, i) => {
    const zone = asList(v.timezone)[i] || o.timezone;
    return html`<fieldset class="date-row"><legend>${t('agenda.field.dateNumber', { n: i + 1 })}</legend>
<input type="hidden" name="dateId" value="${asList(v.dateId)[i] ?? ''}">
<div class="row">
${agendaInput(request, e, `dates.${i}.startsAt`, starts[i] ?? '', { type: 'datetime-local', name: 'startsAt', required: i === 0 })}
${agendaInput(request, e, `dates.${i}.endsAt`, asList(v.endsAt)[i] ?? '', { type: 'datetime-local', name: 'endsAt' })}
${agendaInput(request, e, `dates.${i}.timezone`, zone, { name: 'timezone' })}
</div></fieldset>`;
  });
  const visibility = String(v.visibility ?? 'public');
  const atVenue = v.atVenue === undefined || v.atVenue === 'on' || v.atVenue === true;
  return html`${agendaErrorSummary(request, e)}
<form method="post" action="${o.action}" novalidate>
${o.csrf}
${agendaInput(request, e, 'title', v.title, { required: true, attrs: html` maxlength="200"` })}
${o.proposal ? '' : agendaInput(request, e, 'slug', v.slug, { hint: t('agenda.slugHint'), attrs: html` maxlength="80"` })}
${agendaTextarea(request, e, 'description', v.description, { rows: 8, hint: t('agenda.markdownHint') })}
${o.proposal ? html`${fieldError(request, e, 'dates')}${dateRows}` : dateModes(request, o, dateRows)}
${
  o.proposal
    ? ''
    : html`<div class="field"><label for="visibility">${t('agenda.field.visibility')}</label><select id="visibility" name="visibility">${(
        ['public', 'unlisted', 'private'] as const
      ).map(
        (x) =>
          html`<option value="${x}"${x === visibility ? html` selected` : ''}>${t(`agenda.visibility.${x}`)}</option>`,
      )}</select></div>`
}
<fieldset><legend>${t('agenda.field.location')}</legend>
<label class="check"><input type="checkbox" name="atVenue" value="on"${atVenue ? html` checked` : ''}> ${t('agenda.field.atVenue')}</label>
${agendaInput(request, e, 'locationName', v.locationName)}
${agendaInput(request, e, 'street', v.street)}
<div class="row">${agendaInput(request, e, 'postalCode', v.postalCode)}${agendaInput(request, e, 'city', v.city)}</div>
${agendaInput(request, e, 'country', v.country ?? 'FR', { attrs: html` maxlength="2"` })}
<div class="row">${agendaInput(request, e, 'latitude', v.latitude, { attrs: html` inputmode="decimal"` })}${agendaInput(request, e, 'longitude', v.longitude, { attrs: html` inputmode="decimal"` })}</div>
</fieldset>
${agendaInput(request, e, 'tags', v.tags, { hint: t('agenda.tagsHint') })}
${agendaTextarea(request, e, 'performers', v.performers, { rows: 3, hint: t('agenda.oneperline') })}
${agendaTextarea(request, e, 'organisers', v.organisers, { rows: 2, hint: t('agenda.oneperline') })}
${agendaTextarea(request, e, 'accessibility', v.accessibility, { rows: 3 })}
${agendaInput(request, e, 'externalUrl', v.externalUrl, { type: 'url' })}
<div class="row">${agendaInput(request, e, 'capacity', v.capacity, { attrs: html` inputmode="numeric"` })}
${agendaInput(request, e, 'price', v.price, { hint: t('agenda.priceHint'), errorField: 'priceFromCents', attrs: html` inputmode="decimal"` })}</div>
<button type="submit">${o.proposal ? t('agenda.proposeSubmit') : t('forms.save')}</button>
</form>`;
}

/** Single dates or a rule: both parts are in the page (a script shows the chosen one); the radio decides. */
function dateModes(request: FastifyRequest, o: DatesFormOptions, dateRows: Html[]): Html {
  const { t } = request.ctx;
  const mode = o.values.dateMode === 'rule' ? 'rule' : 'dates';
  const radio = (value: string) =>
    html`<label class="check"><input type="radio" name="dateMode" value="${value}"${value === mode ? html` checked` : ''}> ${t(`agenda.recurrence.mode.${value}`)}</label>`;
  return html`<fieldset class="date-mode"><legend>${t('agenda.field.dates')}</legend>
${radio('dates')}${radio('rule')}
</fieldset>
<div class="date-single" id="date-single">
${fieldError(request, o.errors, 'dates')}
${dateRows}
</div>
${recurrenceFields(request, o)}`;
}

/** The posted values to show again after an error, with the date rows compacted as formFields reads them (error indexes match). */
export function valuesAfterError(body: Record<string, unknown>): Record<string, unknown> {
  const input = formFields(body);
  const dates = input.dates as { id: string; startsAt: string; endsAt: string; timezone: string }[];
  return {
    ...body,
    dateId: dates.map((d) => d.id),
    startsAt: dates.map((d) => d.startsAt),
    endsAt: dates.map((d) => d.endsAt),
    timezone: dates.map((d) => d.timezone),
  };
}
