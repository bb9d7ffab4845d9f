import type { FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { html, type Html } from '../http/html.ts';
import type { TransferNote } from '../http/module.ts';
import { formatDateTime } from '../i18n/i18n.ts';
import { placeSlugsByIds } from '../places/index.ts';
import type { Transfer } from './ledger.ts';
import { formatAmount } from './transparency.ts';

/** One balance of a wallet or a card, as the pages show it. */
export interface BalanceLine {
  accountId: string;
  currencyCode: string;
  currencyName: string;
  decimals: number;
  balance: number;
  /** The balance less the holds; shown in its own column when given. */
  available?: number;
}

type Venue = { slug: string; name: string };

/**
 * The venues where each currency is accepted: its issuing venue and every venue that accepts it
 * (ledger_currency_places), by currency code, in name order. A federated euro is accepted by the
 * venues of its federation, which each have a row there.
 */
export async function venuesAccepting(db: Db, codes: readonly string[]): Promise<Map<string, Venue[]>> {
  const result = new Map<string, Venue[]>();
  if (codes.length === 0) return result;
  const asked = [...new Set(codes)];
  const { rows } = await sql<{ code: string; place_id: string }>`
    select c.code, c.issuer_place_id as place_id from ledger_currencies c
      where c.code = any(${asked}::text[]) and c.issuer_place_id is not null
    union
    select c.code, cp.place_id from ledger_currencies c join ledger_currency_places cp on cp.currency_id = c.id
      where c.code = any(${asked}::text[])`.execute(db);
  const places = new Map(
    (
      await placeSlugsByIds(
        db,
        rows.map((r) => r.place_id),
      )
    ).map((p) => [p.id, p]),
  );
  for (const r of rows) {
    const place = places.get(r.place_id);
    if (place) result.set(r.code, [...(result.get(r.code) ?? []), { slug: place.slug, name: place.name }]);
  }
  for (const venues of result.values()) venues.sort((x, y) => x.name.localeCompare(y.name));
  return result;
}

/** The balances, each currency with the venues where it is accepted (links to their pages). */
export async function balancesTable(
  request: FastifyRequest,
  db: Db,
  lines: readonly BalanceLine[],
  caption: string,
): Promise<Html> {
  const { t, lang } = request.ctx;
  const where = await venuesAccepting(
    db,
    lines.map((l) => l.currencyCode),
  );
  const withAvailable = lines.some((l) => l.available !== undefined && l.available !== l.balance);
  return html`<div class="table-scroll"><table class="list">
<caption>${caption}</caption>
<thead><tr><th scope="col">${t('ledger.currency')}</th><th scope="col" class="num">${t('ledger.balance')}</th>${withAvailable ? html`<th scope="col" class="num">${t('ledger.available')}</th>` : ''}<th scope="col">${t('ledger.acceptedAt')}</th></tr></thead>
<tbody>${lines.map((b) => {
    const venues = where.get(b.currencyCode) ?? [];
    return html`<tr><th scope="row">${b.currencyName}</th><td class="num">${formatAmount(b.balance, b.decimals, lang)} <span class="mono">${b.currencyCode}</span></td>${withAvailable ? html`<td class="num">${formatAmount(b.available ?? b.balance, b.decimals, lang)}</td>` : ''}<td>${venues.length ? venues.map((v, i) => html`${i ? ', ' : ''}<a href="/venues/${v.slug}">${v.name}</a>`) : t('ledger.acceptedNowhere')}</td></tr>`;
  })}</tbody>
</table></div>`;
}

/**
 * A history of transfers as lines a person understands: when, what (the kind of operation, the venue
 * where it happened, and what the modules can say of it: the articles of a till sale), and the amount
 * with its sign for the owner of `lines`. One view for the wallet and the card page.
 */
export async function historyTable(
  request: FastifyRequest,
  db: Db,
  o: {
    lines: readonly BalanceLine[];
    transfers: readonly Transfer[];
    notes: readonly TransferNote[];
    timeZone: string;
    caption?: string;
  },
): Promise<Html> {
  const { t, lang } = request.ctx;
  const mine = new Map(o.lines.map((l) => [l.accountId, l]));
  const venues = new Map(
    (
      await placeSlugsByIds(
        db,
        o.transfers.flatMap((tr) => (tr.placeId ? [tr.placeId] : [])),
      )
    ).map((p) => [p.id, p]),
  );
  const notes = new Map<string, string[]>();
  for (const note of o.notes)
    for (const [id, text] of await note.notes(db, o.transfers)) notes.set(id, [...(notes.get(id) ?? []), text]);
  return html`<div class="table-scroll"><table class="list history">
${o.caption ? html`<caption>${o.caption}</caption>` : ''}
<thead><tr><th scope="col">${t('ledger.when')}</th><th scope="col">${t('ledger.kind')}</th><th scope="col" class="num">${t('ledger.amount')}</th></tr></thead>
<tbody>${o.transfers.map((tr) => {
    const out = mine.get(tr.debitAccountId);
    const account = out ?? mine.get(tr.creditAccountId);
    const moves = tr.phase === 'single' || tr.phase === 'post';
    const sign = !moves ? '' : out ? '−' : '+';
    const venue = tr.placeId ? venues.get(tr.placeId) : undefined;
    const said = notes.get(tr.id) ?? [];
    return html`<tr><td>${formatDateTime(lang, tr.createdAt, o.timeZone)}</td><td>${t(`ledger.kinds.${tr.kind}`)}${tr.phase !== 'single' ? html` <small>(${t(`ledger.phases.${tr.phase}`)})</small>` : ''}${venue ? html` · <a href="/venues/${venue.slug}">${venue.name}</a>` : ''}${said.length ? html`<br><small class="items">${said.join(' · ')}</small>` : ''}</td><td class="num">${sign}${formatAmount(tr.amount, account?.decimals ?? 2, lang)} ${account?.currencyCode ?? ''}</td></tr>`;
  })}</tbody>
</table></div>`;
}
