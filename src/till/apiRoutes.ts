import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { problemOf, toDomainError } from '../http/problems.ts';
import { DateTime, ProblemSchema, Uuid } from '../http/schemas.ts';
import type { TSchema } from 'typebox';
import { type DeviceSignature, verifyDeviceRequest } from '../ledger/index.ts';
import { DomainError, RetryLater } from '../shared/errors.ts';
import { MAX_AMOUNT_MINOR } from '../shared/money.ts';
import { lookupCard } from './lookupCard.ts';
import { openTill } from './openTill.ts';
import { tillConfig } from './posConfig.ts';
import { MAX_ITEMS, MAX_PAYMENTS, MAX_QUANTITY, recordSale, saleStatus } from './recordSale.ts';
import { reverseSale } from './reverseSale.ts';
import type { SaleOutcome } from './sales.ts';
import { inTransaction } from '../db/database.ts';
import { deviceSignatureOf, keepRawJsonBodies } from '../http/deviceRequests.ts';

const SIGNED =
  'Signed by a paired device: headers `x-rezo-signature-version: 2`, `x-rezo-device`, `x-rezo-timestamp`, `x-rezo-nonce`, `x-rezo-signature`, over the method, the path and query string as sent, the body’s hash, the timestamp and the nonce (docs/LEDGER.md, "Device signatures"). Errors are problem+json in the language of `Accept-Language`.';
const Session = Type.String({ maxLength: 500, description: 'The till session returned by POST /api/v1/till/open' });
const CardUid = Type.String({ maxLength: 40, description: 'NFC UID as read (hex, separators allowed)' });
const CardNumber = Type.String({
  maxLength: 60,
  description: 'Instead of cardUid: the number printed on the card (spaces and case ignored)',
});
const CardToken = Type.String({
  maxLength: 400,
  description: 'Instead of cardUid: the card’s QR code (its /cards/<token> address, or the token)',
});
const Cents = Type.Integer({ description: 'Minor units (cents), signed: + money in for the venue, − out' });

const Balance = Type.Object({
  currency: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  amount: Type.Integer(),
  decimals: Type.Integer(),
  usableHere: Type.Boolean({ description: 'A card payment here may take it (in this order)' }),
});
const SaleOut = Type.Object(
  {
    sale: Type.Object({
      id: Uuid,
      totalCents: Cents,
      businessDay: Type.String({ format: 'date' }),
      reversesSaleId: Type.Union([Uuid, Type.Null()]),
      createdAt: DateTime,
      soldAt: Type.Optional(DateTime),
      lateFromDay: Type.Optional(
        Type.String({
          format: 'date',
          description: 'Booked late: the closed business day it was sold on (it is booked on businessDay)',
        }),
      ),
    }),
    items: Type.Array(
      Type.Object({
        articleId: Uuid,
        name: Type.String(),
        kind: Type.String(),
        quantity: Type.Integer(),
        unitPriceCents: Type.Integer(),
        amountCents: Cents,
      }),
    ),
    payments: Type.Array(
      Type.Object({
        method: Type.String({ description: 'card, cash or bank_card' }),
        amountCents: Cents,
        currency: Type.Union([Type.String(), Type.Null()], { description: 'card: the currency taken from the wallet' }),
        transferId: Type.Union([Uuid, Type.Null()]),
      }),
    ),
    card: Type.Union([Type.Object({ number: Type.String(), linked: Type.Boolean() }), Type.Null()]),
    balances: Type.Array(Balance, { description: 'The card’s wallet after the sale' }),
    changeCents: Type.Integer({ description: 'Cash to give back' }),
    membership: Type.Union([
      Type.Object({ id: Uuid, product: Type.String(), endsOn: Type.Union([Type.String(), Type.Null()]) }),
      Type.Null(),
    ]),
    wallet: Type.Array(Type.Object({ currency: Type.String(), amount: Cents, transferId: Uuid }), {
      description: 'Top-ups, gift credit and cash-outs: what moved on the wallet',
    }),
    otherCards: Type.Optional(
      Type.Array(Type.Object({ number: Type.String(), balances: Type.Array(Balance) }), {
        description: 'A sale paid by several cards: each other card (one per wallet) with its wallet after the sale',
      }),
    ),
  },
  { $id: 'TillSale', title: 'TillSale' },
);

/** The problem details of the till: the common shape plus the amounts a till shows to offer a way out. */
const TillProblem = Type.Object(
  {
    ...ProblemSchema.properties,
    missing: Type.Optional(
      Type.Integer({ description: 'till-insufficient-funds, till-reversal-spent: cents missing' }),
    ),
    available: Type.Optional(Type.Integer({ description: 'till-cash-out-exceeds: cents that can be paid out' })),
    total: Type.Optional(Type.Integer({ description: 'till-unbalanced: the total of the items' })),
    paid: Type.Optional(Type.Integer({ description: 'till-unbalanced: the sum of the payments' })),
    card: Type.Optional(
      Type.String({ description: 'till-insufficient-funds: the printed number of the card that is short' }),
    ),
  },
  { description: 'Problem details (application/problem+json)' },
);

