import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize, requirePerson } from '../access/permissions.ts';
import { FieldErrors, forbidden, notFound } from '../shared/errors.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { findCardById, lockCard, type Card } from './cards.ts';

export interface BlockResult {
  card: Card;
  /** False when the card was already in the asked state: nothing written. */
  changed: boolean;
}

const REASON_MAX = 200;

function readReason(errors: FieldErrors, raw: unknown): string {
  const reason = typeof raw === 'string' ? raw.trim() : '';
  if (reason.length > REASON_MAX) errors.add('card_reason', 'too-long', { max: REASON_MAX });
  return reason;
}

async function setBlocked(
  db: Db,
  actor: Actor,
  cardId: string,
  placeId: string | null,
  reason: string,
  allowed: (card: Card) => void,
): Promise<BlockResult> {
  return inTransaction(db, async (trx) => {
    const card = await lockCard(trx, cardId);
    allowed(card);
    if (card.status === 'blocked') return { card, changed: false };
    await trx
      .updateTable('cards')
      .set({
        status: 'blocked',
        blocked_at: new Date(),
        blocked_by: actor.kind === 'person' ? actor.personId : null,
        block_reason: reason,
      })
      .where('id', '=', card.id)
      .execute();
    await audit(trx, actor, {
      placeId,
      action: 'card.blocked',
      subjectId: card.id,
      data: { number: card.number, holder: card.personId, reason },
    });
    return { card: { ...card, status: 'blocked' }, changed: true };
  });
}

/**
 * The linked holder blocks their card at once (lost, stolen). Someone else's card, or an unknown
 * id, is a 404: the page does not tell whether a card exists.
 */
export async function blockCardByHolder(
  db: Db,
  actor: Actor | null,
  input: { cardId: string; reason?: unknown },
): Promise<BlockResult> {
  requirePerson(actor);
  const errors = new FieldErrors();
  const reason = readReason(errors, input.reason ?? 'lost');
  errors.throwIfAny();
  if (!(await findCardById(db, input.cardId))) throw notFound('card');
  return setBlocked(db, actor, input.cardId, null, reason, (card) => {
    if (card.personId !== actor.personId) throw notFound('card');
  });
}

/**
 * A cashier (the `till` permission at the venue) blocks a card for a holder standing in front of
 * them, after checking their identity: the "identity checked" box must be ticked. Audited with the
 * venue.
 */
export async function blockCardAtVenue(
  db: Db,
  actor: Actor | null,
  input: { slug: string; cardId: string; identityChecked: unknown; reason?: unknown },
): Promise<BlockResult> {
  requirePerson(actor);
  const errors = new FieldErrors();
  if (input.identityChecked !== true && input.identityChecked !== 'on' && input.identityChecked !== '1')
    errors.add('identity_checked', 'cards.identity-required');
  const reason = readReason(errors, input.reason);
  const place = await getPlaceBySlug(db, input.slug);
  await authorize(db, actor, place.id, 'till');
  errors.throwIfAny();
  if (!(await findCardById(db, input.cardId))) throw notFound('card');
  return inTransaction(db, async (trx) => {
    // Checked again inside the transaction: a role removed a moment ago no longer counts.
    await authorize(trx, actor, place.id, 'till');
    return setBlocked(trx, actor, input.cardId, place.id, reason || 'lost', () => {});
  });
}

/** Only a node operator unblocks a card (a found card, a mistake). */
export async function unblockCard(db: Db, actor: Actor | null, input: { cardId: string }): Promise<BlockResult> {
  if (!actor || (actor.kind === 'person' && !actor.isOperator) || actor.kind === 'apiKey') throw forbidden();
  if (!(await findCardById(db, input.cardId))) throw notFound('card');
  return inTransaction(db, async (trx) => {
    const card = await lockCard(trx, input.cardId);
    if (card.status === 'active') return { card, changed: false };
    await trx
      .updateTable('cards')
      .set({ status: 'active', blocked_at: null, blocked_by: null, block_reason: '' })
      .where('id', '=', card.id)
      .execute();
    await audit(trx, actor, { action: 'card.unblocked', subjectId: card.id, data: { number: card.number } });
    return { card: { ...card, status: 'active' }, changed: true };
  });
}
