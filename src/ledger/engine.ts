import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { takeLocks } from '../db/locks.ts';
import { DomainError } from '../shared/errors.ts';
import { MAX_SUPPLY_MINOR } from '../shared/money.ts';
import { transferOwnHash } from './chain.ts';
import {
  ACCOUNT_COLUMNS,
  TRANSFER_COLUMNS,
  insufficientFunds,
  toAccount,
  toCurrency,
  toTransfer,
  type Account,
  type Currency,
  type Transfer,
} from './ledger.ts';
import type { AuthorisedBy, DeviceSignature, TransferPhase } from './tables.ts';

/**
 * The one place that writes transfers. Every ledger use case (createTransfers, holds, mint, burn)
 * validates and authorises its input, then calls appendTransfers inside its transaction. The order
 * of the steps is the locking protocol of docs/LEDGER.md; changing it can deadlock or fork.
 */

export interface TransferSpec {
  id: string;
  phase: TransferPhase;
  kind: string;
  debitAccountId: string;
  creditAccountId: string;
  amount: number;
  /** post/void: the hold resolved. */
  pendingId?: string | null;
  /** pending: when the hold expires. */
  expiresAt?: Date | null;
  metadata?: Record<string, unknown>;
}

export interface Authorisation {
  by: AuthorisedBy;
  authoriserId: string;
  placeId: string | null;
  deviceSignature: DeviceSignature | null;
}

export interface AppendContext {
  accounts: Map<string, Account>;
  currencies: Map<string, Currency>;
  holds: Map<string, Transfer>;
  /**
   * `currencyId/placeId` pairs of ledger_currency_places, read with the account locks when the
   * request asks (`acceptance`): for the acting venue and for the venues owning an account touched.
   */
  accepted: Set<string>;
}

export interface AppendResult {
  transfers: Transfer[];
  /** True when the request had already been done: the stored transfers are returned, nothing written. */
  replayed: boolean;
}

/** The ids of a request, sorted (the lock order); 422 when one is given twice. */
export function sortedIds(ids: string[]): string[] {
  const sorted = [...new Set(ids)].sort();
  if (sorted.length !== ids.length)
    throw new DomainError('validation', 422, {}, [{ field: 'transfers', message: 'ledger.duplicate-id' }]);
  return sorted;
}

/**
 * Step 1 of the protocol, alone: takes the idempotency locks and returns the stored transfers when
 * this request was already done (same ids, same request hash), null when it is new; 409 otherwise.
 * Use cases that write something besides transfers (mint: the payment reference) call it first.
 */
export async function claimIds(trx: Trx, ids: string[], requestSha256: string): Promise<Transfer[] | null> {
  // A second request with one of these ids waits here until the first commits or rolls back, then
  // sees its transfers: the same id never runs twice, even while the first is still in flight. One
  // statement takes every lock, in the array's (sorted) order; the read below is a new statement,
  // so its snapshot is taken after the locks are held.
  await takeLocks(trx, { space: 'transferIds', keys: sortedIds(ids) });
  return readClaimed(trx, ids, requestSha256);
}

/** The second half of claimIds, for a caller that already holds the ids' locks (taken in an earlier statement). */
export async function readClaimed(trx: Trx, ids: string[], requestSha256: string): Promise<Transfer[] | null> {
  const existing = await trx
    .selectFrom('ledger_transfers')
    .select([...TRANSFER_COLUMNS, 'request_sha256'])
    .where('id', 'in', ids)
    .execute();
  if (existing.length === 0) return null;
  if (existing.length === ids.length && existing.every((t) => t.request_sha256 === requestSha256)) {
    const byId = new Map(existing.map((t) => [t.id, toTransfer(t)]));
    return ids.map((id) => byId.get(id)!);
  }
  throw new DomainError('ledger-transfer-id-conflict', 409, { id: existing[0]!.id });
}

