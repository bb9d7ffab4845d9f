import {
  listHolderDebts,
  federationMembers,
  federationsOfPlace,
  federationToken,
  settledItems,
  venuePositions,
} from '../ledger/index.ts';
import { getPerson } from '../accounts/index.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { SYSTEM, type Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import type { Db } from '../db/database.ts';
import { localDate } from '../agenda/index.ts';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf, personOrLogin } from '../http/context.ts';
import { submitForm } from '../http/formRoute.ts';
import type { FormState } from '../http/forms.ts';
import type { Html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { responses } from '../http/schemas.ts';
import { connectedAccountOf, findPlaceBySlug, getPlaceBySlug } from '../places/index.ts';
import { notFound, type FieldError } from '../shared/errors.ts';
import { addTreasurer } from './addTreasurer.ts';
import { markPaid } from './markPaid.ts';
import { markReceived } from './markReceived.ts';
import { federationPage, federationsPage, runPage, statementPage, venuePage, type FederationView } from './pages.ts';
import { payByStripe } from './payByStripe.ts';
import { federationTimezone } from './periods.ts';
import { presentStatement, StatementSchema } from './present.ts';
import { removeTreasurer } from './removeTreasurer.ts';
import { runSettlement } from './runSettlement.ts';
import { feeBpsOf, setSettlementFee } from './setSettlementFee.ts';
import { runExportCsv, statementCsv } from './statementCsv.ts';
import { statementPdf } from './statementPdf.ts';
import {
  findRun,
  getStatement,
  latestStatements,
  listRuns,
  listRunStatements,
  listVenueStatements,
  pendingPayout,
  type Statement,
} from './statements.ts';
import { authorizeTreasurer, federationsOf, listTreasurers, settledFederation } from './treasurers.ts';
import { verifyStatement } from './verifyStatement.ts';

/** Pages, exports and API of settlement (docs/SETTLEMENT.md): parse → use case → present. */
export async function settlementRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { db, config, stripe } = deps;
  const page = (request: FastifyRequest, reply: FastifyReply, title: string, body: Html, status = 200) =>
    sendHtml(reply, layout(request, info, { title, body }), status);
  const isOperator = (actor: Actor) => actor.kind === 'system' || (actor.kind === 'person' && actor.isOperator);
  const mayTreasure = async (actor: Actor, federationId: string) =>
    authorizeTreasurer(db, actor, federationId).then(
      () => true,
      () => false,
    );
  const csv = (reply: FastifyReply, name: string, body: string) =>
    reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('cache-control', 'no-store')
      .send('\uFEFF' + body);
  /** Field errors as the form's state, a field of the use case renamed to the form's where they differ. */
  const formErrors = (errors: FieldError[], values: Record<string, unknown>, rename: Record<string, string> = {}) =>
    ({ values, errors: errors.map((f) => ({ ...f, field: rename[f.field] ?? f.field })) }) as FormState;

  async function federationView(db: Db, actor: Actor, slug: string): Promise<FederationView> {
    const federation = await settledFederation(db, slug);
    await authorizeTreasurer(db, actor, federation.id);
    const members = await federationMembers(db, federation.id);
    const timeZone = federationTimezone(members);
    const [positions, latest, runs, treasurers, feeBps, pendingStatementId] = await Promise.all([
      venuePositions(
        db,
        federation.currency.id,
        members.map((m) => m.id),
      ),
      latestStatements(db, federation.id),
      listRuns(db, federation.id),
      listTreasurers(db, federation.id),
      feeBpsOf(db, federation.id),
      pendingPayout(db, federation.id),
    ]);
    // The holders' debts of this federation's token, for its treasurers: authorised above, read as the node.
    const debts = await Promise.all(
      (await listHolderDebts(db, SYSTEM, { federationId: federation.id })).map(async (d) => ({
        ...d,
        holder: (d.personId ? (await getPerson(db, d.personId))?.email : null) ?? d.accountId,
      })),
    );
    const yesterday = new Date(Date.now() - 86_400_000);
    return {
      federation,
      timeZone,
      venues: members.map((m) => ({ member: m, position: positions.get(m.id)!, latest: latest.get(m.id) ?? null })),
      runs,
      incomplete: runs.find((r) => r.status === 'running') ?? null,
      pendingStatementId,
      treasurers,
      feeBps,
      isOperator: isOperator(actor),
      defaultDate: localDate(yesterday, timeZone),
      debts,
    };
  }

  app.get('/settlement', { schema: { hide: true } }, async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const { t } = request.ctx;
    return page(
      request,
      reply,
      t('settlement.title'),
      federationsPage(request, await federationsOf(db, actorOf(request))),
    );
  });

  app.get('/settlement/:federation', { schema: { hide: true } }, async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const view = await federationView(db, actorOf(request), (request.params as { federation: string }).federation);
    return page(request, reply, view.federation.name, federationPage(request, view));
  });

  app.post('/settlement/:federation/runs', { schema: { hide: true } }, async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const slug = (request.params as { federation: string }).federation;
    const b = (request.body ?? {}) as Record<string, unknown>;
    const until = b.mode === 'now' ? 'now' : b.mode === 'instant' ? b.instant : b.untilDate;
    return submitForm(reply, {
      run: () => runSettlement(db, actorOf(request), { federation: slug, until }),
      done: ({ run }) => `/settlement/${slug}/runs/${run.id}`,
      invalid: async (errors) => {
        const view = await federationView(db, actorOf(request), slug);
        const form = formErrors(errors, b, { until: 'untilDate' });
        return page(request, reply, view.federation.name, federationPage(request, view, form), 422);
      },
    });
  });

  app.post('/settlement/:federation/treasurers', { schema: { hide: true } }, async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const slug = (request.params as { federation: string }).federation;
    await addTreasurer(db, actorOf(request), { federation: slug, email: (request.body as { email?: unknown })?.email });
    return reply.redirect(`/settlement/${slug}`, 303);
  });

  app.post('/settlement/:federation/treasurers/remove', { schema: { hide: true } }, async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const slug = (request.params as { federation: string }).federation;
    await removeTreasurer(db, actorOf(request), {
      federation: slug,
      email: (request.body as { email?: unknown })?.email,
    });
    return reply.redirect(`/settlement/${slug}`, 303);
  });

  app.post('/settlement/:federation/fee', { schema: { hide: true } }, async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const slug = (request.params as { federation: string }).federation;
    await setSettlementFee(db, actorOf(request), { federation: slug, bps: (request.body as { bps?: unknown })?.bps });
    return reply.redirect(`/settlement/${slug}`, 303);
  });

  async function runFor(request: FastifyRequest) {
    const { federation: slug, runId } = request.params as { federation: string; runId: string };
    const federation = await settledFederation(db, slug);
    const run = await findRun(db, runId);
    if (!run || run.federationId !== federation.id) throw notFound('run');
    const statements = await listRunStatements(db, actorOf(request), run.id);
    const timeZone = federationTimezone(await federationMembers(db, federation.id));
    return { federation, run, statements, timeZone };
  }

  app.get('/settlement/:federation/runs/:runId', { schema: { hide: true } }, async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const r = await runFor(request);
    return page(request, reply, r.federation.name, runPage(request, r.federation, r.run, r.statements, r.timeZone));
  });

  app.get('/settlement/:federation/runs/:runId/export.csv', { schema: { hide: true } }, async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const r = await runFor(request);
    const day = r.run.periodEnd.toISOString().slice(0, 10);
    return csv(
      reply,
      `reglement-${r.federation.slug}-${day}.csv`,
      runExportCsv(r.statements, r.timeZone, request.ctx.lang),
    );
  });

  async function statementFor(request: FastifyRequest) {
    const actor = actorOf(request);
    const statement = await getStatement(db, actor, (request.params as { id: string }).id);
    const place = await findPlaceBySlug(db, statement.placeSlug);
    return { actor, statement, timeZone: place?.timezone ?? 'UTC' };
  }

  async function showStatement(
    request: FastifyRequest,
    reply: FastifyReply,
    form: { key: string; form: FormState } | null = null,
    status = 200,
  ) {
    const { actor, statement, timeZone } = await statementFor(request);
    const treasurer = await mayTreasure(actor, statement.federationId);
    const stripeReady = Boolean(stripe) && Boolean(await connectedAccountOf(db, statement.placeId));
    const body = statementPage(
      request,
      statement,
      await verifyStatement(db, statement),
      timeZone,
      { treasurer, stripe: stripeReady },
      form,
      localDate(new Date(), timeZone),
    );
    return page(request, reply, statement.reference, body, status);
  }

  app.get('/settlement/statements/:id', { schema: { hide: true } }, async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    return showStatement(request, reply);
  });

  for (const key of ['paid', 'received'] as const) {
    app.post(`/settlement/statements/:id/${key}`, { schema: { hide: true } }, async (request, reply) => {
      if (!personOrLogin(request, reply)) return reply;
      const id = (request.params as { id: string }).id;
      const b = (request.body ?? {}) as Record<string, unknown>;
      const input = { statementId: id, reference: b.bankReference };
      return submitForm(reply, {
        run: () =>
          key === 'paid'
            ? markPaid(db, actorOf(request), { ...input, paidOn: b.paidOn })
            : markReceived(db, actorOf(request), { ...input, receivedOn: b.paidOn }),
        done: () => `/settlement/statements/${id}`,
        invalid: (errors) => showStatement(request, reply, { key, form: formErrors(errors, b) }, 422),
      });
    });
  }

  app.post('/settlement/statements/:id/stripe', { schema: { hide: true } }, async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const id = (request.params as { id: string }).id;
    await payByStripe(db, stripe, actorOf(request), { statementId: id });
    return reply.redirect(`/settlement/statements/${id}`, 303);
  });

  app.get('/settlement/statements/:id/statement.pdf', { schema: { hide: true } }, async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const { statement, timeZone } = await statementFor(request);
    const pdf = await statementPdf(db, statement, { lang: request.ctx.lang, timeZone, baseUrl: config.baseUrl });
    return reply
      .type('application/pdf')
      .header('content-disposition', `inline; filename="releve-${statement.reference}.pdf"`)
      .header('cache-control', 'no-store')
      .send(pdf);
  });

  app.get('/settlement/statements/:id/statement.csv', { schema: { hide: true } }, async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const { statement, timeZone } = await statementFor(request);
    const items = await settledItems(db, statement.id);
    return csv(reply, `releve-${statement.reference}.csv`, statementCsv(statement, items, timeZone, request.ctx.lang));
  });

  app.get('/venues/:slug/admin/settlement', { schema: { hide: true } }, async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const place = await getPlaceBySlug(db, (request.params as { slug: string }).slug);
    const actor = actorOf(request);
    await authorize(db, actor, place.id, 'settlement.read');
    const statements = await listVenueStatements(db, actor, place.id);
    const [federation] = await federationsOfPlace(db, place.id);
    const currency = federation ? await federationToken(db, federation.id) : null;
    const position = currency ? (await venuePositions(db, currency.id, [place.id])).get(place.id)! : null;
    const { t } = request.ctx;
    return page(
      request,
      reply,
      `${t('admin.titles.settlement')} — ${place.name}`,
      venuePage(request, place, currency?.code ?? null, position, statements, place.timezone),
    );
  });

  // --- JSON API ---
  const security: Record<string, string[]>[] = [{ apiKey: [] }, { session: [] }];
  app.get(
    '/api/v1/venues/:slug/settlement/statements',
    {
      schema: {
        tags: ['settlement'],
        summary: "A venue's settlement statements, newest first",
        description:
          'The venue’s admins, its API keys with the `settlement:read` scope, and its federation’s treasurers (docs/SETTLEMENT.md).',
        security,
        params: Type.Object({ slug: Type.String({ maxLength: 60 }) }),
        response: responses({ 200: Type.Object({ items: Type.Array(StatementSchema) }) }),
      },
    },
    async (request) => {
      const place = await getPlaceBySlug(db, request.params.slug);
      const items: Statement[] = await listVenueStatements(db, actorOf(request), place.id);
      return { items: items.map(presentStatement) };
    },
  );

  app.get(
    '/api/v1/settlement/statements/:id',
    {
      schema: {
        tags: ['settlement'],
        summary: 'One settlement statement, with its verification (signature, lines, closing)',
        security,
        params: Type.Object({ id: Type.String({ maxLength: 36 }) }),
        response: responses({
          200: Type.Object({
            statement: StatementSchema,
            verification: Type.Object({ ok: Type.Boolean(), problems: Type.Array(Type.String()) }),
          }),
        }),
      },
    },
    async (request) => {
      const statement = await getStatement(db, actorOf(request), request.params.id);
      return { statement: presentStatement(statement), verification: await verifyStatement(db, statement) };
    },
  );
}
