import type { FastifyReply, FastifyRequest } from 'fastify';
import { authorize, type Permission } from '../access/permissions.ts';
import type { Db } from '../db/database.ts';
import { getPlaceBySlug, type Place } from '../places/places.ts';
import { DomainError, type FieldError } from '../shared/errors.ts';
import { actorOf, personOrLogin } from './context.ts';

// The form round trip of the server-rendered pages, in one place: find the venue of the page and
// authorise → run the use case → 303 (or a page) on success, or the same form again with 422 and its
// field errors. The use case still authorises inside its own transaction (the rule); the early check
// here only decides which page to show (a 403 page before a form the person could not submit).

/**
 * The venue of a page under `/venues/:slug/…`, once the person signed in may `permission` there
 * (`null`: no early check, the page's reads and use cases authorise by themselves).
 * `null` when there is no session: the person was sent to log in, the handler returns `reply`.
 * An unknown slug is 404 `place`; a person without the permission gets the 403 of `authorize`.
 */
export function venueFor(db: Db, permission: Permission | null) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<Place | null> => {
    if (!personOrLogin(request, reply)) return null;
    const place = await getPlaceBySlug(db, (request.params as { slug: string }).slug);
    if (permission) await authorize(db, actorOf(request), place.id, permission);
    return place;
  };
}

/** The field errors of a validation failure, or null for any other error (which the caller rethrows). */
export function fieldErrorsOf(error: unknown): FieldError[] | null {
  return error instanceof DomainError && error.fields.length > 0 ? error.fields : null;
}

/** A copy of the urlencoded body, as the form shows it again. */
export const formBody = (request: FastifyRequest): Record<string, unknown> => ({
  ...((request.body ?? {}) as Record<string, unknown>),
});

type Sent = FastifyReply | Promise<FastifyReply>;

export interface FormSubmission<T> {
  /** The use case. Only its errors are caught: a validation failure (a DomainError with fields). */
  run: () => Promise<T>;
  /** On success: a URL to redirect to with 303 (post/redirect/get), or a page sent by the caller. */
  done: (result: T) => string | Sent;
  /** On a validation failure: the form again with these errors, sent with status 422 (the page's own status argument). */
  invalid: (errors: FieldError[]) => Sent;
}

/**
 * Runs a form's use case and answers: `done` on success, `invalid` on field errors; any
 * other error (not found, forbidden, conflict, busy) goes on to the problem pages unchanged.
 */
export async function submitForm<T>(reply: FastifyReply, form: FormSubmission<T>): Promise<FastifyReply> {
  let result: T;
  try {
    result = await form.run();
  } catch (error) {
    const errors = fieldErrorsOf(error);
    if (!errors) throw error;
    return form.invalid(errors);
  }
  const next = form.done(result);
  return typeof next === 'string' ? reply.redirect(next, 303) : next;
}
