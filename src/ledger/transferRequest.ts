import { sql } from 'kysely';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { locksSql, type LockKeys } from '../db/locks.ts';
import { personActor, SYSTEM, type Actor } from '../access/actor.ts';
import { checkPermission, roleAllows, roleOfSql } from '../access/permissions.ts';
import { lockCards, staffCardHeld, type Card } from '../cards/cards.ts';
import type { PlaceRole } from '../db/schema.ts';
import { DomainError, forbidden, unauthenticated } from '../shared/errors.ts';
import { readTillSession, tillSessionKey, type TillSession } from '../till/tillSession.ts';
import { requireTill, verifyDeviceRequest } from './deviceSignature.ts';
import { appendTransfers, sortedIds, type AppendContext, type Authorisation, type TransferSpec } from './engine.ts';
import type { Account, Transfer } from './ledger.ts';
import { checkRefundLimits, recordRefunds, type Refund, type RefundLimits } from './refundLimits.ts';
import type { DeviceSignature } from './tables.ts';
import { readWalletPass, type WalletPass } from './walletPass.ts';

/** Kinds only the node itself may write (corrections of errors, demurrage). */
const SYSTEM_KINDS = new Set(['correction', 'demurrage']);
/** The kinds money leaving a venue's own account may carry (docs/LEDGER.md, "Refunds and payouts"). */
export const REFUND_KINDS: ReadonlySet<string> = new Set(['refund', 'payout']);

/** Who sends a request, as it enters the request hash (idempotency is per requester). */
export function requesterOf(actor: Actor | null, device: DeviceSignature | undefined): string {
  if (device) return `device:${device.placeId}:${device.deviceId}`;
  if (!actor) return 'anonymous';
  return actor.kind === 'person' ? `person:${actor.personId}` : actor.kind === 'apiKey' ? `key:${actor.keyId}` : 'node';
}

export interface TransferRequestResult {
  transfers: Transfer[];
  /** True when the same request had already been done: its first result is returned. */
  replayed: boolean;
}

/** A check made before the transaction (a signature), whose verdict the transaction applies to a new request only. */
type Verdict<T> = { value: T; error: null } | { value: null; error: unknown };
const settle = <T>(p: Promise<T>): Promise<Verdict<T>> =>
  p.then(
    (value) => ({ value, error: null }),
    (error: unknown) => ({ value: null, error }),
  );

export const staffSessionRefused = () => new DomainError('ledger-staff-session', 403);

// Till sessions whose signature this process has verified, per database handle (one node key each):
// a till sends the same session with every request of a shift, and an Ed25519 verification costs
// about as much as the rest of the request's CPU. Expiry and device are checked again on every use.
const verifiedSessions = new WeakMap<object, Map<string, TillSession>>();

/**
 * A device's till session (docs/LEDGER.md, "Devices"): the signed token of POST /api/v1/till/open for
 * this device, checked with the node key before the transaction. Its person's role is read in it.
 */
export function readDeviceSession(
  db: Db,
  device: DeviceSignature,
  token: string | undefined,
): Promise<Verdict<TillSession>> {
  let cache = verifiedSessions.get(db);
  if (!cache) verifiedSessions.set(db, (cache = new Map()));
  const known = token === undefined ? undefined : cache.get(token);
  if (
    known &&
    known.placeId === device.placeId &&
    known.deviceId === device.deviceId &&
    known.expiresAt.getTime() >= Date.now()
  )
    return Promise.resolve({ value: known, error: null });
  return settle(
    tillSessionKey(db).then((key) => {
      const session = readTillSession(key, token, device);
      if (cache.size >= 10_000) cache.clear();
      cache.set(token!, session);
      return session;
    }),
  );
}

/**
 * The authorisation rules (docs/LEDGER.md, "Who may move money") and the device check (rule 8) shared
 * by createTransfers and createHold, then the engine. Not a use case of its own: both callers validate
 * their input first. Verdicts that only a new request needs (the holder's pass, the till session, the
 * rules on the locked accounts) are applied in the engine's `check`: a retry gets its first answer.
 */
