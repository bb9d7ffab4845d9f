import type { FastifyRequest } from 'fastify';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { audit } from '../access/audit.ts';
import { authorize } from '../access/permissions.ts';
import { html, type Html } from '../http/html.ts';
import { FieldErrors, notFound, type FieldError } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { getPlaceBySlug } from '../places/index.ts';
import type { QuestionKind } from './tables.ts';
import { eventOfPlace } from '../agenda/index.ts';

/** Longest answer to a text question. */
export const MAX_ANSWER = 500;
/** Questions per event at most: bounded checkout forms. */
export const MAX_QUESTIONS = 30;
export const QUESTION_KINDS = ['text', 'choice', 'checkbox'] as const;

export interface Question {
  id: string;
  eventId: string;
  label: string;
  kind: QuestionKind;
  choices: string[];
  required: boolean;
  perTicket: boolean;
  position: number;
}

/** An answer as sent: `ticket` is the seat's 0-based rank in the order (lines in order, then quantity), for per-ticket questions. */
export interface AnswerInput {
  questionId: unknown;
  ticket?: unknown;
  value: unknown;
}

/** One seat of an order, for per-ticket questions. */
export interface OrderSeat {
  index: number;
  eventId: string;
  lineId: string;
  rank: number;
}

export interface AnswerRow {
  question_id: string;
  event_id: string;
  line_id: string | null;
  line_rank: number | null;
  label: string;
  kind: QuestionKind;
  value: string;
}

/** The questions of some events, in their order. */
export async function questionsOf(db: Db, placeId: string, eventIds: string[]): Promise<Question[]> {
  if (eventIds.length === 0) return [];
  const rows = await db
    .selectFrom('ticket_questions')
    .selectAll()
    .where('place_id', '=', placeId)
    .where('event_id', 'in', eventIds)
    .orderBy('position')
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    label: r.label,
    kind: r.kind,
    choices: r.choices,
    required: r.required,
    perTicket: r.per_ticket,
    position: r.position,
  }));
}

/** The form field of a question: `qa.<question>` (per order) or `qa.<question>.<ticket>` (per ticket). */
export const answerField = (questionId: string, ticket: number | null) =>
  ticket === null ? `qa.${questionId}` : `qa.${questionId}.${ticket}`;
/** The API field named in a 422 for an answer. */
const apiField = (questionId: string, ticket: number | null) =>
  ticket === null ? `answers.${questionId}` : `answers.${questionId}.${ticket}`;

/** Answers from a posted form: every `qa.` field. */
export function answersFromForm(body: Record<string, unknown>): AnswerInput[] {
  return Object.entries(body)
    .filter(([k]) => k.startsWith('qa.'))
    .map(([k, value]) => {
      const [, questionId = '', ticket] = k.split('.');
      return { questionId, ...(ticket !== undefined ? { ticket: Number(ticket) } : {}), value };
    });
}

/** The API field of an answer error, turned into the form field of the same answer. */
export const formFieldOf = (field: string) =>
  field.startsWith('answers.') ? `qa.${field.slice('answers.'.length)}` : field;

function normalise(
  q: Question,
  raw: unknown,
): { value: string; error: string | null; params?: Record<string, number> } {
  if (q.kind === 'checkbox') {
    const yes =
      raw === true || raw === 'yes' || raw === 'on' || raw === 'true' || (Array.isArray(raw) && raw.length > 0);
    return { value: yes ? 'yes' : 'no', error: q.required && !yes ? 'required' : null };
  }
  if (raw !== undefined && raw !== null && typeof raw !== 'string') return { value: '', error: 'type' };
  const value = typeof raw === 'string' ? raw.trim() : '';
  if (!value) return { value, error: q.required ? 'required' : null };
  if (q.kind === 'text' && value.length > MAX_ANSWER) return { value, error: 'too-long', params: { max: MAX_ANSWER } };
  if (q.kind === 'choice' && !q.choices.includes(value)) return { value, error: 'choice' };
  return { value, error: null };
}

/**
 * Checks the answers of an order against its events' questions: required ones answered, choices
 * among the list, text at most 500 characters, each per-ticket question once for each seat of its
 * event. Field errors name `answers.<question>` or `answers.<question>.<ticket>`. Returns the rows
 * to store, with the question's label and kind copied (old answers stay readable).
 */
