import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { requirePerson } from '../access/permissions.ts';
import { DomainError } from '../shared/errors.ts';
import {
  canonicalJson,
  sha256Hex,
  appendTransfers,
  type TransferSpec,
  accountsOfOwner,
  ensureAccount,
} from '../ledger/index.ts';
import { derivedUuid, lockCard, type Card } from './cards.ts';

export interface LinkResult {
  card: Card;
  /** False when the card was already linked to this person: nothing was done. */
  linked: boolean;
  /** What moved from the card's accounts into the person's wallet, per currency. */
  merged: { currencyId: string; amount: number; transferId: string }[];
}

/**
 * The id of a merge of a card's account into the wallet: derived from the card, the currency and the
 * total ever credited to the card's account — the same on every attempt of one merge (a retry cannot
 * merge twice), a new one once more money has arrived (so it can be merged too).
 */
export const mergeTransferId = (cardId: string, currencyId: string, credited: number) =>
  derivedUuid('rezo-card-merge', cardId, currencyId, String(credited));

/**
 * Links a card to the person asking and moves the card's money into their wallet, in one
 * transaction (docs/CARDS.md, "Link and merge"):
 * 1. lock the card row (lockCard: the same first lock as a till payment);
 * 2. already linked to this person → only step 4 (a sweep of what reached the card's own accounts
 *    anyway; normally nothing); to someone else → 409 `card-already-linked`; blocked → 403 `card-blocked`;
 * 3. set person_id and linked_at;
 * 4. for every card account with money available, a `merge` transfer of all of it to the person's
 *    account of the same currency, all of them one linked batch through appendTransfers, authorised
 *    by the person, with ids derived from the card, the currency and what the account ever received.
 * The caller has checked that the person holds the card (its QR token, or a claim ticket made from it).
 */
export async function linkCard(db: Db, actor: Actor | null, input: { cardId: string }): Promise<LinkResult> {
  requirePerson(actor);
  const personId = actor.personId;
  return inTransaction(db, async (trx) => {
    const card = await lockCard(trx, input.cardId);
    const sweep = card.personId === personId;
    if (card.personId !== null && !sweep) throw new DomainError('card-already-linked', 409, { number: card.number });
    if (card.status === 'blocked' && !sweep) throw new DomainError('card-blocked', 403, { number: card.number });

    if (!sweep)
      await trx
        .updateTable('cards')
        .set({ person_id: personId, linked_at: new Date() })
        .where('id', '=', card.id)
        .execute();

    // Read under the card lock: whatever spends from or credits a card's accounts takes that lock
    // first, so these amounts cannot change before appendTransfers locks the accounts (checked there).
    const accounts = await accountsOfOwner(trx, { ownerKind: 'card', ownerRef: card.id });
    const specs: TransferSpec[] = [];
    for (const a of accounts) {
      const amount = a.available;
      if (amount <= 0) continue;
      const wallet = await ensureAccount(trx, { currencyId: a.currencyId, ownerKind: 'person', ownerRef: personId });
      specs.push({
        id: mergeTransferId(card.id, a.currencyId, a.credited),
        phase: 'single',
        kind: 'merge',
        debitAccountId: a.id,
        creditAccountId: wallet.id,
        amount,
        metadata: { card: card.number },
      });
    }
    const merged: LinkResult['merged'] = [];
    if (specs.length > 0) {
      const requestSha256 = sha256Hex(
        canonicalJson({ op: 'card-merge', card: card.id, person: personId, transfers: specs }),
      );
      const { transfers } = await appendTransfers(trx, {
        specs,
        requestSha256,
        batchId: specs.length > 1 ? specs[0]!.id : null,
        authorisation: { by: 'person', authoriserId: personId, placeId: null, deviceSignature: null },
        check: ({ accounts: locked }) => {
          for (const s of specs) {
            const debit = locked.get(s.debitAccountId)!;
            // Everything available moves: a difference means someone touched the card's money
            // without the card lock. Refuse (the caller may retry) rather than leave money behind.
            if (
              debit.ownerKind !== 'card' ||
              debit.ownerRef !== card.id ||
              debit.balance - debit.pendingDebits !== s.amount
            ) {
              throw new Error(`card ${card.id}: account ${debit.id} changed without the card lock`);
            }
          }
        },
      });
      for (const t of transfers) merged.push({ currencyId: t.currencyId, amount: t.amount, transferId: t.id });
    }
    if (sweep && merged.length === 0) return { card, linked: false, merged };
    await audit(trx, actor, {
      action: sweep ? 'card.swept' : 'card.linked',
      subjectId: card.id,
      data: { number: card.number, merged: merged.map((m) => ({ currencyId: m.currencyId, amount: m.amount })) },
    });
    return { card: { ...card, personId }, linked: !sweep, merged };
  });
}
