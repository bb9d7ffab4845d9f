import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf } from '../http/context.ts';
import { DateTime, responses, Uuid } from '../http/schemas.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { DomainError } from '../shared/errors.ts';
import { MAX_AMOUNT_MINOR } from '../shared/money.ts';
import { safeEqual } from '../shared/secrets.ts';
import type { Db } from '../db/database.ts';
import { balancesOf } from './balancesOf.ts';
import { checkpointMessage } from './chain.ts';
import { currencyCodesById } from './currenciesOfPlace.ts';
import { createCheckpointer } from './checkpointer.ts';
import { createHold, MAX_HOLD_SECONDS } from './createHold.ts';
import { createTransfers } from './createTransfers.ts';
import { historyOf } from './historyOf.ts';
import { MAX_BATCH, type Transfer } from './ledger.ts';
import { loadNodeKey } from './nodeKey.ts';
import { placeReceipts } from './placeReceipts.ts';
import { postHold } from './postHold.ts';
import { listCheckpoints } from './signCheckpoints.ts';
import { voidHold } from './voidHold.ts';
import { readRefundLimits, setRefundLimits } from './setRefundLimits.ts';
import { issueWalletPass } from './walletPass.ts';
import { ledgerPages } from './views.ts';
import { witnessRoutes } from './witness/routes.ts';
import type { DeviceSignature } from './tables.ts';
import { deviceSignatureOf, keepRawJsonBodies } from '../http/deviceRequests.ts';

const Amount = Type.Union(
  [Type.Integer({ minimum: 1, maximum: MAX_AMOUNT_MINOR }), Type.String({ pattern: '^[0-9]{1,10}$' })],
  {
    description: `Minor units (cents, minutes, points), 1 to ${MAX_AMOUNT_MINOR}: an integer or a string of digits. Never a decimal number.`,
  },
);
const Metadata = Type.Record(Type.String({ maxLength: 40 }), Type.Unknown(), {
  description: 'Free data: order, sale, payment reference… (≤ 2000 characters as JSON)',
});
const Kind = Type.String({ maxLength: 30, description: 'payment, refund, transfer, exchange, merge, cash_out' });

const TransferIn = Type.Object(
  {
    id: Type.String({
      format: 'uuid',
      description:
        'Chosen by the client: the idempotency key. The same id with the same body returns the first result; with another body, 409.',
    }),
    debitAccountId: Uuid,
    creditAccountId: Uuid,
    amount: Amount,
    kind: Kind,
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

const TransferOut = Type.Object(
  {
    id: Uuid,
    currency: Type.String(),
    position: Type.Union([Type.Integer(), Type.Null()], {
      description:
        'Position in the legacy per-transfer chain (transfers before blocks); null for transfers sealed in blocks',
    }),
    hash: Type.String({
      description: 'The transfer’s own hash (canonical encoding v2; v1 chain hash for legacy transfers)',
    }),
    prevHash: Type.Union([Type.String(), Type.Null()], { description: 'Legacy chain only; null otherwise' }),
    phase: Type.String({ description: 'single, pending (a hold), post or void' }),
    kind: Type.String(),
    debitAccountId: Uuid,
    creditAccountId: Uuid,
    amount: Type.Integer(),
    pendingId: Type.Union([Uuid, Type.Null()]),
    expiresAt: Type.Union([DateTime, Type.Null()]),
    batchId: Type.Union([Uuid, Type.Null()]),
    authorisedBy: Type.String(),
    authoriserId: Type.String(),
    deviceSignature: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    createdAt: DateTime,
  },
  { $id: 'Transfer', title: 'Transfer' },
);
const TransfersOut = Type.Object({ transfers: Type.Array(TransferOut), replayed: Type.Boolean() });
const Page = Type.Object({ transfers: Type.Array(TransferOut), nextCursor: Type.Union([Type.String(), Type.Null()]) });
const PageQuery = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
});

