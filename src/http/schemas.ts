import { Type, type TSchema } from 'typebox';

/** RFC 9457 problem details, as every API error is sent (a shared schema: `Problem` in the OpenAPI document). */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'Stable URI of the problem type; its last segment is the problem code.' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), code: Type.String(), message: Type.String() }), {
        description: 'For validation problems: the inputs at fault.',
      }),
    ),
  },
  { $id: 'Problem', title: 'Problem' },
);

/** The content type of every error answer of the API. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * An error answer as a route schema states it: the problem schema under its real content type, so
 * that the OpenAPI document says application/problem+json and the serializer picks it for problems.
 */
export function problemResponse(schema: unknown = { $ref: 'Problem#' }, description = 'Problem details (RFC 9457)') {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema } } };
}

/**
 * Response schemas: the success bodies plus the problems the route's own rules answer. The statuses
 * any route of its kind can answer (400, 401, 500, 503, …) are added to every API route in one place
 * (http/apiResponses.ts): list here only the route's own.
 */
export function responses(ok: Record<number, TSchema>, errors: number[] = [400, 401, 403, 404, 422]) {
  const out: Record<number | string, unknown> = { ...ok };
  for (const status of errors) out[status] = problemResponse();
  return out;
}

export const Uuid = Type.String({ format: 'uuid' });
export const DateTime = Type.String({ format: 'date-time' });