function responses(ok: Record<number, TSchema>, errors: number[]) {
  const out: Record<number, unknown> = { ...ok };
  for (const status of errors) out[status] = TillProblem;
  return out;
}

/** The signed envelope of a request; a request without the device headers is refused (401). */
function deviceOf(request: FastifyRequest): DeviceSignature {
  const device = deviceSignatureOf(request);
  if (!device) throw new DomainError('ledger-device-signature', 401, { reason: 'device' });
  return device;
}

/** Server time of the use case, for the benchmark and the operator's tools (Server-Timing). */
async function timed<T>(reply: FastifyReply, name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    reply.header('server-timing', `${name};dur=${(performance.now() - t0).toFixed(2)}`);
  }
}

/** Routes of the till (device API: config, open, card lookup, sales, reversals). docs/TILL.md. */
export async function tillApiRoutes(app: ModuleApp, options: ModuleOptions): Promise<void> {
  const { db, config } = options.deps;

  // Device signatures cover the body's exact bytes: keep them (for this module's routes only).
  keepRawJsonBodies(app);

  // problem+json in the device's language, with the amounts a till needs to offer a way out
  // (`missing` for insufficient funds or spent top-ups, `available` for a cash-out).
  app.setErrorHandler((error, request, reply) => {
    const domain = toDomainError(error);
    if (domain.status >= 500) request.log.error({ err: error }, 'request failed');
    if (domain instanceof RetryLater) reply.header('retry-after', String(domain.retryAfterSeconds));
    const problem: Record<string, unknown> = { ...problemOf(request, config, domain) };
    for (const extra of ['missing', 'available', 'total', 'paid'] as const) {
      if (typeof domain.params[extra] === 'number') problem[extra] = domain.params[extra];
    }
    // Which card is short, when a sale is paid by several cards (its printed number).
    if (domain.code === 'till-insufficient-funds' && typeof domain.params.card === 'string')
      problem.card = domain.params.card;
    return reply.status(domain.status).type('application/problem+json; charset=utf-8').send(problem);
  });

  const errors = [400, 401, 403, 404, 409, 422];

  app.get(
    '/api/v1/till/config',
    {
      config: { csrf: false },
      schema: {
        tags: ['till'],
        summary: 'The venue, its points of sale with their articles, the currencies accepted in payment order',
        description: SIGNED,
        response: responses({ 200: Type.Unknown({ description: 'See TillConfig in src/till/posConfig.ts' }) }, [401]),
      },
    },
    async (request) => {
      const device = deviceOf(request);
      const { placeId } = await inTransaction(db, (trx) => verifyDeviceRequest(trx, device));
      return tillConfig(db, placeId);
    },
  );

  app.post(
    '/api/v1/till/open',
    {
      config: { csrf: false },
      schema: {
        tags: ['till'],
        summary: 'Open the till with a staff card: a till session (12 h) naming the cashier',
        description: SIGNED,
        body: Type.Object({ cardUid: CardUid }, { additionalProperties: false }),
        response: responses(
          {
            201: Type.Object({
              session: Type.String(),
              cashier: Type.Object({ personId: Uuid, name: Type.String() }),
              expiresAt: DateTime,
            }),
          },
          errors,
        ),
      },
    },
    async (request, reply) => {
      const result = await openTill(db, deviceOf(request), request.body);
      return reply
        .status(201)
        .header('cache-control', 'no-store')
        .send({ ...result, expiresAt: result.expiresAt.toISOString() });
    },
  );

  app.post(
    '/api/v1/till/cards/lookup',
    {
      config: { csrf: false },
      schema: {
        tags: ['till'],
        summary: 'A card tapped: its status, balances (usable here first, in payment order) and memberships valid here',
        description: SIGNED,
        body: Type.Object(
          {
            session: Session,
            cardUid: Type.Optional(CardUid),
            cardNumber: Type.Optional(CardNumber),
            cardToken: Type.Optional(CardToken),
          },
          { additionalProperties: false },
        ),
        response: responses(
          {
            200: Type.Object({
              card: Type.Object({
                number: Type.String(),
                status: Type.String({ description: 'active or blocked' }),
                linked: Type.Boolean(),
              }),
              balances: Type.Array(Balance),
              memberships: Type.Array(
                Type.Object({ product: Type.String(), endsOn: Type.Union([Type.String(), Type.Null()]) }),
              ),
            }),
          },
          errors,
        ),
      },
    },
    async (request) => lookupCard(db, deviceOf(request), request.body),
  );

  const send = (reply: FastifyReply, outcome: SaleOutcome) =>
    reply.status(outcome.replayed ? 200 : 201).send(outcome.body);

  app.post(
    '/api/v1/till/sales',
    {
      config: { csrf: false },
      schema: {
        tags: ['till'],
        summary: 'Record a sale (once per id: a retry returns the first answer with 200)',
        description: `${SIGNED} Card payments take the wallet’s currencies in order gift → local euro → federated euro among those accepted here; A card payment may name its card (\`cardUid\`, default the sale’s): up to 3 cards, each paying its own amount; 422 \`till-insufficient-funds\` carries \`missing\` (cents) and \`card\` (the number of the card that is short).`,
        body: Type.Object(
          {
            id: Type.String({ format: 'uuid', description: 'Made by the till: the idempotency key' }),
            session: Session,
            pointId: Uuid,
            cardUid: Type.Optional(CardUid),
            cardNumber: Type.Optional(CardNumber),
            cardToken: Type.Optional(CardToken),
            items: Type.Array(
              Type.Object(
                {
                  articleId: Uuid,
                  quantity: Type.Integer({ minimum: 1, maximum: MAX_QUANTITY }),
                  amountCents: Type.Optional(
                    Type.Integer({
                      minimum: 1,
                      maximum: MAX_AMOUNT_MINOR,
                      description:
                        'Required when the article has no price (top-up, cash-out, open price), refused otherwise',
                    }),
                  ),
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: MAX_ITEMS },
            ),
            payments: Type.Array(
              Type.Object(
                {
                  method: Type.Union([Type.Literal('card'), Type.Literal('cash'), Type.Literal('bank_card')]),
                  amountCents: Type.Integer({
                    minimum: 1,
                    maximum: MAX_AMOUNT_MINOR,
                    description: 'Always positive: cash given back is `cashBackCents`, never a negative payment',
                  }),
                  cardUid: Type.Optional(
                    Type.String({
                      maxLength: 40,
                      description:
                        'Card payments: the card paying (default: the sale’s card); a sale may be paid by up to 3 cards',
                    }),
                  ),
                  cardNumber: Type.Optional(CardNumber),
                  cardToken: Type.Optional(CardToken),
                  tenderedCents: Type.Optional(
                    Type.Integer({
                      minimum: 1,
                      maximum: MAX_AMOUNT_MINOR,
                      description: 'Cash handed over; the change is tendered − amount',
                    }),
                  ),
                },
                { additionalProperties: false },
              ),
              { maxItems: MAX_PAYMENTS },
            ),
            soldAt: Type.Optional(
              Type.String({
                maxLength: 40,
                description:
                  'A sale the till queued offline: its time of sale (ISO 8601), at most 7 days old; booked on its business day, or, that day closed, on the next open day with a late mark',
              }),
            ),
            cashBackCents: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: MAX_AMOUNT_MINOR,
                description:
                  'Cash given back: only for a sale whose total is negative (a cash-out, deposits returned), equal to −total, with no payment line',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: responses({ 200: SaleOut, 201: SaleOut }, errors),
      },
    },
    async (request, reply) =>
      send(reply, await timed(reply, 'sale', () => recordSale(db, deviceOf(request), request.body))),
  );

  app.get(
    '/api/v1/till/sales/:saleId',
    {
      config: { csrf: false },
      schema: {
        tags: ['till'],
        summary:
          'What became of a sale (or reversal) sent without a definite answer: its stored answer, or 404 when it was never recorded',
        description: `${SIGNED} Reads only: the till asks it before giving up on an uncertain card sale. 404 \`till-sale-unknown\` also for a sale of another venue.`,
        params: Type.Object({ saleId: Uuid }),
        response: responses({ 200: SaleOut }, [401, 404]),
      },
    },
    async (request, reply) =>
      reply.header('cache-control', 'no-store').send(await saleStatus(db, deviceOf(request), request.params.saleId)),
  );

  app.post(
    '/api/v1/till/sales/:saleId/reverse',
    {
      config: { csrf: false },
      schema: {
        tags: ['till'],
        summary:
          'Cancel a sale of the current business day: a reversal sale (once per sale; a retry returns the first answer)',
        description: SIGNED,
        params: Type.Object({ saleId: Uuid }),
        body: Type.Object(
          {
            id: Type.String({ format: 'uuid', description: 'The reversal’s own id (idempotency key)' }),
            session: Session,
          },
          { additionalProperties: false },
        ),
        response: responses({ 200: SaleOut, 201: SaleOut }, errors),
      },
    },
    async (request, reply) =>
      send(
        reply,
        await timed(reply, 'reverse', () =>
          reverseSale(db, deviceOf(request), { ...request.body, saleId: request.params.saleId }),
        ),
      ),
  );
}