const SIGNED =
  'Authenticate with a session (plus `x-csrf-token`), a venue API key (`till` scope; `refund` to give money back from the venue), or a device signature (headers `x-rezo-signature-version: 2`, `x-rezo-device`, `x-rezo-timestamp`, `x-rezo-nonce`, `x-rezo-signature`, covering the path and query string as sent; see docs/LEDGER.md): a device of kind `till` with a staff session (`session`), never a scanner. Who may do what: docs/LEDGER.md, "Who may move money".';
const Session = Type.String({
  maxLength: 500,
  description: 'A device’s till session (from POST /api/v1/till/open): a till moves money only while one is open',
});
const Limit = Type.Integer({ minimum: 0, maximum: MAX_AMOUNT_MINOR });
const RefundLimitsOut = Type.Object({
  perOperation: Type.Integer({ description: 'Most one refund or payout may move, in minor units' }),
  perDay: Type.Integer({ description: 'Most that may leave the venue’s account in any 24 hours, per currency' }),
  isDefault: Type.Boolean({ description: 'The venue set nothing: the defaults apply' }),
});

// A currency's code never changes (no use case renames it), so id → code is cached for the process.
const codeCache = new Map<string, string>();
async function currencyCodes(db: Db, transfers: Transfer[]): Promise<Map<string, string>> {
  const missing = [...new Set(transfers.map((t) => t.currencyId))].filter((id) => !codeCache.has(id));
  if (missing.length > 0) {
    if (codeCache.size > 10_000) codeCache.clear();
    for (const [id, { code }] of await currencyCodesById(db, missing)) codeCache.set(id, code);
  }
  return codeCache;
}

export async function presentTransfers(db: Db, transfers: Transfer[]) {
  const codes = await currencyCodes(db, transfers);
  return transfers.map((t) => ({
    id: t.id,
    currency: codes.get(t.currencyId) ?? '',
    position: t.position,
    hash: t.hash,
    prevHash: t.prevHash,
    phase: t.phase,
    kind: t.kind,
    debitAccountId: t.debitAccountId,
    creditAccountId: t.creditAccountId,
    amount: t.amount,
    pendingId: t.pendingId,
    expiresAt: t.expiresAt ? t.expiresAt.toISOString() : null,
    batchId: t.batchId,
    authorisedBy: t.authorisedBy,
    authoriserId: t.authoriserId,
    deviceSignature: t.deviceSignature ? { ...t.deviceSignature } : null,
    metadata: t.metadata,
    createdAt: t.createdAt.toISOString(),
  }));
}