export async function appendTransfers(
  trx: Trx,
  request: {
    specs: TransferSpec[];
    requestSha256: string;
    batchId: string | null;
    authorisation: Authorisation;
    /** Authorisation rules of the caller, run on the locked accounts before anything is written. */
    check?: (context: AppendContext) => Promise<void> | void;
    /**
     * true: the caller already ran claimIds. 'locked': the caller holds the ids' advisory locks (taken
     * in an earlier statement, e.g. with its device check) but has not read them: whether they exist
     * is read with the account locks, one round trip fewer. false/absent: claimIds is run here.
     */
    claimed?: boolean | 'locked';
    /** Read which of these currencies the acting venue (and each venue owning an account) accepts: see AppendContext.accepted. */
    acceptance?: { venue: string | null };
  },
): Promise<AppendResult> {
  const { specs } = request;
  if (specs.length === 0) throw new Error('appendTransfers: no transfer');
  if (request.claimed === undefined || request.claimed === false) {
    const done = await claimIds(
      trx,
      specs.map((s) => s.id),
      request.requestSha256,
    );
    if (done) return { transfers: done, replayed: true };
  }

  // Holds resolved by this request: read before locking accounts, to know which accounts to lock.
  const holdIds = specs.flatMap((s) => (s.pendingId ? [s.pendingId] : []));
  const holds = new Map<string, Transfer>();
  if (holdIds.length > 0) {
    const rows = await trx.selectFrom('ledger_transfers').select(TRANSFER_COLUMNS).where('id', 'in', holdIds).execute();
    for (const r of rows) holds.set(r.id, toTransfer(r));
  }

  // Step 2: lock every account touched, sorted by id, so two requests on the same accounts queue in
  // the same order instead of deadlocking (rule 1).
  const accountIds = [...new Set(specs.flatMap((s) => [s.debitAccountId, s.creditAccountId]))].sort();
  // The accounts locked and their currencies read in one statement (one round trip fewer).
  const ids = specs.map((s) => s.id);
  const locked = request.claimed === 'locked';
  const venue = request.acceptance?.venue ?? null;
  const accountRows = await trx
    .selectFrom('ledger_accounts as a')
    .innerJoin('ledger_currencies as c', 'c.id', 'a.currency_id')
    .select(ACCOUNT_COLUMNS.map((col) => `a.${col}` as const))
    .select([
      'c.code as currency_code',
      'c.name as currency_name',
      'c.kind as currency_kind',
      'c.decimals as currency_decimals',
      'c.euro_backed as currency_euro_backed',
      'c.issuer_federation_id as currency_issuer_federation_id',
      'c.issuer_place_id as currency_issuer_place_id',
      'c.status as currency_status',
    ])
    // Whether one of the ids was already written: read after their locks (an earlier statement).
    .select(
      sql<boolean>`${locked} and exists (select 1 from ledger_transfers t where t.id = any(${ids}::uuid[]))`.as(
        'id_taken',
      ),
    )
    .select(
      sql<
        string[]
      >`case when ${Boolean(request.acceptance)} then array(select cp.place_id::text from ledger_currency_places cp
      where cp.currency_id = a.currency_id and (cp.place_id = ${venue}::uuid or (a.owner_kind = 'place' and cp.place_id::text = a.owner_ref)))
      else '{}'::text[] end`.as('accepted_places'),
    )
    .where('a.id', 'in', accountIds)
    .orderBy('a.id')
    .forUpdate('a')
    .execute();
  if (locked && (accountRows.length < accountIds.length || accountRows.some((r) => r.id_taken))) {
    // A retry (or an id reused with another body: 409) — the rare path pays one more read.
    const done = await readClaimed(trx, ids, request.requestSha256);
    if (done) return { transfers: done, replayed: true };
  }
  const accounts = new Map(accountRows.map((r) => [r.id, toAccount(r)]));
  for (const id of accountIds) if (!accounts.has(id)) throw new DomainError('not-found', 404, { what: 'account' });
  const accepted = new Set(accountRows.flatMap((r) => r.accepted_places.map((place) => `${r.currency_id}/${place}`)));
  if (holdIds.length > 0) {
    // Read after the account locks: a concurrent post or void of the same hold holds the same debit
    // account, so by now it has committed and is seen here (the unique index is the backstop).
    const resolved = await trx
      .selectFrom('ledger_transfers')
      .select(['pending_id'])
      .where('pending_id', 'in', holdIds)
      .execute();
    for (const r of resolved) throw new DomainError('ledger-hold-resolved', 409, { id: r.pending_id! });
  }
  const currencies = new Map(
    accountRows.map((r) => [
      r.currency_id,
      toCurrency({
        id: r.currency_id,
        code: r.currency_code,
        name: r.currency_name,
        kind: r.currency_kind,
        decimals: r.currency_decimals,
        euro_backed: r.currency_euro_backed,
        issuer_federation_id: r.currency_issuer_federation_id,
        issuer_place_id: r.currency_issuer_place_id,
        status: r.currency_status,
      }),
    ]),
  );

  for (const s of specs) {
    const debit = accounts.get(s.debitAccountId)!;
    const credit = accounts.get(s.creditAccountId)!;
    if (debit.id === credit.id) throw new DomainError('ledger-same-account', 422);
    if (debit.currencyId !== credit.currencyId) throw new DomainError('ledger-currency-mismatch', 422);
    if (currencies.get(debit.currencyId)!.status !== 'active') throw new DomainError('ledger-currency-archived', 422);
    if (s.phase === 'post' || s.phase === 'void') {
      const hold = holds.get(s.pendingId!);
      if (!hold || hold.phase !== 'pending') throw new DomainError('not-found', 404, { what: 'hold' });
      if (hold.debitAccountId !== s.debitAccountId || hold.creditAccountId !== s.creditAccountId)
        throw new Error('hold accounts differ from its resolution');
      if (s.phase === 'post' && s.amount > hold.amount)
        throw new DomainError('ledger-post-exceeds-hold', 422, { amount: hold.amount });
      if (s.phase === 'void' && s.amount !== hold.amount) throw new Error('a void releases the whole hold');
    }
  }

  await request.check?.({ accounts, currencies, holds, accepted });

  // Apply in memory, in request order, checking each floor on the locked rows (the CHECK constraint
  // is the backstop; this gives a clear error naming the account).
  const touched = new Set<string>();
  for (const s of specs) {
    const debit = accounts.get(s.debitAccountId)!;
    const credit = accounts.get(s.creditAccountId)!;
    switch (s.phase) {
      case 'single':
        debit.balance -= s.amount;
        credit.balance += s.amount;
        break;
      case 'pending':
        debit.pendingDebits += s.amount;
        break;
      case 'post':
        debit.pendingDebits -= holds.get(s.pendingId!)!.amount;
        debit.balance -= s.amount;
        credit.balance += s.amount;
        break;
      case 'void':
        debit.pendingDebits -= s.amount;
        break;
    }
    if (debit.floor !== null && debit.balance - debit.pendingDebits < debit.floor) throw insufficientFunds(debit.id);
    // Rule 1b: a supply (−balance of the issuance account) stays within MAX_SUPPLY_MINOR, so every
    // balance and block supply stays exact as a number (the CHECK on ledger_accounts is the backstop).
    if (debit.ownerKind === 'system' && debit.ownerRef === 'issuance' && debit.balance < -MAX_SUPPLY_MINOR)
      throw new DomainError('ledger-supply-limit', 422, {
        currency: currencies.get(debit.currencyId)!.code,
        max: MAX_SUPPLY_MINOR,
      });
    touched.add(debit.id).add(credit.id);
  }
  // Step 3: insert the transfers, each with its own hash (encoding v2), and their rows in the
  // unsealed queue, in one statement. No per-currency lock: the sealer chains them into blocks later
  // (sealer.ts). The queue's seq is taken here, while the accounts are locked, in request order.
  const createdAt = new Date();
  const { authorisation: auth } = request;
  const hashes = new Map<string, string>();
  for (const s of specs) {
    const currency = currencies.get(accounts.get(s.debitAccountId)!.currencyId)!;
    hashes.set(
      s.id,
      transferOwnHash({
        currencyCode: currency.code,
        id: s.id,
        phase: s.phase,
        kind: s.kind,
        debitAccountId: s.debitAccountId,
        creditAccountId: s.creditAccountId,
        amount: s.amount,
        pendingId: s.pendingId ?? null,
        batchId: request.batchId,
        createdAt,
        authorisedBy: auth.by,
        authoriserId: auth.authoriserId,
        metadata: s.metadata ?? {},
        deviceSignature: auth.deviceSignature,
      }),
    );
  }
  const deviceSignature = auth.deviceSignature ? JSON.stringify(auth.deviceSignature) : null;
  const rows = specs.map(
    (
      s,
    ) => sql`(${s.id}::uuid, ${accounts.get(s.debitAccountId)!.currencyId}::uuid, ${hashes.get(s.id)!}, ${s.phase}, ${s.kind},
    ${s.debitAccountId}::uuid, ${s.creditAccountId}::uuid, ${s.amount}::bigint, ${s.pendingId ?? null}::uuid, ${s.expiresAt ?? null}::timestamptz,
    ${request.batchId}::uuid, ${auth.by}, ${auth.authoriserId}, ${auth.placeId}::uuid, ${deviceSignature}::jsonb, ${JSON.stringify(s.metadata ?? {})}::jsonb,
    ${request.requestSha256}, ${createdAt}::timestamptz)`,
  );
  const queue = specs.map(
    (s) => sql`(${s.id}::uuid, ${accounts.get(s.debitAccountId)!.currencyId}::uuid, ${createdAt}::timestamptz)`,
  );
  // One statement: the balances of every account touched, the transfers and their queue rows (fewer
  // round trips while the account locks are held).
  const changes = [...touched].sort().map((id) => accounts.get(id)!);
  await sql`with balances as (
      update ledger_accounts as a set balance = v.balance, pending_debits = v.pending
      from (values ${sql.join(changes.map((a) => sql`(${a.id}::uuid, ${a.balance}::bigint, ${a.pendingDebits}::bigint)`))}) as v(id, balance, pending)
      where a.id = v.id
      returning a.id),
    written as (
      insert into ledger_transfers (id, currency_id, hash, phase, kind, debit_account_id, credit_account_id, amount, pending_id, expires_at,
        batch_id, authorised_by, authoriser_id, place_id, device_signature, metadata, request_sha256, created_at)
      values ${sql.join(rows)} returning id)
    insert into ledger_unsealed (transfer_id, currency_id, created_at) values ${sql.join(queue)}`.execute(trx);
  const transfers: Transfer[] = specs.map((s) => {
    return {
      id: s.id,
      currencyId: accounts.get(s.debitAccountId)!.currencyId,
      position: null,
      hash: hashes.get(s.id)!,
      prevHash: null,
      phase: s.phase,
      kind: s.kind,
      debitAccountId: s.debitAccountId,
      creditAccountId: s.creditAccountId,
      amount: s.amount,
      pendingId: s.pendingId ?? null,
      expiresAt: s.expiresAt ?? null,
      batchId: request.batchId,
      authorisedBy: auth.by,
      authoriserId: auth.authoriserId,
      placeId: auth.placeId,
      deviceSignature: auth.deviceSignature,
      metadata: s.metadata ?? {},
      createdAt,
    };
  });
  return { transfers, replayed: false };
}
