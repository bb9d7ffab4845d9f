import { Type } from 'typebox';

/** Shapes of the ledger logs' and the witness's routes (docs/API.md, "Ledger logs and witnessing"). */

export const CodeParams = Type.Object({ code: Type.String({ pattern: '^[A-Z0-9]{2,12}$' }) });

export const LeavesQuery = Type.Object(
  {
    from: Type.String({ pattern: '^[0-9]{1,12}$', description: 'first leaf (0-based, inclusive)' }),
    to: Type.String({ pattern: '^[0-9]{1,12}$', description: 'last leaf (exclusive); at most 1,000 leaves' }),
  },
  { additionalProperties: false },
);

export const ConsistencyQuery = Type.Object(
  {
    old: Type.String({ pattern: '^[0-9]{1,12}$' }),
    size: Type.String({ pattern: '^[0-9]{1,12}$' }),
  },
  { additionalProperties: false },
);

export const EvidenceBody = Type.Object({ evidence: Type.Unknown() }, { additionalProperties: false });
