import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/**
 * The venues a person may pay with a wallet pass: every venue accepting an active currency (listed in
 * ledger_currency_places, or its issuer), each saying whether the person has money available there.
 */
export async function venuesForPayment(db: Db, personId: string): Promise<{ placeId: string; holds: boolean }[]> {
  const { rows } = await sql<{ place_id: string; holds: boolean }>`
    select v.place_id, coalesce(bool_or(a.balance - a.pending_debits > 0), false) as holds
    from (select cp.currency_id, cp.place_id from ledger_currency_places cp
          union select c.id, c.issuer_place_id from ledger_currencies c where c.issuer_place_id is not null) v
      join ledger_currencies c on c.id = v.currency_id and c.status = 'active'
      left join ledger_accounts a on a.currency_id = v.currency_id and a.owner_kind = 'person' and a.owner_ref = ${personId}
    group by v.place_id`.execute(db);
  return rows.map((r) => ({ placeId: r.place_id, holds: r.holds }));
}
