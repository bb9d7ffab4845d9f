import type { Config } from '../config.ts';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { ensurePerson, requireEmail } from '../accounts/index.ts';
import { translate, type Language } from '../i18n/i18n.ts';
import { queueMail } from '../mail/index.ts';
import { DomainError, FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { formatEuros, MAX_AMOUNT_MINOR, parseEuros } from '../shared/money.ts';
import { getPlaceBySlug, type Place } from '../places/index.ts';
import { findMembership, type Membership } from './memberships.ts';
import { findProduct, type MembershipProduct } from './products.ts';
import { endOfValidity, isDay, today, type Day } from './validity.ts';
import { emitEvent } from '../webhooks/index.ts';

/** Ways a venue records a membership it took money for itself. */
export const MANUAL_METHODS = ['cash', 'cheque', 'card_terminal', 'free'] as const;
export type ManualMethod = (typeof MANUAL_METHODS)[number];

export interface AddMembershipInput {
  slug: string;
  email: unknown;
  productId: unknown;
  /** cash, cheque, card_terminal (the venue's own terminal) or free. */
  method: unknown;
  /** Euros as typed ("15", "15,50"); ignored for free. */
  amount?: unknown;
  /** First valid day; today in the venue's time zone when absent. */
  startsOn?: unknown;
  note?: unknown;
}

/**
 * A venue admin records a membership paid at the venue (cash, cheque, card terminal) or given.
 * The account is created for an unknown address; the member gets a mail in their language.
 */
export async function addMembership(
  db: Db,
  config: Config,
  actor: Actor,
  input: AddMembershipInput,
): Promise<Membership> {
  const errors = new FieldErrors();
  let email = '';
  try {
    email = requireEmail(input.email);
  } catch {
    errors.add('email', typeof input.email === 'string' && input.email.trim() ? 'email' : 'required');
  }
  const productId = typeof input.productId === 'string' ? input.productId : '';
  if (!isUuid(productId)) errors.add('product', 'choice');
  const method = input.method as ManualMethod;
  if (!MANUAL_METHODS.includes(method)) errors.add('method', 'choice');
  let amountCents = 0;
  if (method !== 'free') {
    const parsed =
      typeof input.amount === 'string'
        ? parseEuros(input.amount)
        : typeof input.amount === 'number' && Number.isSafeInteger(input.amount) && input.amount >= 0
          ? input.amount
          : null;
    if (parsed === null) errors.add('amount', 'amount');
    else if (parsed > MAX_AMOUNT_MINOR) errors.add('amount', 'amount-too-large', { max: MAX_AMOUNT_MINOR / 100 });
    else amountCents = parsed;
  }
  if (input.startsOn !== undefined && input.startsOn !== '' && !isDay(input.startsOn)) errors.add('starts_on', 'day');
  const note = typeof input.note === 'string' ? input.note.trim() : '';
  if (note.length > 500) errors.add('note', 'too-long', { max: 500 });
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'memberships.manage');
    const product = await findProduct(trx, place.id, productId);
    if (!product) throw new DomainError('validation', 422, {}, [{ field: 'product', message: 'choice' }]);
    const person = await ensurePerson(trx, email, place.language);
    const startsOn = isDay(input.startsOn) ? input.startsOn : today(place.timezone);
    const id = await insertMembership(trx, place, product, {
      personId: person.id,
      startsOn,
      status: 'active',
      amountCents,
      method,
      note,
      createdBy: actor.kind === 'person' ? actor.personId : null,
      paymentId: null,
    });
    await audit(trx, actor, {
      placeId: place.id,
      action: 'membership.added',
      subjectId: id,
      data: { email, product: product.name, method, amount_cents: amountCents },
    });
    const membership = (await findMembership(trx, place.id, id))!;
    await mailMembership(trx, config, place, membership, person.language);
    return membership;
  });
}

/** Writes a membership with its validity computed from the product's rule. */
export async function insertMembership(
  trx: Trx,
  place: Place,
  product: MembershipProduct,
  m: {
    personId: string;
    startsOn: Day;
    /** The last day when it differs from the product's rule (the late-year rule); else computed from it. */
    endsOn?: Day | null;
    status: 'active' | 'pending_payment' | 'pending_approval';
    amountCents: number;
    method: string;
    note: string;
    createdBy: string | null;
    paymentId: string | null;
  },
): Promise<string> {
  const id = uuidv7();
  await trx
    .insertInto('memberships')
    .values({
      place_id: place.id,
      id,
      product_id: product.id,
      person_id: m.personId,
      status: m.status,
      starts_on: m.startsOn,
      ends_on:
        m.endsOn !== undefined ? m.endsOn : endOfValidity(product.validityKind, product.validityValue, m.startsOn),
      amount_cents: m.amountCents,
      method: m.method,
      note: m.note,
      created_by: m.createdBy,
      payment_id: m.paymentId,
    })
    .execute();
  if (m.status === 'active')
    await emitEvent(trx, {
      placeId: place.id,
      type: 'membership.created',
      data: {
        membership_id: id,
        product_id: product.id,
        person_id: m.personId,
        starts_on: m.startsOn,
        amount_cents: m.amountCents,
        method: m.method,
      },
    });
  return id;
}

/** Tells the member their membership is valid, in their language. */
export async function mailMembership(
  trx: Trx,
  config: Config,
  place: Place,
  m: Membership,
  language: Language,
): Promise<void> {
  const params = {
    place: place.name,
    product: m.productName,
    from: m.startsOn,
    until: m.endsOn ?? translate(language, 'memberships.lifetime'),
    amount: formatEuros(m.amountCents, language),
  };
  await queueMail(
    trx,
    {
      to: m.email,
      language,
      subject: translate(language, 'mail.membership.subject', params),
      text: translate(language, 'mail.membership.text', params),
    },
    Boolean(config.smtpUrl),
  );
}

export function requireMembershipId(id: string): string {
  if (!isUuid(id)) throw notFound('membership');
  return id;
}
