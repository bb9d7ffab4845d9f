/**
 * A domain error: something the person can fix or must be told, never a bug. `code` names a stable
 * problem type (`/problems/<code>`) and a catalogue entry `problems.<code>` for the title and
 * detail in the person's language; `params` fill the detail; `fields` name the inputs at fault with
 * a catalogue key each (`fields.<key>`).
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly params: Record<string, string | number> = {},
    readonly fields: FieldError[] = [],
  ) {
    super(code);
    this.name = 'DomainError';
  }
}

/** A problem that tells the client when to try again (`Retry-After`, set by http/problems.ts): 429, 503. */
export class RetryLater extends DomainError {
  constructor(
    code: string,
    status: number,
    readonly retryAfterSeconds: number,
    params: Record<string, string | number> = {},
  ) {
    super(code, status, params);
  }
}

export interface FieldError {
  /** The input's name (form field or JSON property). */
  field: string;
  /** Catalogue key under `fields.` describing what is wrong. */
  message: string;
  params?: Record<string, string | number>;
}

export const notFound = (what: string) => new DomainError('not-found', 404, { what });
export const forbidden = () => new DomainError('forbidden', 403);
export const unauthenticated = () => new DomainError('unauthenticated', 401);

/** Collects field errors and throws them together, so a form shows every mistake at once. */
export class FieldErrors {
  readonly list: FieldError[] = [];
  add(field: string, message: string, params?: Record<string, string | number>) {
    this.list.push({ field, message, ...(params ? { params } : {}) });
  }
  has(field: string) {
    return this.list.some((e) => e.field === field);
  }
  throwIfAny() {
    if (this.list.length > 0) throw new DomainError('validation', 422, {}, this.list);
  }
}