export function checkAnswers(
  questions: Question[],
  answers: AnswerInput[],
  seats: OrderSeat[],
  errors: FieldErrors,
): AnswerRow[] {
  const given = new Map<string, unknown>();
  for (const a of answers) {
    const qid = typeof a.questionId === 'string' ? a.questionId : '';
    const q = questions.find((x) => x.id === qid);
    const ticket =
      a.ticket === undefined || a.ticket === null
        ? null
        : typeof a.ticket === 'number' && Number.isInteger(a.ticket)
          ? a.ticket
          : NaN;
    if (!q) {
      errors.add(`answers.${String(qid).slice(0, 36)}`, 'unknown-field');
      continue;
    }
    const known = q.perTicket
      ? ticket !== null && seats.some((p) => p.index === ticket && p.eventId === q.eventId)
      : ticket === null;
    if (!known) {
      errors.add(apiField(q.id, Number.isNaN(ticket) ? null : ticket), 'unknown-field');
      continue;
    }
    const key = apiField(q.id, ticket);
    if (!given.has(key)) given.set(key, a.value);
  }
  const rows: AnswerRow[] = [];
  for (const q of questions) {
    const targets = q.perTicket
      ? seats.filter((p) => p.eventId === q.eventId)
      : seats.some((p) => p.eventId === q.eventId)
        ? [null]
        : [];
    for (const place of targets) {
      const key = apiField(q.id, place ? place.index : null);
      const { value, error, params } = normalise(q, given.get(key));
      if (error) errors.add(key, error, params);
      else if (value !== '')
        rows.push({
          question_id: q.id,
          event_id: q.eventId,
          line_id: place ? place.lineId : null,
          line_rank: place ? place.rank : null,
          label: q.label,
          kind: q.kind,
          value,
        });
    }
  }
  return rows;
}

/** Writes an order's answers in the caller's transaction. */
export async function storeAnswers(trx: Trx, placeId: string, orderId: string, rows: AnswerRow[]): Promise<void> {
  if (rows.length === 0) return;
  await trx
    .insertInto('order_answers')
    .values(rows.map((r) => ({ place_id: placeId, order_id: orderId, id: uuidv7(), ...r })))
    .execute();
}

export interface QuestionInput {
  slug: string;
  eventId: unknown;
  /** Absent: a new question. */
  id?: unknown;
  label: unknown;
  kind: unknown;
  /** For `choice`: one choice per line (or an array). */
  choices?: unknown;
  required?: unknown;
  perTicket?: unknown;
  position?: unknown;
}

const truthy = (v: unknown) => v === true || v === 'yes' || v === 'on' || v === 'true';

/**
 * Creates or changes a question of an event (permission `events.write`). Changing a question never
 * touches answers already given: they keep the label they were given under.
 */
export async function saveTicketQuestion(db: Db, actor: Actor, input: QuestionInput): Promise<{ id: string }> {
  if (typeof input.eventId !== 'string' || !isUuid(input.eventId)) throw notFound('event');
  if (input.id !== undefined && (typeof input.id !== 'string' || !isUuid(input.id))) throw notFound('question');
  const eventId = input.eventId;
  const errors = new FieldErrors();
  const label = typeof input.label === 'string' ? input.label.trim() : '';
  if (!label) errors.add('questionLabel', 'required');
  else if (label.length > 200) errors.add('questionLabel', 'too-long', { max: 200 });
  const kind = QUESTION_KINDS.find((k) => k === input.kind);
  if (!kind) errors.add('questionKind', 'choice');
  const rawChoices = Array.isArray(input.choices)
    ? input.choices
    : typeof input.choices === 'string'
      ? input.choices.split(/\r?\n/)
      : [];
  const choices = [...new Set(rawChoices.map((c) => (typeof c === 'string' ? c.trim() : '')).filter(Boolean))];
  if (kind === 'choice') {
    if (choices.length === 0) errors.add('questionChoices', 'required');
    else if (choices.length > 30) errors.add('questionChoices', 'too-many');
    else if (choices.some((c) => c.length > 100)) errors.add('questionChoices', 'too-long', { max: 100 });
  }
  const rawPosition =
    input.position === undefined || input.position === ''
      ? 0
      : typeof input.position === 'string' && /^\d{1,4}$/.test(input.position)
        ? Number(input.position)
        : input.position;
  if (!Number.isInteger(rawPosition) || (rawPosition as number) < 0 || (rawPosition as number) > 1000)
    errors.add('questionPosition', 'range-between', { min: 0, max: 1000 });
  errors.throwIfAny();
  const values = {
    label,
    kind: kind!,
    choices: kind === 'choice' ? choices : [],
    required: truthy(input.required),
    per_ticket: truthy(input.perTicket),
    position: rawPosition as number,
  };
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'events.write');
    const event = await eventOfPlace(trx, place.id, eventId);
    if (!event) throw notFound('event');
    let id: string;
    if (typeof input.id === 'string') {
      const changed = await trx
        .updateTable('ticket_questions')
        .set(values)
        .where('place_id', '=', place.id)
        .where('event_id', '=', eventId)
        .where('id', '=', input.id)
        .returning('id')
        .executeTakeFirst();
      if (!changed) throw notFound('question');
      id = changed.id;
    } else {
      const count = await trx
        .selectFrom('ticket_questions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('place_id', '=', place.id)
        .where('event_id', '=', eventId)
        .executeTakeFirstOrThrow();
      if (Number(count.n) >= MAX_QUESTIONS) {
        const more = new FieldErrors();
        more.add('questionLabel', 'too-many');
        more.throwIfAny();
      }
      id = uuidv7();
      await trx
        .insertInto('ticket_questions')
        .values({ place_id: place.id, id, event_id: eventId, ...values })
        .execute();
    }
    await audit(trx, actor, {
      placeId: place.id,
      action: input.id ? 'ticket-question.changed' : 'ticket-question.created',
      subjectId: id,
      data: { event_id: eventId, ...values },
    });
    return { id };
  });
}

