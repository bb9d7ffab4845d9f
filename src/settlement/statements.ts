import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { currencyCodesById, federationNames, federationsOfPlace } from '../ledger/index.ts';
import { placesByIds } from '../places/index.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import type { PayoutDirection, PayoutMethod, PayoutStatus, RunStatus, StatementLine } from './tables.ts';
import { authorizeTreasurer, isTreasurer } from './treasurers.ts';

/**
 * Reads of runs, statements and payouts (docs/SETTLEMENT.md). A statement's state is derived, never
 * stored: paid or received once its payout is; carried once a later statement of the venue exists;
 * otherwise by the sign of its closing.
 */

export type StatementState = 'to_pay' | 'to_receive' | 'settled' | 'paid' | 'received' | 'carried';

export interface Payout {
  id: string;
  statementId: string;
  direction: PayoutDirection;
  method: PayoutMethod;
  amountCents: number;
  status: PayoutStatus;
  reference: string | null;
  paidOn: string | null;
  transferId: string | null;
  attempts: number;
  lastError: string | null;
  recordedBy: string | null;
  updatedAt: Date;
}

export interface Statement {
  id: string;
  runId: string;
  federationId: string;
  federationSlug: string;
  federationName: string;
  placeId: string;
  placeSlug: string;
  placeName: string;
  currencyId: string;
  currencyCode: string;
  number: number;
  /** `<federation slug>-<number on 6 digits>`: the statement's reference (pièce). */
  reference: string;
  periodStart: Date | null;
  periodEnd: Date;
  coversTo: Date;
  openingCents: number;
  tokensCents: number;
  cashCents: number;
  feeBps: number;
  feeCents: number;
  closingCents: number;
  lines: StatementLine[];
  linesSha256: string;
  signature: string;
  messageVersion: number;
  createdAt: Date;
  state: StatementState;
  payout: Payout | null;
}

export interface Run {
  id: string;
  federationId: string;
  currencyId: string;
  periodStart: Date | null;
  periodEnd: Date;
  status: RunStatus;
  startedAt: Date;
  completedAt: Date | null;
}

export const statementReference = (federationSlug: string, number: number) =>
  `${federationSlug}-${String(number).padStart(6, '0')}`;

type RunRow = {
  id: string;
  federation_id: string;
  currency_id: string;
  period_start: Date | null;
  period_end: Date;
  status: RunStatus;
  started_at: Date;
  completed_at: Date | null;
};
export const RUN_COLUMNS = [
  'id',
  'federation_id',
  'currency_id',
  'period_start',
  'period_end',
  'status',
  'started_at',
  'completed_at',
] as const;
export const toRun = (r: RunRow): Run => ({
  id: r.id,
  federationId: r.federation_id,
  currencyId: r.currency_id,
  periodStart: r.period_start,
  periodEnd: r.period_end,
  status: r.status,
  startedAt: r.started_at,
  completedAt: r.completed_at,
});

export async function findRun(db: Db, runId: string): Promise<Run | null> {
  if (!isUuid(runId)) return null;
  const row = await db.selectFrom('settlement_runs').select(RUN_COLUMNS).where('id', '=', runId).executeTakeFirst();
  return row ? toRun(row) : null;
}

/** The runs of a federation, newest first. */
export async function listRuns(db: Db, federationId: string, limit = 50): Promise<Run[]> {
  return (
    await db
      .selectFrom('settlement_runs')
      .select(RUN_COLUMNS)
      .where('federation_id', '=', federationId)
      .orderBy('period_end', 'desc')
      .limit(limit)
      .execute()
  ).map(toRun);
}

/** Statements with their venue, federation, currency, payout and whether a later one exists. */
function statementQuery(db: Db) {
  return db
    .selectFrom('settlement_statements as s')
    .leftJoin('settlement_payouts as o', 'o.statement_id', 's.id')
    .selectAll('s')
    .select([
      'o.id as payout_id',
      'o.direction as payout_direction',
      'o.method as payout_method',
      'o.amount_cents as payout_amount',
      'o.status as payout_status',
      'o.reference as payout_reference',
      sql<string | null>`to_char(o.paid_on, 'YYYY-MM-DD')`.as('payout_paid_on'),
      'o.transfer_id as payout_transfer_id',
      'o.attempts as payout_attempts',
      'o.last_error as payout_last_error',
      'o.recorded_by as payout_recorded_by',
      'o.updated_at as payout_updated_at',
    ])
    .select(
      sql<boolean>`exists (select 1 from settlement_statements l where l.federation_id = s.federation_id and l.place_id = s.place_id and l.number > s.number)`.as(
        'superseded',
      ),
    );
}

type StatementRow = Awaited<ReturnType<ReturnType<typeof statementQuery>['executeTakeFirstOrThrow']>>;

/** The names statements show, from their owners: venues (src/places), federations and currencies (src/ledger). */
interface StatementNames {
  places: Map<string, { slug: string; name: string }>;
  federations: Map<string, { slug: string; name: string }>;
  currencies: Map<string, { code: string }>;
}

async function namesOf(db: Db, rows: StatementRow[]): Promise<StatementNames> {
  const places = await placesByIds(db, [...new Set(rows.map((r) => r.place_id))]);
  const federations = await federationNames(db, [...new Set(rows.map((r) => r.federation_id))]);
  const currencies = await currencyCodesById(db, [...new Set(rows.map((r) => r.currency_id))]);
  return {
    places: new Map(places.map((p) => [p.id, { slug: p.slug, name: p.name }])),
    federations: new Map(federations.map((f) => [f.id, f])),
    currencies,
  };
}

