import type { Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { TRANSFER_COLUMNS, toTransfer, type Transfer } from './ledger.ts';

export const MAX_PAGE = 100;

export interface HistoryPage {
  transfers: Transfer[];
  /** Give it back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** Cursor = "<created_at ISO>_<id>" of the last transfer shown, base64url: opaque to clients. */
function decodeCursor(cursor: string | undefined): { at: Date; id: string } | null {
  if (!cursor) return null;
  const [at = '', id = ''] = Buffer.from(cursor, 'base64url').toString('utf8').split('_');
  const date = new Date(at);
  if (!isUuid(id) || Number.isNaN(date.getTime()))
    throw new DomainError('validation', 422, {}, [{ field: 'cursor', message: 'format' }]);
  return { at: date, id };
}

/** Newest first, keyset-paginated over (created_at, id), for the accounts given (all of one owner). */
export async function pageOfTransfers(
  db: Db,
  accountIds: string[],
  options: { cursor?: string; limit?: number },
): Promise<HistoryPage> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), MAX_PAGE);
  if (accountIds.length === 0) return { transfers: [], nextCursor: null };
  const after = decodeCursor(options.cursor);
  let q = db
    .selectFrom('ledger_transfers')
    .select(TRANSFER_COLUMNS)
    .where((eb) => eb.or([eb('debit_account_id', 'in', accountIds), eb('credit_account_id', 'in', accountIds)]))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (after)
    q = q.where((eb) =>
      eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]),
    );
  const rows = (await q.execute()).map(toTransfer);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    transfers: page,
    nextCursor:
      rows.length > limit && last
        ? Buffer.from(`${last.createdAt.toISOString()}_${last.id}`).toString('base64url')
        : null,
  };
}