export async function executeTransferRequest(
  db: Db,
  actor: Actor | null,
  request: {
    specs: TransferSpec[];
    placeId: string | undefined;
    holder: string | undefined;
    device: DeviceSignature | undefined;
    /** A device's till session token. */
    session?: string | undefined;
    requestSha256: string;
  },
): Promise<TransferRequestResult> {
  const { specs, placeId, requestSha256, device } = request;
  if (!actor && !device) throw unauthenticated();
  const idLocks: LockKeys = { space: 'transferIds', keys: sortedIds(specs.map((s) => s.id)) };
  // Signatures (the holder's wallet pass, the till session) checked before the transaction, with the
  // node key in memory: never while locks are held.
  const holder = request.holder === undefined ? null : await settle(readWalletPass(db, request.holder));
  const session = device ? await readDeviceSession(db, device, request.session) : null;
  return inTransaction(db, async (trx) => {
    let authorisation: Authorisation;
    let venue: string | null = null;
    /** The person whose role at the venue counts: the till session's, or the person acting for a venue. */
    let rolePerson: string | null = null;
    if (device) {
      // Verified before anything else: a replayed or forged request is refused and writes nothing.
      // The ids' idempotency locks are taken in the same statement (one round trip fewer).
      const verified = await verifyDeviceRequest(trx, device, Date.now(), idLocks);
      requireTill(verified);
      venue = verified.placeId;
      rolePerson = session?.value?.cashierPersonId ?? null;
      authorisation = { by: 'device', authoriserId: verified.deviceId, placeId: venue, deviceSignature: device };
    } else if (actor!.kind === 'apiKey') {
      venue = actor!.placeId;
      // A key takes payments (`till`) or gives money back (`refund`); which one this request needs is
      // known once the accounts are read (check, below).
      if (!actor!.scopes.includes('till') && !actor!.scopes.includes('refund'))
        throw new DomainError('api-key-scope', 403, { scope: 'till' });
      authorisation = { by: 'api_key', authoriserId: actor!.keyId, placeId: venue, deviceSignature: null };
    } else if (actor!.kind === 'person') {
      if (placeId) {
        venue = placeId;
        if (!actor!.isOperator) rolePerson = actor!.personId;
      }
      authorisation = { by: 'person', authoriserId: actor!.personId, placeId: venue, deviceSignature: null };
    } else {
      authorisation = { by: 'node', authoriserId: '', placeId: placeId ?? null, deviceSignature: null };
    }
    const isSystem = !device && actor!.kind === 'system';
    const touched = [...new Set(specs.flatMap((s) => [s.debitAccountId, s.creditAccountId]))];
    const prepared = await prepare(trx, {
      locks: device ? null : idLocks,
      accounts: touched,
      // A device's session counts only while its staff card is active and still the cashier's: blocking it ends the session.
      role: rolePerson && venue ? { personId: rolePerson, placeId: venue, cardId: session?.value?.cardId } : null,
      venue,
      // The holder's pass is spent here for a venue's request (rolled back with it if it is refused).
      pass: venue && holder?.value ? { pass: holder.value, requestSha256 } : null,
    });
    // A person acting for a venue needs a role there that takes payments or gives money back.
    if (actor?.kind === 'person' && venue && !actor.isOperator) {
      const role = prepared.role;
      if (!role || !(roleAllows(role, 'till') || roleAllows(role, 'refund'))) throw forbidden();
    }
    // The cards touched, locked in id order before any account: the cards module's lock order.
    const cards = await lockCards(trx, prepared.cards);
    /** Whose permissions count: a device acts for its session's person. */
    const acting: Actor = device ? personActor(session?.value?.cashierPersonId ?? '') : isSystem ? SYSTEM : actor!;
    const refunds: Refund[] = [];

    const check = async ({ accounts, currencies, accepted }: AppendContext) => {
      // A till moves money only while a staff member's session is open on it.
      if (device && (session?.error || !prepared.role || !roleAllows(prepared.role, 'till')))
        throw staffSessionRefused();
      checkCards(specs, accounts, cards, isSystem);
      if (isSystem) {
        for (const s of specs) {
          const debit = accounts.get(s.debitAccountId)!;
          if (debit.ownerKind === 'place') refunds.push(refundOf(s, debit));
        }
        return;
      }
      // The holder must be present for a venue to debit a wallet: their pass, for this venue, once,
      // for at most its amount (summed over the request's debits of their wallet).
      let fromHolder = 0;
      const pass = (): WalletPass => {
        if (!holder) throw new DomainError('ledger-holder-absent', 403);
        if (holder.error) throw holder.error;
        return holder.value!;
      };
      const accepts = (currency: { id: string; issuerPlaceId: string | null }, placeId: string) =>
        currency.issuerPlaceId === placeId || accepted.has(`${currency.id}/${placeId}`);
      for (const s of specs) {
        const debit = accounts.get(s.debitAccountId)!;
        const credit = accounts.get(s.creditAccountId)!;
        const currency = currencies.get(debit.currencyId)!;
        // Money is created and destroyed only by mint and burn, never by a transfer request.
        if (debit.ownerKind === 'system' || credit.ownerKind === 'system' || SYSTEM_KINDS.has(s.kind))
          throw forbidden();
        if (credit.ownerKind === 'place' && !accepts(currency, credit.ownerRef)) {
          throw new DomainError('ledger-currency-not-accepted', 403, { currency: currency.code });
        }
        if (debit.ownerKind === 'place') {
          // Money leaving a venue's account: a refund or payout, by someone who may (permission
          // `refund`), within the venue's limits (checked below, on the locked accounts), audited.
          if (debit.ownerRef !== venue || !REFUND_KINDS.has(s.kind)) throw forbidden();
          checkPermission(acting, venue, 'refund', prepared.role);
          refunds.push(refundOf(s, debit));
          continue;
        }
        if (venue === null) {
          // A person spends only from their own accounts.
          if (actor!.kind !== 'person' || debit.ownerKind !== 'person' || debit.ownerRef !== actor!.personId)
            throw forbidden();
          continue;
        }
        // A venue debits a wallet only in a currency it accepts, only to its own account, only with
        // the holder present.
        checkPermission(acting, venue, 'till', prepared.role);
        if (!accepts(currency, venue))
          throw new DomainError('ledger-currency-not-accepted', 403, { currency: currency.code });
        if (credit.ownerKind !== 'place' || credit.ownerRef !== venue) throw forbidden();
        if (debit.ownerKind !== 'person' || pass().personId !== debit.ownerRef)
          throw new DomainError('ledger-holder-absent', 403);
        if (pass().placeId !== venue) throw new DomainError('ledger-pass-venue', 403);
        if (!prepared.passSpent) throw new DomainError('ledger-pass-used', 409);
        fromHolder += s.amount;
      }
      if (fromHolder > 0 && fromHolder > pass().maxAmount)
        throw new DomainError('ledger-pass-amount', 403, { max: pass().maxAmount });
      if (refunds.length > 0) await checkRefundLimits(trx, venue!, refunds, prepared.limits);
    };
    const result = await appendTransfers(trx, {
      specs,
      requestSha256,
      batchId: specs.length > 1 ? specs[0]!.id : null,
      authorisation,
      check,
      // The ids are locked (above); whether they were already written is read with the accounts' locks.
      claimed: 'locked',
      // Which currencies the venue and the venues credited accept, read in the same statement.
      acceptance: { venue },
    });
    if (!result.replayed && refunds.length > 0)
      await recordRefunds(trx, acting, refunds, device ? { device: device.deviceId } : {});
    return result;
  });
}