/** Ledger API and pages (wallet, transfers, holds, checkpoints, transparency). */
export async function ledgerRoutes(app: ModuleApp, options: ModuleOptions) {
  const { db, logger } = options.deps;
  const checkpointer = createCheckpointer(db, logger);
  app.addHook('onClose', async () => checkpointer.stop());

  // The ledger logs and the node as a witness: their own scope (text bodies, docs/FEDERATION.md).
  await app.register(witnessRoutes, options);

  // Device signatures cover the body's exact bytes: keep them (for this module's routes only).
  keepRawJsonBodies(app);

  /**
   * Who is asking: a device (signed headers), else the session or API key. These routes skip the
   * generic CSRF hook because devices have no cookie; a session request is checked here instead.
   */
  const requester = (
    request: FastifyRequest,
  ): { actor: ReturnType<typeof actorOf> | null; device: DeviceSignature | undefined } => {
    const device = deviceSignatureOf(request);
    if (device) return { actor: null, device };
    const actor = actorOf(request);
    if (actor.kind === 'person') {
      const sent = request.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !safeEqual(sent, request.ctx.csrfToken)) throw new DomainError('csrf', 403);
    }
    return { actor, device: undefined };
  };
  const writeErrors = [400, 401, 403, 404, 409, 422];

  app.post(
    '/api/v1/transfers',
    {
      config: { csrf: false },
      schema: {
        tags: ['ledger'],
        summary: 'Create one transfer or a linked batch (all or nothing)',
        description: `${SIGNED} A person spends from their own accounts; a venue debits a wallet only in a currency it accepts, with the holder’s wallet pass (\`holder\`); money leaves a venue’s account only as a \`refund\` or \`payout\`, by its admins (permission \`refund\`), within its refund limits.`,
        security: [{ apiKey: [] }, { session: [] }],
        body: Type.Object(
          {
            transfers: Type.Array(TransferIn, { minItems: 1, maxItems: MAX_BATCH }),
            placeId: Type.Optional(
              Type.String({ format: 'uuid', description: 'The venue acting, for a person with the till role there' }),
            ),
            holder: Type.Optional(
              Type.String({ maxLength: 400, description: 'The wallet pass (QR) the holder shows' }),
            ),
            session: Type.Optional(Session),
          },
          { additionalProperties: false },
        ),
        response: responses({ 200: TransfersOut, 201: TransfersOut }, writeErrors),
      },
    },
    async (request, reply) => {
      const { actor, device } = requester(request);
      const result = await createTransfers(db, actor, { ...request.body, ...(device ? { device } : {}) });
      checkpointer.kick();
      return reply
        .status(result.replayed ? 200 : 201)
        .send({ transfers: await presentTransfers(db, result.transfers), replayed: result.replayed });
    },
  );

  app.post(
    '/api/v1/holds',
    {
      config: { csrf: false },
      schema: {
        tags: ['ledger'],
        summary: 'Reserve funds (a pending transfer), posted or voided later, or expired',
        description: SIGNED,
        security: [{ apiKey: [] }, { session: [] }],
        body: Type.Object(
          {
            ...TransferIn.properties,
            ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_HOLD_SECONDS })),
            placeId: Type.Optional(Type.String({ format: 'uuid' })),
            holder: Type.Optional(Type.String({ maxLength: 400 })),
            session: Type.Optional(Session),
          },
          { additionalProperties: false },
        ),
        response: responses({ 200: TransfersOut, 201: TransfersOut }, writeErrors),
      },
    },
    async (request, reply) => {
      const { actor, device } = requester(request);
      const result = await createHold(db, actor, { ...request.body, ...(device ? { device } : {}) });
      checkpointer.kick();
      return reply
        .status(result.replayed ? 200 : 201)
        .send({ transfers: await presentTransfers(db, result.transfers), replayed: result.replayed });
    },
  );

  for (const phase of ['post', 'void'] as const) {
    app.post(
      `/api/v1/holds/:holdId/${phase}`,
      {
        config: { csrf: false },
        schema: {
          tags: ['ledger'],
          summary: phase === 'post' ? 'Settle a hold, wholly or partly (once)' : 'Release a hold (once)',
          description: `${SIGNED} Only the venue credited by the hold.`,
          security: [{ apiKey: [] }, { session: [] }],
          params: Type.Object({ holdId: Uuid }),
          body: Type.Object(
            {
              id: Type.String({ format: 'uuid', description: 'Idempotency key of this resolution' }),
              ...(phase === 'post' ? { amount: Type.Optional(Amount) } : {}),
              session: Type.Optional(Session),
            },
            { additionalProperties: false },
          ),
          response: responses({ 200: TransfersOut, 201: TransfersOut }, writeErrors),
        },
      },
      async (request, reply) => {
        const { actor, device } = requester(request);
        const body = request.body as { id: string; amount?: number | string; session?: string };
        const input = {
          id: body.id,
          holdId: request.params.holdId,
          ...(body.amount !== undefined ? { amount: body.amount } : {}),
          ...(body.session !== undefined ? { session: body.session } : {}),
          ...(device ? { device } : {}),
        };
        const result = phase === 'post' ? await postHold(db, actor, input) : await voidHold(db, actor, input);
        checkpointer.kick();
        return reply
          .status(result.replayed ? 200 : 201)
          .send({ transfers: await presentTransfers(db, result.transfers), replayed: result.replayed });
      },
    );
  }

  app.get(
    '/api/v1/wallet/balances',
    {
      schema: {
        tags: ['ledger'],
        summary: 'Balances of my wallet, per currency',
        security: [{ session: [] }],
        response: responses(
          {
            200: Type.Object({
              balances: Type.Array(
                Type.Object({
                  accountId: Uuid,
                  currencyCode: Type.String(),
                  currencyName: Type.String(),
                  kind: Type.String(),
                  decimals: Type.Integer(),
                  balance: Type.Integer(),
                  pending: Type.Integer(),
                  available: Type.Integer(),
                }),
              ),
            }),
          },
          [401],
        ),
      },
    },
    async (request) => ({ balances: await balancesOf(db, request.ctx.actor) }),
  );

  app.get(
    '/api/v1/wallet/history',
    {
      schema: {
        tags: ['ledger'],
        summary: 'History of my wallet, newest first (cursor pagination)',
        security: [{ session: [] }],
        querystring: Type.Object({
          ...PageQuery.properties,
          accountId: Type.Optional(Type.String({ format: 'uuid' })),
        }),
        response: responses({ 200: Page }, [401, 403, 422]),
      },
    },
    async (request) => {
      const page = await historyOf(db, request.ctx.actor, request.query);
      return { transfers: await presentTransfers(db, page.transfers), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/api/v1/wallet/passes',
    {
      config: { csrf: false },
      schema: {
        tags: ['ledger'],
        summary: 'A wallet pass (QR) for one payment at one venue: at most maxAmount, valid two minutes, once',
        description:
          'The person shows it at the counter; the venue sends it as `holder` with the payment (POST /api/v1/transfers or /api/v1/holds). It is spent by the first request that uses it (docs/LEDGER.md, "Wallet passes").',
        security: [{ session: [] }],
        body: Type.Object(
          {
            venue: Type.String({ maxLength: 60, description: 'The venue’s slug' }),
            maxAmount: Type.Integer({
              minimum: 1,
              maximum: MAX_AMOUNT_MINOR,
              description: 'The most the venue may take, in minor units (cents)',
            }),
          },
          { additionalProperties: false },
        ),
        response: responses(
          {
            201: Type.Object({
              pass: Type.String(),
              expiresAt: DateTime,
              venue: Type.Object({ slug: Type.String(), name: Type.String() }),
              maxAmount: Type.Integer(),
            }),
          },
          [401, 403, 404, 422],
        ),
      },
    },
    async (request, reply) => {
      // A person for themselves (session and CSRF header); a key or a device is not a person: 401.
      const { actor } = requester(request);
      const place = await getPlaceBySlug(db, request.body.venue);
      const issued = await issueWalletPass(db, actor, {
        placeId: place.id,
        maxAmount: request.body.maxAmount,
      });
      return reply
        .status(201)
        .header('cache-control', 'no-store')
        .send({
          pass: issued.pass,
          expiresAt: issued.expiresAt.toISOString(),
          venue: { slug: place.slug, name: place.name },
          maxAmount: issued.maxAmount,
        });
    },
  );

  app.get(
    '/api/v1/venues/:slug/ledger/receipts',
    {
      schema: {
        tags: ['ledger'],
        summary: 'Transfers a venue is party to (payments received, refunds), newest first',
        description: 'Venue admins and cashiers, or an API key with the `till` scope.',
        security: [{ apiKey: [] }, { session: [] }],
        params: Type.Object({ slug: Type.String({ maxLength: 60 }) }),
        querystring: PageQuery,
        response: responses({ 200: Page }, [401, 403, 404, 422]),
      },
    },
    async (request) => {
      const place = await getPlaceBySlug(db, request.params.slug);
      const page = await placeReceipts(db, request.ctx.actor, { placeId: place.id, ...request.query });
      return { transfers: await presentTransfers(db, page.transfers), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/venues/:slug/ledger/refund-limits',
    {
      schema: {
        tags: ['ledger'],
        summary: 'The venue’s limits on refunds and payouts from its accounts',
        description: 'Venue admins; an API key with the `refund` or `place:write` scope.',
        security: [{ apiKey: [] }, { session: [] }],
        params: Type.Object({ slug: Type.String({ maxLength: 60 }) }),
        response: responses({ 200: RefundLimitsOut }, [401, 403, 404]),
      },
    },
    async (request) => readRefundLimits(db, actorOf(request), { slug: request.params.slug }),
  );

  app.put(
    '/api/v1/venues/:slug/ledger/refund-limits',
    {
      schema: {
        tags: ['ledger'],
        summary: 'Set the venue’s limits on refunds and payouts from its accounts (per currency, in minor units)',
        description:
          'Needs `place.settings` (API key scope `place:write`). 0 ≤ perOperation ≤ perDay ≤ 10^9; 0 forbids refunds. Applies to refunds and payouts through POST /api/v1/transfers (docs/LEDGER.md, "Refunds and payouts").',
        security: [{ apiKey: [] }, { session: [] }],
        params: Type.Object({ slug: Type.String({ maxLength: 60 }) }),
        body: Type.Object({ perOperation: Limit, perDay: Limit }, { additionalProperties: false }),
        response: responses({ 200: RefundLimitsOut }, [401, 403, 404, 422]),
      },
    },
    async (request) =>
      setRefundLimits(db, actorOf(request), {
        slug: request.params.slug,
        perOperation: request.body.perOperation,
        perDay: request.body.perDay,
      }),
  );

  app.get(
    '/api/v1/ledger/checkpoints',
    {
      schema: {
        tags: ['ledger'],
        summary: 'Signed checkpoints of every currency’s chain of blocks, newest first',
        description:
          'Each signature is Ed25519, by the key of GET /api/v1/ledger/key, over `message`: `rezo-checkpoint-v2|<currency>|<block>|<position>|<headHash>|<supply>|<signedAt ISO>` for a block (headHash = the block’s hash, position = transfers sealed up to it), or `rezo-checkpoint-v1|<currency>|<position>|<headHash>|<supply>|<signedAt ISO>` for a checkpoint of the legacy per-transfer chain (`block` null).',
        querystring: Type.Object({
          currency: Type.Optional(Type.String({ maxLength: 12 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        }),
        response: responses(
          {
            200: Type.Object({
              checkpoints: Type.Array(
                Type.Object({
                  currency: Type.String(),
                  block: Type.Union([Type.Integer(), Type.Null()], {
                    description: 'The block signed; null for a legacy checkpoint',
                  }),
                  position: Type.Integer(),
                  headHash: Type.String(),
                  supply: Type.Integer(),
                  signedAt: DateTime,
                  signature: Type.String({ description: 'base64url' }),
                  message: Type.String({ description: 'The exact signed text' }),
                }),
              ),
            }),
          },
          [422],
        ),
      },
    },
    async (request) => {
      const list = await listCheckpoints(db, {
        ...(request.query.currency ? { currencyCode: request.query.currency } : {}),
        ...(request.query.limit ? { limit: request.query.limit } : {}),
      });
      return {
        checkpoints: list.map((c) => ({
          currency: c.currencyCode,
          block: c.block,
          position: c.position,
          headHash: c.headHash,
          supply: c.supply,
          signedAt: c.signedAt.toISOString(),
          signature: c.signature,
          message: checkpointMessage(c),
        })),
      };
    },
  );

  app.get(
    '/api/v1/ledger/key',
    {
      schema: {
        tags: ['ledger'],
        summary: 'The node’s Ed25519 public key (checkpoints and wallet passes)',
        response: responses(
          {
            200: Type.Object({
              algorithm: Type.Literal('Ed25519'),
              spki: Type.String({ description: 'SPKI DER, base64' }),
              pem: Type.String(),
            }),
          },
          [],
        ),
      },
    },
    async () => {
      const key = await loadNodeKey(db);
      return { algorithm: 'Ed25519' as const, spki: key.publicKeyBase64, pem: key.publicKeyPem };
    },
  );

  await ledgerPages(app, options);
}