async function toStatements(db: Db, rows: StatementRow[]): Promise<Statement[]> {
  if (rows.length === 0) return [];
  const names = await namesOf(db, rows);
  return rows.map((r) => toStatement(r, names));
}

function toStatement(r: StatementRow, names: StatementNames): Statement {
  const place = names.places.get(r.place_id)!;
  const federation = names.federations.get(r.federation_id)!;
  const currency = names.currencies.get(r.currency_id)!;
  const payout: Payout | null = r.payout_id
    ? {
        id: r.payout_id,
        statementId: r.id,
        direction: r.payout_direction!,
        method: r.payout_method!,
        amountCents: r.payout_amount!,
        status: r.payout_status!,
        reference: r.payout_reference,
        paidOn: r.payout_paid_on,
        transferId: r.payout_transfer_id,
        attempts: r.payout_attempts!,
        lastError: r.payout_last_error,
        recordedBy: r.payout_recorded_by,
        updatedAt: r.payout_updated_at!,
      }
    : null;
  const state: StatementState =
    payout?.status === 'paid'
      ? payout.direction === 'to_venue'
        ? 'paid'
        : 'received'
      : r.superseded
        ? 'carried'
        : r.closing_cents > 0
          ? 'to_pay'
          : r.closing_cents < 0
            ? 'to_receive'
            : 'settled';
  return {
    id: r.id,
    runId: r.run_id,
    federationId: r.federation_id,
    federationSlug: federation.slug,
    federationName: federation.name,
    placeId: r.place_id,
    placeSlug: place.slug,
    placeName: place.name,
    currencyId: r.currency_id,
    currencyCode: currency.code,
    number: r.number,
    reference: statementReference(federation.slug, r.number),
    periodStart: r.period_start,
    periodEnd: r.period_end,
    coversTo: r.covers_to,
    openingCents: r.opening_cents,
    tokensCents: r.tokens_cents,
    cashCents: r.cash_cents,
    feeBps: r.fee_bps,
    feeCents: r.fee_cents,
    closingCents: r.closing_cents,
    lines: r.lines,
    linesSha256: r.lines_sha256,
    signature: r.signature,
    messageVersion: r.message_version,
    createdAt: r.created_at,
    state,
    payout,
  };
}

/** A statement, without any permission check (use cases check, inside their transaction). */
export async function readStatement(db: Db, id: unknown): Promise<Statement> {
  const row =
    typeof id === 'string' && isUuid(id)
      ? await statementQuery(db).where('s.id', '=', id.toLowerCase()).executeTakeFirst()
      : undefined;
  if (!row) throw notFound('statement');
  return (await toStatements(db, [row]))[0]!;
}

/**
 * Who may read a venue's statement: the federation's treasurers, operators and the node, and the
 * venue's admins (permission `settlement.read`, API keys with the `settlement:read` scope).
 */
export async function authorizeStatementRead(db: Db, actor: Actor, federationId: string, placeId: string) {
  if (actor.kind === 'person' && !actor.isOperator && (await isTreasurer(db, actor.personId, federationId))) return;
  await authorize(db, actor, placeId, 'settlement.read');
}

export async function getStatement(db: Db, actor: Actor, id: unknown): Promise<Statement> {
  const statement = await readStatement(db, id);
  await authorizeStatementRead(db, actor, statement.federationId, statement.placeId);
  return statement;
}

/** A venue's statements, newest first (its admins, its keys, the federation's treasurers). */
export async function listVenueStatements(db: Db, actor: Actor, placeId: string, limit = 100): Promise<Statement[]> {
  let allowed = false;
  if (actor.kind === 'person' && !actor.isOperator)
    for (const f of await federationsOfPlace(db, placeId))
      if (await isTreasurer(db, actor.personId, f.id)) allowed = true;
  if (!allowed) await authorize(db, actor, placeId, 'settlement.read');
  return toStatements(
    db,
    await statementQuery(db).where('s.place_id', '=', placeId).orderBy('s.number', 'desc').limit(limit).execute(),
  );
}

/** The statements of a run, by number (treasurers). */
export async function listRunStatements(db: Db, actor: Actor, runId: string): Promise<Statement[]> {
  const run = await findRun(db, runId);
  if (!run) throw notFound('run');
  await authorizeTreasurer(db, actor, run.federationId);
  return toStatements(db, await statementQuery(db).where('s.run_id', '=', run.id).orderBy('s.number').execute());
}

/** Each venue's latest statement in a federation (the treasurer's page: what is to pay or receive). */
export async function latestStatements(db: Db, federationId: string): Promise<Map<string, Statement>> {
  const rows = await statementQuery(db)
    .where('s.federation_id', '=', federationId)
    .where(
      's.number',
      'in',
      db
        .selectFrom('settlement_statements as m')
        .select((eb) => eb.fn.max('m.number').as('n'))
        .where('m.federation_id', '=', federationId)
        .groupBy('m.place_id'),
    )
    .execute();
  const statements = await toStatements(db, rows);
  return new Map(statements.map((s) => [s.placeId, s]));
}

/** Whether a payout of the federation waits on Stripe (no run may start meanwhile). */
export async function pendingPayout(db: Db, federationId: string): Promise<string | null> {
  const row = await db
    .selectFrom('settlement_payouts')
    .select('statement_id')
    .where('federation_id', '=', federationId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return row?.statement_id ?? null;
}

export const notFoundStatement = () => new DomainError('not-found', 404, { what: 'statement' });