/** Cards' accounts (docs/CARDS.md rule 7): never credited once linked or blocked, debited only by the till and the merge. */
function checkCards(
  specs: TransferSpec[],
  accounts: Map<string, Account>,
  cards: Map<string, Card>,
  isSystem: boolean,
) {
  for (const s of specs) {
    const credit = accounts.get(s.creditAccountId)!;
    const debit = accounts.get(s.debitAccountId)!;
    if (credit.ownerKind === 'card') {
      // A linked card spends from its holder's wallet: money sent to its own account would be stranded.
      const card = cards.get(credit.ownerRef);
      if (!card) throw new DomainError('not-found', 404, { what: 'card' });
      if (card.personId !== null) throw new DomainError('ledger-card-linked', 409, { number: card.number });
      if (card.status === 'blocked') throw new DomainError('card-blocked', 403, { number: card.number });
    }
    if (isSystem) continue;
    // A card's own account is debited by the till (its tap) and by its merge, not by a transfer request.
    if (debit.ownerKind === 'card') throw forbidden();
    // A hold reserves a wallet's money for a payment; a venue's or a card's account is never held.
    if (s.phase === 'pending' && debit.ownerKind !== 'person') throw forbidden();
  }
}

const refundOf = (s: TransferSpec, debit: Account): Refund => ({
  transferId: s.id,
  placeId: debit.ownerRef,
  currencyId: debit.currencyId,
  amount: s.amount,
  kind: s.kind,
  creditAccountId: s.creditAccountId,
});

