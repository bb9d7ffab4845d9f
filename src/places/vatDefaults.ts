import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/** The VAT rates, in basis points, a venue's new prices get by default (docs/TICKETING.md, "VAT"). */
export interface VatDefaults {
  /** Show tickets (billetterie spectacle): 210 in La Réunion, 550 in metropolitan France. */
  showBp: number;
  /** Everything else: 850 in La Réunion, 2000 in metropolitan France. */
  standardBp: number;
}

/**
 * The default VAT rates of a venue, from where it is: the row of `vat_defaults` (migration 0029) for
 * its country whose postal-code prefix is the longest that starts its postal code ('' matches any).
 * A venue whose country has no row gets none (`null`): its prices start at 0 % and the admin types the
 * rate. No zone or rate is written in code: a territory is a row of the table.
 */
export async function vatDefaultsOf(db: Db, placeId: string): Promise<VatDefaults | null> {
  const { rows } = await sql<{ show_bp: number; standard_bp: number }>`
    select v.show_bp, v.standard_bp from places p
      join vat_defaults v on v.country = upper(p.country)
       and starts_with(upper(replace(p.postal_code, ' ', '')), v.postal_prefix)
     where p.id = ${placeId}
     order by length(v.postal_prefix) desc limit 1`.execute(db);
  const r = rows[0];
  return r ? { showBp: r.show_bp, standardBp: r.standard_bp } : null;
}
