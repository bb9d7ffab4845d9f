import { Type, type TSchema } from 'typebox';

/** RFC 9457 problem details, as every API error is sent. */
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

const problemRef = { description: 'Problem details (application/problem+json)', ...ProblemSchema };

/** Response schemas: the success body plus the problem shape for errors. */
export function responses(ok: Record<number, TSchema>, errors: number[] = [400, 401, 403, 404, 422]) {
  const out: Record<number | string, unknown> = { ...ok };
  for (const status of errors) out[status] = problemRef;
  return out;
}

export const Uuid = Type.String({ format: 'uuid' });
export const DateTime = Type.String({ format: 'date-time' });
