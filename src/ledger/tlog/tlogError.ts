/**
 * A malformed or refused transparency-log document (signed note, checkpoint, cosignature,
 * add-checkpoint body). `code` is stable: the witness endpoint maps it to the HTTP status the C2SP
 * specifications require and to a problem code; the text is for logs, never shown as is.
 */
export class TlogError extends Error {
  constructor(
    readonly code: TlogErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'TlogError';
  }
}

export type TlogErrorCode =
  | 'malformed-note'
  | 'malformed-key'
  | 'malformed-checkpoint'
  | 'malformed-request'
  | 'malformed-cosignature'
  | 'unverified-note'
  | 'invalid-signature'
  | 'invalid-proof';
