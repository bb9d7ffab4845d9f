/**
 * A card named by its printed number or its QR code instead of its UID (docs/TILL.md, "A card by its printed
 * number or its QR code"): resolved to the card's UID before anything else, then the request is the UID request.
 */
import type { Db, Trx } from '../db/database.ts';
import { findCardByNumber, findCardByToken } from '../cards/index.ts';
import { FieldErrors } from '../shared/errors.ts';
import { cardUnknown } from './cardAccess.ts';

export interface CardRefFields {
  cardUid?: unknown;
  cardNumber?: unknown;
  cardToken?: unknown;
}

const given = (v: unknown) => v !== undefined && v !== null;

/** The QR token of a card: the token itself, or the card page's address (`…/cards/<token>`) the QR code holds. */
export function qrTokenOf(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const m = /\/cards\/([^/?#\s]+)/.exec(raw.trim());
  return m ? m[1] : raw.trim();
}

/**
 * The UID the fields name (`cardUid` untouched; `cardNumber` / `cardToken` looked up); undefined when none is given.
 * Unknown number or token → 404 `till-card-unknown`; two at once → 422 on `prefix` + the field.
 */
async function uidOf(db: Db | Trx, fields: CardRefFields, prefix: string): Promise<unknown> {
  const named = (['cardUid', 'cardNumber', 'cardToken'] as const).filter((k) => given(fields[k]));
  if (named.length > 1) {
    const errors = new FieldErrors();
    errors.add(`${prefix}${named[1]}`, 'format');
    errors.throwIfAny();
  }
  if (given(fields.cardNumber)) {
    const card = await findCardByNumber(db, fields.cardNumber);
    if (!card) throw cardUnknown();
    return card.uid;
  }
  if (given(fields.cardToken)) {
    const card = await findCardByToken(db, qrTokenOf(fields.cardToken));
    if (!card) throw cardUnknown();
    return card.uid;
  }
  return fields.cardUid;
}

/** A lookup's or a sale's body with its card fields (the sale's and each payment's) resolved to `cardUid`. */
export async function resolveCardRefs<T extends CardRefFields & { payments?: unknown }>(
  db: Db | Trx,
  body: T,
): Promise<T> {
  const { cardNumber: _n, cardToken: _t, ...rest } = body;
  const out = { ...rest, cardUid: await uidOf(db, body, '') } as T;
  if (out.cardUid === undefined) delete out.cardUid;
  if (Array.isArray(body.payments)) {
    out.payments = await Promise.all(
      body.payments.map(async (p: unknown, i: number) => {
        if (!p || typeof p !== 'object') return p;
        const { cardNumber: _pn, cardToken: _pt, ...pr } = p as CardRefFields & Record<string, unknown>;
        const uid = await uidOf(db, p as CardRefFields, `payments.${i}.`);
        return uid === undefined ? pr : { ...pr, cardUid: uid };
      }),
    );
  }
  return out;
}

/** The body names a card by number or QR token (the sale's card or a payment's). */
export function hasCardRefs(body: CardRefFields & { payments?: unknown }): boolean {
  const refs = (f: CardRefFields) => given(f.cardNumber) || given(f.cardToken);
  return (
    refs(body) || (Array.isArray(body.payments) && body.payments.some((p) => p && typeof p === 'object' && refs(p)))
  );
}

/** The body without its number / token fields (to check the other fields before the device is verified). */
export function withoutCardRefs<T extends CardRefFields & { payments?: unknown }>(body: T): T {
  const { cardNumber: _n, cardToken: _t, ...rest } = body;
  const payments = Array.isArray(body.payments)
    ? body.payments.map((p: unknown) => {
        if (!p || typeof p !== 'object') return p;
        const { cardNumber: _pn, cardToken: _pt, ...pr } = p as Record<string, unknown>;
        return pr;
      })
    : body.payments;
  return { ...rest, payments } as T;
}