/** Removes a question; answers already given stay, under the label they were given. */
export async function deleteTicketQuestion(
  db: Db,
  actor: Actor,
  input: { slug: string; eventId: unknown; id: unknown },
): Promise<void> {
  if (typeof input.eventId !== 'string' || !isUuid(input.eventId)) throw notFound('event');
  if (typeof input.id !== 'string' || !isUuid(input.id)) throw notFound('question');
  const { eventId, id } = input as { eventId: string; id: string };
  await inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'events.write');
    const gone = await trx
      .deleteFrom('ticket_questions')
      .where('place_id', '=', place.id)
      .where('event_id', '=', eventId)
      .where('id', '=', id)
      .returning('label')
      .executeTakeFirst();
    if (!gone) throw notFound('question');
    await audit(trx, actor, {
      placeId: place.id,
      action: 'ticket-question.deleted',
      subjectId: id,
      data: { event_id: eventId, label: gone.label },
    });
  });
}

/** Answers of some orders, per order, in question order; per-ticket ones carry their line and rank. */
export async function answersOf(db: Db, placeId: string, orderIds: string[]) {
  if (orderIds.length === 0) return [];
  return db
    .selectFrom('order_answers')
    .select(['order_id', 'question_id', 'event_id', 'line_id', 'line_rank', 'label', 'kind', 'value'])
    .where('place_id', '=', placeId)
    .where('order_id', 'in', orderIds)
    .orderBy('id')
    .execute();
}

/** An answer as the venue reads it: checkboxes in words. */
export function answerText(t: (key: string) => string, a: { kind: string; value: string }): string {
  if (a.kind === 'checkbox') return a.value === 'yes' ? t('questions.yes') : t('questions.no');
  return a.value;
}

/** One question's input in a checkout form, with its label, hint and error wired for assistive tech. */
function questionInput(
  request: FastifyRequest,
  q: Question,
  ticket: number | null,
  values: Record<string, unknown>,
  errors: FieldError[],
): Html {
  const { t } = request.ctx;
  const name = answerField(q.id, ticket);
  const id = name.replace(/\./g, '-');
  const error = errors.find((e) => formFieldOf(e.field) === name);
  const aria = error ? html` aria-invalid="true" aria-describedby="${id}-error"` : '';
  const current = values[name];
  const text = typeof current === 'string' ? current : '';
  const errorText = error
    ? html`<p class="error" id="${id}-error">${t(`fields.${error.message}`, error.params)}</p>`
    : '';
  const mark = q.required ? html` <span aria-hidden="true">*</span>` : '';
  if (q.kind === 'checkbox') {
    const checked = current === 'yes' || current === 'on' || current === true;
    return html`<div class="field"><label class="check"><input type="checkbox" id="${id}" name="${name}" value="yes"${checked ? html` checked` : ''}${q.required ? html` required` : ''}${aria}> ${q.label}${mark}</label>${errorText}</div>`;
  }
  if (q.kind === 'choice') {
    return html`<div class="field"><label for="${id}">${q.label}${mark}</label>
<select id="${id}" name="${name}"${q.required ? html` required` : ''}${aria}><option value="">${t('questions.pick')}</option>${q.choices.map((c) => html`<option value="${c}"${c === text ? html` selected` : ''}>${c}</option>`)}</select>${errorText}</div>`;
  }
  return html`<div class="field"><label for="${id}">${q.label}${mark}</label>
<input id="${id}" name="${name}" maxlength="${MAX_ANSWER}" value="${text}"${q.required ? html` required` : ''}${aria}>${errorText}</div>`;
}

/**
 * The questions of a checkout: per-order ones once, per-ticket ones in a group per seat
 * (`seats` gives each seat's rank in the order and its label: price and date).
 */
export function questionFields(
  request: FastifyRequest,
  questions: Question[],
  seats: { index: number; eventId: string; label: string }[],
  values: Record<string, unknown>,
  errors: FieldError[],
): Html | '' {
  const { t } = request.ctx;
  const eventIds = new Set(seats.map((p) => p.eventId));
  const perOrder = questions.filter((q) => !q.perTicket && eventIds.has(q.eventId));
  const perTicket = questions.filter((q) => q.perTicket);
  const ticketGroups = seats.filter((p) => perTicket.some((q) => q.eventId === p.eventId));
  if (perOrder.length === 0 && ticketGroups.length === 0) return '';
  return html`${perOrder.length ? html`<fieldset><legend>${t('questions.orderLegend')}</legend>${perOrder.map((q) => questionInput(request, q, null, values, errors))}</fieldset>` : ''}
${ticketGroups.map(
  (p) =>
    html`<fieldset><legend>${t('questions.ticketLegend', { n: p.index + 1, place: p.label })}</legend>${perTicket.filter((q) => q.eventId === p.eventId).map((q) => questionInput(request, q, p.index, values, errors))}</fieldset>`,
)}`;
}
