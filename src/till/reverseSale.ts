import { inTransaction, type Db } from '../db/database.ts';
import {
  canonicalJson,
  sha256Hex,
  verifyDeviceRequest,
  appendTransfers,
  type Authorisation,
  type TransferSpec,
  lockAccounts,
  ownersOfAccounts,
  ensureAccount,
  getCurrencyById,
  paymentProviderOfMint,
  transfersById,
  type Transfer,
  mintAtCounter,
  unmintAtCounter,
  type DeviceSignature,
} from '../ledger/index.ts';
import { DomainError, FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { businessDayOf, venueClock } from './businessDay.ts';
import { lockCard, walletOwnerOf, type Card } from '../cards/index.ts';
import { derivedId } from './derivedId.ts';
import { appendJournal, type JournalLineInput } from './journal.ts';
import { assertDayOpen } from './closeDay.ts';
import { claimSale, requireSession, saleLock } from './recordSale.ts';
import { presentBalances, type SaleBody, type SaleOutcome } from './sales.ts';
import { tillSessionKey } from './tillSession.ts';
import { sortWallet, walletBalances } from './wallet.ts';

export interface ReverseSaleInput {
  /** The reversal's own id (made by the till): its idempotency key. */
  id: unknown;
  /** The sale reversed. */
  saleId: unknown;
  session: unknown;
}

/** At most this many burns in one cash-out (one per euro-backed currency of a wallet). */
const MAX_BURNS = 8;

/**
 * "Cancel the last sale" (docs/TILL.md, invariant 5): a new sale naming the one it reverses
 * (`reverses_sale_id`, unique: once), whose journal lines are the original's negated and whose ledger
 * transfers move the tokens back — card payments refunded from the venue to the same wallet accounts,
 * a top-up burnt back only if its tokens are all still there (else `till-reversal-spent`), a cash-out
 * minted back against the cash returned. Only a sale of the same venue and of the current business day;
 * a membership sold is not undone here (cancel it from the members' page).
 */
export async function reverseSale(
  db: Db,
  device: DeviceSignature,
  raw: ReverseSaleInput,
  now = new Date(),
): Promise<SaleOutcome> {
  const errors = new FieldErrors();
  const id = typeof raw.id === 'string' && isUuid(raw.id) ? raw.id.toLowerCase() : (errors.add('id', 'format'), '');
  const saleId =
    typeof raw.saleId === 'string' && isUuid(raw.saleId)
      ? raw.saleId.toLowerCase()
      : (errors.add('saleId', 'format'), '');
  if (id && id === saleId) errors.add('id', 'till.reversal-id');
  errors.throwIfAny();
  const requestSha256 = sha256Hex(
    canonicalJson({ op: 'till-reverse', device: `${device.placeId}:${device.deviceId}`, id, saleId }),
  );
  const key = await tillSessionKey(db);
  return inTransaction(db, async (trx) => {
    const { placeId, deviceId } = await verifyDeviceRequest(trx, device, Date.now(), saleLock(id));
    const done = await claimSale(trx, id, placeId, requestSha256);
    if (done) return { body: done, replayed: true };
    const session = await requireSession(key, trx, raw.session, { placeId, deviceId });
    const authorisation: Authorisation = { by: 'device', authoriserId: deviceId, placeId, deviceSignature: device };

    // The original, locked: two reversals of one sale queue here, the second finds the first.
    const original = await trx
      .selectFrom('till_sales')
      .selectAll()
      .where('id', '=', saleId)
      .forUpdate()
      .executeTakeFirst();
    if (!original || original.place_id !== placeId) throw notFound('sale');
    if (original.reverses_sale_id) throw new DomainError('till-reversal-of-reversal', 422);
    const already = await trx
      .selectFrom('till_sales')
      .select('id')
      .where('reverses_sale_id', '=', saleId)
      .executeTakeFirst();
    if (already) throw new DomainError('till-sale-reversed', 409, { id: already.id });
    const clock = await venueClock(trx, placeId);
    const businessDay = businessDayOf(now, clock.timezone, clock.dayStartsAt);
    if (original.business_day !== businessDay)
      throw new DomainError('till-reversal-day', 422, { day: original.business_day });
    const lines = await trx
      .selectFrom('till_journal')
      .selectAll()
      .where('place_id', '=', placeId)
      .where('sale_id', '=', saleId)
      .orderBy('position')
      .execute();
    if (lines.some((l) => l.article_kind === 'membership')) throw new DomainError('till-reversal-membership', 422);
    const transferIds = lines.flatMap((l) => (l.transfer_id ? [l.transfer_id] : []));
    const cashOut = lines.find((l) => l.article_kind === 'cash_out');
    const burnIds = cashOut ? Array.from({ length: MAX_BURNS }, (_, i) => derivedId(saleId, `cash-out:${i}`)) : [];
    const transfers: Map<string, Transfer> = await transfersById(trx, [...transferIds, ...burnIds]);
    // Every card of the sale locked in id order before any account (the cards module's lock order): the
    // sale's card and each card that paid (named in its payment transfers' metadata since sales may be
    // paid by several cards). Each card gets back exactly what its transfers took.
    const cardIds = new Set(original.card_id ? [original.card_id] : []);
    for (const t of transfers.values())
      if (t.kind === 'payment' && typeof t.metadata?.card === 'string') cardIds.add(t.metadata.card);
    const locked = new Map<string, Card>();
    for (const cardId of [...cardIds].sort()) locked.set(cardId, await lockCard(trx, cardId));
    const card = original.card_id ? locked.get(original.card_id)! : null;
    // A card that paid or was topped up while anonymous and has been linked since keeps its own accounts
    // at zero (docs/CARDS.md rule 7): what goes back goes to (or comes from) its holder's wallet instead.
    const owners = await ownersOfAccounts(
      trx,
      [...transfers.values()].flatMap((t) => [t.debitAccountId, t.creditAccountId]),
    );
    const currentAccount = async (accountId: string): Promise<string> => {
      const owner = owners.get(accountId);
      const holder = owner?.ownerKind === 'card' ? locked.get(owner.ownerRef)?.personId : null;
      if (!owner || !holder) return accountId;
      return (await ensureAccount(trx, { currencyId: owner.currencyId, ownerKind: 'person', ownerRef: holder })).id;
    };
    const newIds = new Map<string, string>();
    const owner = card ? walletOwnerOf(card) : null;
    const wallet = new Map((owner ? await walletBalances(trx, owner, placeId) : []).map((b) => [b.accountId, b]));
    const move = (accountId: string, delta: number) => {
      const b = wallet.get(accountId);
      if (b) b.balance += delta;
    };
    // Ledger writes run last, after the journal, in the same lock order as a sale (docs/TILL.md).
    const ledgerWrites: (() => Promise<unknown>)[] = [];
    const walletMoves: SaleBody['wallet'] = [];

    // Card payments back: from the venue's accounts to the same wallet accounts, same amounts.
    const payments = lines.filter((l) => l.kind === 'payment' && l.payment_method === 'card' && l.transfer_id);
    if (payments.length > 0) {
      const specs: TransferSpec[] = [];
      for (const [i, l] of payments.entries()) {
        const t = transfers.get(l.transfer_id!)!;
        const refundId = derivedId(id, `refund:${i}`);
        const to = await currentAccount(t.debitAccountId);
        newIds.set(t.id, refundId);
        move(to, t.amount);
        specs.push({
          id: refundId,
          phase: 'single',
          kind: 'refund',
          debitAccountId: t.creditAccountId,
          creditAccountId: to,
          amount: t.amount,
          metadata: { sale: id, reverses: t.id },
        });
      }
      // Locked now, sorted by id, before the journal's head: the same lock order as a sale (no deadlock).
      await lockAccounts(
        trx,
        specs.flatMap((x) => [x.debitAccountId, x.creditAccountId]),
      );
      ledgerWrites.push(() =>
        appendTransfers(trx, {
          specs,
          requestSha256: sha256Hex(`till-reverse-refund|${requestSha256}`),
          batchId: specs.length > 1 ? specs[0]!.id : null,
          authorisation,
          claimed: true,
        }),
      );
    }
    for (const l of lines) {
      if (l.kind !== 'item' || !l.transfer_id) continue;
      if (l.article_kind === 'top_up' || l.article_kind === 'gift_top_up') {
        const mint = transfers.get(l.transfer_id)!;
        const currency = await getCurrencyById(trx, mint.currencyId);
        const ref = currency.euroBacked ? { provider: await paymentProviderOfMint(trx, mint.id) } : null;
        const burnId = derivedId(id, 'unmint');
        // Burnt from where the tokens are now: the holder's wallet if the card was linked (and merged) since.
        const from = await currentAccount(mint.creditAccountId);
        newIds.set(mint.id, burnId);
        move(from, -mint.amount);
        walletMoves.push({ currency: currency.code, amount: -mint.amount, transferId: burnId });
        ledgerWrites.push(() =>
          unmintAtCounter(trx, {
            id: burnId,
            mint: { ...mint, creditAccountId: from },
            currency,
            authorisation,
            payout: ref ? { provider: ref.provider as 'cash' | 'card_terminal', reference: `till:${id}` } : null,
          }),
        );
      } else if (l.article_kind === 'cash_out') {
        const burns = burnIds.map((b) => transfers.get(b)).filter((t): t is Transfer => Boolean(t));
        for (const [i, burn] of burns.entries()) {
          const currency = await getCurrencyById(trx, burn.currencyId);
          const mintId = derivedId(id, `remint:${i}`);
          const to = await currentAccount(burn.debitAccountId);
          newIds.set(burn.id, mintId);
          move(to, burn.amount);
          walletMoves.push({ currency: currency.code, amount: burn.amount, transferId: mintId });
          ledgerWrites.push(() =>
            mintAtCounter(trx, {
              id: mintId,
              currency,
              accountId: to,
              amount: burn.amount,
              placeId,
              deviceId,
              cashierPersonId: session.cashierPersonId,
              authorisation,
              metadata: { sale: id, reverses: burn.id },
              payment: { provider: 'cash', reference: `till:${id}:${i}` },
            }),
          );
        }
      }
    }

    const first = original.result as unknown as SaleBody;
    const total = -Number(original.total_cents);
    const body: SaleBody = {
      sale: { id, totalCents: total, businessDay, reversesSaleId: saleId, createdAt: now.toISOString() },
      items: first.items.map((i) => ({ ...i, quantity: -i.quantity, amountCents: -i.amountCents })),
      payments: first.payments.map((p) => ({
        ...p,
        amountCents: -p.amountCents,
        transferId: p.transferId ? (newIds.get(p.transferId) ?? null) : null,
      })),
      card: card ? { number: card.number, linked: card.personId !== null } : null,
      balances: presentBalances(sortWallet([...wallet.values()])),
      changeCents: 0,
      membership: null,
      wallet: walletMoves,
    };
    // The ledger first, the venue's journal lock last (as in recordSale).
    for (const write of ledgerWrites) await write();
    const head = await assertDayOpen(trx, placeId, original.point_id, businessDay);
    const sale = {
      id,
      place_id: placeId,
      point_id: original.point_id,
      device_id: deviceId,
      cashier_person_id: session.cashierPersonId,
      request_sha256: requestSha256,
      card_id: original.card_id,
      person_id: original.person_id,
      total_cents: total,
      reverses_sale_id: saleId,
      business_day: businessDay,
      result: JSON.stringify(body),
      created_at: now,
    };
    const journal: JournalLineInput[] = lines.map((l) => ({
      saleId: id,
      kind: l.kind,
      pointId: l.point_id,
      deviceId,
      cashierPersonId: session.cashierPersonId,
      articleId: l.article_id,
      articleName: l.article_name,
      articleKind: l.article_kind,
      categoryName: l.category_name,
      quantity: l.quantity === null ? null : -l.quantity,
      unitPriceCents: l.unit_price_cents,
      vatRate: l.vat_rate,
      amountCents: -l.amount_cents,
      paymentMethod: l.payment_method,
      currencyCode: l.currency_code,
      transferId: l.transfer_id ? (newIds.get(l.transfer_id) ?? null) : null,
      businessDay,
    }));
    await appendJournal(trx, placeId, journal, now, { head, sale });
    return { body, replayed: false };
  });
}