/**
 * What a transfer request reads before the engine, in ONE statement: the ids' idempotency locks (a
 * device request took them with its nonce), which accounts are cards' (locked next, before any
 * account), the role at the venue of the person whose permissions count, and the venue's refund limits.
 */
async function prepare(
  trx: Trx,
  r: {
    locks: LockKeys | null;
    accounts: string[];
    /** `cardId`: a till session's staff card, which must still be active and linked to the person (docs/TILL.md). */
    role: { personId: string; placeId: string; cardId?: string | undefined } | null;
    venue: string | null;
    pass: { pass: WalletPass; requestSha256: string } | null;
  },
): Promise<{ cards: string[]; role: PlaceRole | null; limits: RefundLimits | null; passSpent: boolean }> {
  const p = r.pass?.pass;
  // The pass's row is inserted after the ids' locks are held (it reads from `locks`): a retry of the
  // same request waits on the ids first, then finds its transfers and never looks at the pass again.
  const spend = p
    ? sql`insert into ledger_wallet_passes (nonce, person_id, place_id, max_amount, expires_at, request_sha256)
        select ${p.nonce}, ${p.personId}::uuid, ${p.placeId}::uuid, ${p.maxAmount}::bigint, ${p.expiresAt}::timestamptz,
          ${r.pass!.requestSha256} from (select count(*) from locks) l
        on conflict (nonce) do nothing returning nonce`
    : sql`select null::text as nonce where false`;
  const { rows } = await sql<{
    cards: string[];
    role: PlaceRole | null;
    per_operation: number | null;
    per_day: number | null;
    pass_spent: boolean;
  }>`with locks as (${r.locks ? locksSql(trx, r.locks) : sql`select 1`}), spent as (${spend})
    select (select count(*) from locks) as locks, exists (select 1 from spent) as pass_spent,
      array(select a.owner_ref from ledger_accounts a where a.id = any(${r.accounts}::uuid[]) and a.owner_kind = 'card'
        order by a.owner_ref) as cards,
      ${
        !r.role
          ? sql`null::text`
          : r.role.cardId
            ? sql`case when ${staffCardHeld(r.role.cardId, r.role.personId)} then ${roleOfSql(r.role.personId, r.role.placeId)} end`
            : roleOfSql(r.role.personId, r.role.placeId)
      } as role,
      (select l.per_operation from ledger_refund_limits l where l.place_id = ${r.venue}::uuid) as per_operation,
      (select l.per_day from ledger_refund_limits l where l.place_id = ${r.venue}::uuid) as per_day`.execute(trx);
  const row = rows[0]!;
  return {
    cards: row.cards,
    passSpent: row.pass_spent,
    role: row.role,
    limits:
      row.per_operation === null || row.per_day === null
        ? null
        : { perOperation: Number(row.per_operation), perDay: Number(row.per_day) },
  };
}
