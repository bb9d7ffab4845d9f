import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { canonicalJson, sha256Hex } from './chain.ts';
import { appendTransfers, claimIds, type Authorisation } from './engine.ts';
import { ensureAccount } from './ensureAccount.ts';
import type { Transfer } from './ledger.ts';

/** A wallet account the cash-out may burn from (the caller reads them, in the order to take them). */
export interface CashOutSource {
  accountId: string;
  currencyId: string;
  code: string;
  kind: string;
  euroBacked: boolean;
  available: number;
}

export interface CashOutInput {
  /** Id of the burn from the i-th source used: derived by the caller from its sale (deterministic). */
  idOf: (index: number) => string;
  /** The wallet's accounts in the venue's acceptance, in the order to take them. */
  sources: CashOutSource[];
  amount: number;
  /** The payout's reference (provider cash): the sale and line. One payout per burn, suffixed by its index. */
  reference: string;
  /** The venue paying the euros out of its drawer: it may pay out only what payableAtCounter allows. */
  placeId: string;
  authorisation: Authorisation;
}

/**
 * Which of these currencies a venue may pay out in cash at its counter (docs/LEDGER.md, rule 5): active
 * euro-backed currencies it could mint there — the federated euro of a federation it belongs to, and
 * the local euro it issues. Never another venue's local euro, even one it accepts in payment: the euros
 * behind it are held by its issuer.
 */
export async function payableAtCounter(trx: Trx, placeId: string, currencyIds: string[]): Promise<Set<string>> {
  if (currencyIds.length === 0) return new Set();
  const { rows } = await sql<{ id: string }>`
    select c.id from ledger_currencies c
    where c.id = any(${[...new Set(currencyIds)]}::uuid[]) and c.euro_backed and c.status = 'active'
      and ((c.kind = 'local_euro' and c.issuer_place_id = ${placeId}::uuid)
        or (c.kind = 'federated_euro' and exists (select 1 from ledger_federation_places fp
              where fp.federation_id = c.issuer_federation_id and fp.place_id = ${placeId}::uuid)))`.execute(trx);
  return new Set(rows.map((r) => r.id));
}

/**
 * Which accounts a cash-out burns from and how much: euro-backed currencies only (local or federated
 * euro), in the order given, at most what they hold; else 422 `till-cash-out-exceeds` with `available`.
 */
export function planCashOut(sources: CashOutSource[], amount: number): { source: CashOutSource; amount: number }[] {
  const refundable = sources.filter(
    (s) => s.euroBacked && (s.kind === 'local_euro' || s.kind === 'federated_euro') && s.available > 0,
  );
  const available = refundable.reduce((n, s) => n + s.available, 0);
  if (available < amount) throw new DomainError('till-cash-out-exceeds', 422, { available });
  let left = amount;
  const plan: { source: CashOutSource; amount: number }[] = [];
  for (const source of refundable) {
    if (left === 0) break;
    const part = Math.min(left, source.available);
    left -= part;
    plan.push({ source, amount: part });
  }
  return plan;
}

/**
 * Pays euros out at the counter (a till's cash-out), inside the caller's transaction: burns tokens of
 * euro-backed currencies only (local or federated euro; never gift, time or loyalty credit) that the
 * venue may pay out (payableAtCounter; another source → 403 `till-currency-not-accepted`), at most
 * what the wallet holds (else 422 `till-cash-out-exceeds` with `available`), and records one payout per
 * burn with the paying venue (provider cash, no payment reference: the tokens may come from many
 * top-ups), so `−balance(issuance) = payments − payouts` still holds for `rezo ledger verify`.
 */
export async function cashOutAtCounter(trx: Trx, input: CashOutInput): Promise<Transfer[]> {
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0)
    throw new DomainError('validation', 422, {}, [{ field: 'amountCents', message: 'range' }]);
  // Checked here, whoever the caller: every source must be a currency this venue may pay out.
  const payable = await payableAtCounter(
    trx,
    input.placeId,
    input.sources.map((s) => s.currencyId),
  );
  const foreign = input.sources.find((s) => !payable.has(s.currencyId));
  if (foreign) throw new DomainError('till-currency-not-accepted', 403, { currency: foreign.code });
  const plan = planCashOut(input.sources, input.amount);
  const parts: { source: CashOutSource; amount: number; id: string; issuance: string }[] = [];
  for (const p of plan) {
    const issuance = await ensureAccount(trx, {
      currencyId: p.source.currencyId,
      ownerKind: 'system',
      ownerRef: 'issuance',
    });
    parts.push({ source: p.source, amount: p.amount, id: input.idOf(parts.length), issuance: issuance.id });
  }
  const requestSha256 = sha256Hex(
    canonicalJson({
      op: 'counter-cash-out',
      reference: input.reference,
      parts: parts.map((p) => [p.source.accountId, p.amount]),
    }),
  );
  const done = await claimIds(
    trx,
    parts.map((p) => p.id),
    requestSha256,
  );
  if (done) return done;
  const { transfers } = await appendTransfers(trx, {
    specs: parts.map((p) => ({
      id: p.id,
      phase: 'single' as const,
      kind: 'cash_out',
      debitAccountId: p.source.accountId,
      creditAccountId: p.issuance,
      amount: p.amount,
      metadata: { payout: `cash:${input.reference}` },
    })),
    requestSha256,
    batchId: parts.length > 1 ? parts[0]!.id : null,
    authorisation: input.authorisation,
    claimed: true,
    check: ({ accounts }) => {
      for (const p of parts) {
        const a = accounts.get(p.source.accountId)!;
        if (a.ownerKind !== 'person' && a.ownerKind !== 'card') throw new DomainError('forbidden', 403);
      }
    },
  });
  await trx
    .insertInto('ledger_payouts')
    .values(
      parts.map((p, i) => ({
        provider: 'cash' as const,
        reference: parts.length > 1 ? `${input.reference}:${i}` : input.reference,
        // Nullable since migration 0012 (counter cash-outs name no payment); ledger/tables.ts still types them as required.
        payment_provider: null as unknown as 'cash',
        payment_reference: null as unknown as string,
        amount_cents: p.amount,
        transfer_id: p.id,
        place_id: input.placeId,
      })),
    )
    .execute();
  return transfers;
}
