import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf, personOrLogin } from '../http/context.ts';
import { formBody, submitForm } from '../http/formRoute.ts';
import { csrfField, emptyForm, errorSummary, input, type FormState } from '../http/forms.ts';
import { escapeHtml, html, unsafeRaw, type Html } from '../http/html.ts';
import QRCode from 'qrcode';
import { layout, sendHtml } from '../http/layout.ts';
import { formatDateTime } from '../i18n/i18n.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, forbidden, notFound } from '../shared/errors.ts';
import {
  balancesOf,
  balancesTable,
  historyOf,
  historyTable,
  ownerBalances,
  pageOfTransfers,
  type Transfer,
} from '../ledger/index.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { blockCardAtVenue, blockCardByHolder, unblockCard } from './blockCard.ts';
import {
  cardView,
  cardsOfPerson,
  findCardById,
  findCardByToken,
  recentlyBlockedCards,
  searchCards,
  type Card,
  type CardView,
} from './cards.ts';
import { makeClaimTicket, readClaimTicket } from './claimTicket.ts';
import { importCards, listCardBatches, type CardImportReport } from './importCards.ts';
import { linkCard } from './linkCard.ts';
import { TokenLookupLimiter } from './rateLimit.ts';

/** Lookups of QR tokens per client address and minute (card page and linking together). */
export const TOKEN_LOOKUPS_PER_MINUTE = 30;
const HISTORY = 20;

interface Line {
  accountId: string;
  currencyCode: string;
  currencyName: string;
  decimals: number;
  balance: number;
  available: number;
}

/**
 * Cards: the public card page (by QR token only), linking a card to one's wallet, "My cards" with
 * the block button, blocking at a venue by a cashier, and the operator's batches, import and unblock.
 */
export async function cardRoutes(app: ModuleApp, { deps, info, sections }: ModuleOptions) {
  const { config, db, secret } = deps;
  const limiter = new TokenLookupLimiter(TOKEN_LOOKUPS_PER_MINUTE, 60_000);
  const page = (request: FastifyRequest, reply: FastifyReply, title: string, body: Html, status = 200) =>
    sendHtml(reply, layout(request, info, { title, body }), status);

  /** The card of a QR token, counted against the client's limit; unknown and malformed tokens are the same 404. */
  async function cardOfToken(request: FastifyRequest, reply: FastifyReply): Promise<Card> {
    if (!limiter.take(request.ip)) {
      reply.header('retry-after', String(limiter.retryAfter(request.ip)));
      throw new DomainError('rate-limited', 429);
    }
    const card = await findCardByToken(db, (request.params as { token?: string }).token);
    if (!card) throw notFound('page');
    return card;
  }

  const status = (request: FastifyRequest, card: Pick<Card, 'status'>) =>
    html`<span class="badge ${card.status === 'blocked' ? 'danger' : ''}">${request.ctx.t(`cards.status.${card.status}`)}</span>`;

  const cardBalances = (request: FastifyRequest, lines: Line[]) =>
    lines.length === 0
      ? html`<p>${request.ctx.t('cards.noBalance')}</p>`
      : balancesTable(request, db, lines, request.ctx.t('cards.balances'));

  const cardHistory = (request: FastifyRequest, lines: Line[], transfers: Transfer[]) =>
    transfers.length === 0
      ? html`<p>${request.ctx.t('cards.noHistory')}</p>`
      : historyTable(request, db, {
          lines,
          transfers,
          notes: sections.transferNotes,
          timeZone: config.timeZone,
          caption: request.ctx.t('cards.history', { count: transfers.length }),
        });

  async function cardLines(card: Card): Promise<Line[]> {
    return ownerBalances(db, { ownerKind: 'card', ownerRef: card.id });
  }

  // --- The card page: anyone holding the printed QR token ---
  app.get('/cards/:token', async (request, reply) => {
    const card = await cardOfToken(request, reply);
    const { t, person } = request.ctx;
    const token = (request.params as { token: string }).token;
    // The page's URL holds the card's QR token, a bearer secret: the header's "Log in" never copies it
    // (an anonymous card's page returns through a claim ticket, any other to the account).
    request.ctx.loginNext = card.personId === null ? `/cards/claim/${makeClaimTicket(secret, card.id)}` : null;
    let content: Html;
    if (card.personId === null) {
      const lines = await cardLines(card);
      const history = await pageOfTransfers(
        db,
        lines.map((l) => l.accountId),
        { limit: HISTORY },
      );
      const claim = `/cards/claim/${makeClaimTicket(secret, card.id)}`;
      const linkAction =
        card.status !== 'active'
          ? html`<p class="alert">${t('cards.blockedNoLink')}</p>`
          : person
            ? html`<form method="post" action="/cards/${token}/link">${csrfField(request)}<button type="submit">${t('cards.link')}</button></form>`
            : html`<p><a class="button" href="/login?next=${encodeURIComponent(claim)}">${t('cards.loginToLink')}</a></p>`;
      content = html`<p>${t('cards.anonymous')}</p>
${await cardBalances(request, lines)}
<h2>${t('cards.linkTitle')}</h2><p>${t('cards.linkIntro')}</p>${linkAction}
<p class="hint">${t('cards.topUpAnonymous')}</p>
<h2>${t('cards.historyTitle')}</h2>${await cardHistory(request, lines, history.transfers)}`;
    } else if (person && person.id === card.personId) {
      const actor = actorOf(request);
      const balances = await balancesOf(db, actor);
      const lines = balances.map((b) => ({
        accountId: b.accountId,
        currencyCode: b.currencyCode,
        currencyName: b.currencyName,
        decimals: b.decimals,
        balance: b.balance,
        available: b.available,
      }));
      const history = await historyOf(db, actor, { limit: HISTORY });
      content = html`<p>${t('cards.linkedToYou')}</p>
${await cardBalances(request, lines)}
<p><a class="button" href="/wallet#top-up">${t('cards.topUpOnline')}</a></p>
<p><a href="/account/cards">${t('cards.mine')}</a> · <a href="/wallet">${t('layout.wallet')}</a> · <a href="/transparency">${t('cards.transparency')}</a></p>
<h2>${t('cards.historyTitle')}</h2>${await cardHistory(request, lines, history.transfers)}`;
    } else {
      content = html`<p>${t('cards.linkedToWallet')}</p>${person ? '' : html`<p><a class="button" href="/login?next=${encodeURIComponent('/account/cards')}">${t('layout.login')}</a></p>`}`;
    }
    // The card's QR code (its own address, as printed on the card), for those who may see its page: a
    // phone till reads it with its camera. Drawn by the qrcode library from our URL, not from input.
    const mayPay = card.status === 'active' && (card.personId === null || person?.id === card.personId);
    const qr = mayPay
      ? await QRCode.toString(`${config.baseUrl}/cards/${token}`, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
      : '';
    const body = html`<section class="narrow">
<h1>${t('cards.cardTitle', { number: card.number })}</h1>
<p>${t('cards.statusLabel')} ${status(request, card)}</p>
${content}
${qr ? html`<details class="card-qr"><summary>${t('cards.qrTitle')}</summary><p class="hint">${t('cards.qrHint')}</p><figure class="qr qr-small">${unsafeRaw(qr.replace('<svg ', `<svg role="img" aria-label="${escapeHtml(t('cards.qrTitle'))}" width="240" height="240" `))}</figure></details>` : ''}
</section>`;
    reply.header('x-robots-tag', 'noindex');
    return page(request, reply, t('cards.cardTitle', { number: card.number }), body);
  });

  app.post('/cards/:token/link', async (request, reply) => {
    const card = await cardOfToken(request, reply);
    if (!request.ctx.person)
      return reply.redirect(
        `/login?next=${encodeURIComponent(`/cards/claim/${makeClaimTicket(secret, card.id)}`)}`,
        303,
      );
    await linkCard(db, actorOf(request), { cardId: card.id });
    return reply.redirect('/account/cards?linked=1', 303);
  });

  // --- After logging in: the claim ticket stands for the token ---
  async function claimedCard(request: FastifyRequest): Promise<Card> {
    const cardId = readClaimTicket(secret, (request.params as { ticket: string }).ticket);
    const card = cardId ? await findCardById(db, cardId) : null;
    if (!card) throw notFound('page');
    return card;
  }

  app.get('/cards/claim/:ticket', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const card = await claimedCard(request);
    const { t } = request.ctx;
    const { ticket } = request.params as { ticket: string };
    const body = html`<section class="narrow">
<h1>${t('cards.cardTitle', { number: card.number })}</h1>
<p>${t('cards.linkIntro')}</p>
<form method="post" action="/cards/claim/${ticket}">${csrfField(request)}<button type="submit" autofocus>${t('cards.link')}</button></form>
</section>`;
    return page(request, reply, t('cards.linkTitle'), body);
  });

  app.post('/cards/claim/:ticket', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const card = await claimedCard(request);
    await linkCard(db, actorOf(request), { cardId: card.id });
    return reply.redirect('/account/cards?linked=1', 303);
  });

  // --- My cards ---
  app.get('/account/cards', async (request, reply) => {
    const person = personOrLogin(request, reply);
    if (!person) return reply;
    const { t, lang } = request.ctx;
    const cards = await cardsOfPerson(db, person.id);
    const query = request.query as { linked?: string; blocked?: string };
    const notice =
      query.linked === '1' ? t('cards.linkedNotice') : query.blocked === '1' ? t('cards.blockedNotice') : '';
    const body = html`<section>
<h1>${t('cards.mine')}</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<p>${t('cards.mineIntro')}</p>
${
  cards.length === 0
    ? html`<p>${t('cards.noneLinked')}</p>`
    : html`<div class="table-scroll"><table class="list"><thead><tr><th scope="col">${t('cards.number')}</th><th scope="col">${t('cards.statusColumn')}</th><th scope="col">${t('cards.linkedAt')}</th><th scope="col"><span class="visually-hidden">${t('cards.actions')}</span></th></tr></thead>
<tbody>${cards.map(
        (
          c,
        ) => html`<tr><td class="mono">${c.number}</td><td>${status(request, c)}</td><td>${c.linkedAt ? formatDateTime(lang, c.linkedAt, config.timeZone) : ''}</td>
<td>${c.status === 'active' ? html`<a class="button danger" href="/account/cards/${c.id}/block">${t('cards.block')}</a>` : html`<small>${t('cards.unblockByOperator')}</small>`}</td></tr>`,
      )}</tbody></table></div>`
}
<p><a href="/wallet">${t('layout.wallet')}</a></p>
</section>`;
    return page(request, reply, t('cards.mine'), body);
  });

  async function heldCard(request: FastifyRequest, personId: string): Promise<CardView> {
    const card = await cardView(db, (request.params as { id: string }).id).catch(() => null);
    if (!card || card.personId !== personId) throw notFound('card');
    return card;
  }

  app.get('/account/cards/:id/block', async (request, reply) => {
    const person = personOrLogin(request, reply);
    if (!person) return reply;
    const card = await heldCard(request, person.id);
    const { t } = request.ctx;
    const body = html`<section class="narrow">
<h1>${t('cards.blockTitle', { number: card.number })}</h1>
${
  card.status === 'blocked'
    ? html`<p>${t('cards.alreadyBlocked')}</p>`
    : html`<p>${t('cards.blockConfirm')}</p>
<form method="post" action="/account/cards/${card.id}/block">${csrfField(request)}<button type="submit" class="danger">${t('cards.blockYes')}</button> <a href="/account/cards">${t('cards.cancel')}</a></form>`
}
</section>`;
    return page(request, reply, t('cards.blockTitle', { number: card.number }), body);
  });

  app.post('/account/cards/:id/block', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    await blockCardByHolder(db, actorOf(request), { cardId: (request.params as { id: string }).id });
    return reply.redirect('/account/cards?blocked=1', 303);
  });

  // --- A venue's cashier blocks a card for its holder ---
  async function cashierPage(
    request: FastifyRequest,
    reply: FastifyReply,
    slug: string,
    state: { form?: FormState & { cardId: string }; notice?: string } = {},
    code = 200,
  ) {
    const place = await getPlaceBySlug(db, slug);
    await authorize(db, actorOf(request), place.id, 'till');
    const { t } = request.ctx;
    const q = String((request.query as { q?: string }).q ?? '').slice(0, 60);
    const found = state.form
      ? [await cardView(db, state.form.cardId)].filter((c): c is CardView => c !== null)
      : await searchCards(db, q);
    const body = html`<section>
<p class="breadcrumb"><a href="/venues/${place.slug}">${place.name}</a></p>
<h1>${t('cards.venueTitle')}</h1>
${state.notice ? html`<p class="notice" role="status">${state.notice}</p>` : ''}
<p>${t('cards.venueIntro')}</p>
<form method="get" action="/venues/${place.slug}/cards" role="search" class="inline-form"><label for="q">${t('cards.search')}</label> <input id="q" name="q" type="search" value="${q}" autocomplete="off"> <button type="submit">${t('home.searchButton')}</button></form>
${q && found.length === 0 && !state.form ? html`<p>${t('cards.noMatch')}</p>` : ''}
${found.map((c) => {
  const form = state.form ?? { ...emptyForm(), cardId: c.id };
  return html`<article class="card">
<h2>${t('cards.cardTitle', { number: c.number })}</h2>
<p>${t('cards.statusLabel')} ${status(request, c)}</p>
<p>${t('cards.holder')} <strong>${c.holderName || (c.personId ? t('cards.holderNoName') : t('cards.holderNone'))}</strong></p>
${
  c.status === 'active'
    ? html`${errorSummary(request, form)}<form method="post" action="/venues/${place.slug}/cards/${c.id}/block" novalidate>${csrfField(request)}
<div class="field"><label class="check"><input type="checkbox" id="identity_checked" name="identity_checked" value="on" required${form.errors.length ? html` aria-invalid="true" aria-describedby="identity_checked-error"` : ''}> ${t('labels.identity_checked')}</label>
${form.errors.some((e) => e.field === 'identity_checked') ? html`<p class="error" id="identity_checked-error">${t('fields.cards.identity-required')}</p>` : ''}</div>
${input(request, form, 'card_reason')}
<button type="submit" class="danger">${t('cards.block')}</button></form>`
    : html`<p>${t('cards.unblockByOperator')}</p>`
}
</article>`;
})}
</section>`;
    return page(request, reply, t('cards.venueTitle'), body, code);
  }

  app.get('/venues/:slug/cards', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    return cashierPage(request, reply, (request.params as { slug: string }).slug);
  });

  app.post('/venues/:slug/cards/:id/block', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const { slug, id } = request.params as { slug: string; id: string };
    const body = formBody(request);
    const input = { slug, cardId: id, identityChecked: body.identity_checked, reason: body.card_reason };
    return submitForm(reply, {
      run: () => blockCardAtVenue(db, actorOf(request), input),
      done: ({ card }) =>
        cashierPage(request, reply, slug, { notice: request.ctx.t('cards.blockedAtVenue', { number: card.number }) }),
      invalid: async (errors) => {
        if (!(await findCardById(db, id))) throw notFound('card');
        return cashierPage(request, reply, slug, { form: { values: body, errors, cardId: id } }, 422);
      },
    });
  });

  // --- The node operator: batches, import, unblock ---
  function requireOperator(request: FastifyRequest) {
    if (!request.ctx.person?.isOperator) throw forbidden();
  }

  async function adminPage(
    request: FastifyRequest,
    reply: FastifyReply,
    state: { report?: CardImportReport & { csv: string; name: string }; form?: FormState; notice?: string } = {},
    code = 200,
  ) {
    const { t, lang } = request.ctx;
    const actor = actorOf(request);
    const q = String((request.query as { q?: string }).q ?? '').slice(0, 60);
    const [batches, found, blocked] = await Promise.all([
      listCardBatches(db, actor),
      searchCards(db, q),
      recentlyBlockedCards(db),
    ]);
    const form = state.form ?? emptyForm({ name: state.report?.name ?? '' });
    const r = state.report;
    const unblockForm = (id: string) =>
      html`<form method="post" action="/admin/cards/${id}/unblock" class="inline">${csrfField(request)}<button type="submit" class="link">${t('cards.unblock')}</button></form>`;
    const body = html`<section>
<p class="breadcrumb"><a href="/admin">${t('nodeAdmin.title')}</a></p>
<h1>${t('cards.adminTitle')}</h1>
${state.notice ? html`<p class="notice" role="status">${state.notice}</p>` : ''}
<h2>${t('cards.batches', { count: batches.length })}</h2>
${
  batches.length === 0
    ? html`<p>${t('cards.noBatch')}</p>`
    : html`<div class="table-scroll"><table class="list"><thead><tr><th scope="col">${t('labels.name')}</th><th scope="col">${t('cards.importedAt')}</th><th scope="col" class="num">${t('cards.total')}</th><th scope="col" class="num">${t('cards.status.active')}</th><th scope="col" class="num">${t('cards.status.blocked')}</th><th scope="col" class="num">${t('cards.linkedCount')}</th></tr></thead>
<tbody>${batches.map((b) => html`<tr><td>${b.name}</td><td>${formatDateTime(lang, b.createdAt, config.timeZone)}</td><td class="num">${b.total}</td><td class="num">${b.active}</td><td class="num">${b.blocked}</td><td class="num">${b.linked}</td></tr>`)}</tbody></table></div>`
}

<h2>${t('cards.import')}</h2>
<p class="hint">${t('cards.importHint')}</p>
${
  r
    ? html`<div class="${r.rejected.length ? 'alert' : 'notice'}" role="status"><p>${r.imported ? t('cards.imported', { count: r.accepted }) : r.rejected.length ? t('cards.importRefused', { count: r.rejected.length }) : t('cards.importReady', { count: r.accepted })}</p>
${r.rejected.length ? html`<ul>${r.rejected.slice(0, 200).map((x) => html`<li>${t('cards.line', { line: x.line })} : ${t(`cards.import.${x.reason}`, x.params)}</li>`)}</ul>` : ''}
${!r.imported && r.rejected.length === 0 && r.accepted > 0 ? html`<form method="post" action="/admin/cards/import" enctype="multipart/form-data">${csrfField(request)}<input type="hidden" name="apply" value="1"><input type="hidden" name="name" value="${r.name}"><textarea name="csv" hidden aria-hidden="true">${r.csv}</textarea><button type="submit">${t('cards.importApply', { count: r.accepted })}</button></form>` : ''}</div>`
    : ''
}
${errorSummary(request, form)}
<form method="post" action="/admin/cards/import" enctype="multipart/form-data" novalidate>${csrfField(request)}
${input(request, form, 'name', { required: true })}
<div class="field"><label for="file">${t('labels.file')}</label><input id="file" name="file" type="file" accept=".csv,text/csv"${form.errors.some((e) => e.field === 'file') ? html` aria-invalid="true" aria-describedby="file-error"` : ''}>
${form.errors.some((e) => e.field === 'file') ? html`<p class="error" id="file-error">${form.errors.filter((e) => e.field === 'file').map((e) => t(`fields.${e.message}`, e.params))}</p>` : ''}</div>
<button type="submit">${t('cards.importPreview')}</button></form>

<h2>${t('cards.find')}</h2>
<form method="get" action="/admin/cards" role="search" class="inline-form"><label for="q">${t('cards.search')}</label> <input id="q" name="q" type="search" value="${q}" autocomplete="off"> <button type="submit">${t('home.searchButton')}</button></form>
${q && found.length === 0 ? html`<p>${t('cards.noMatch')}</p>` : ''}
${found.length ? html`<ul>${found.map((c) => html`<li><span class="mono">${c.number}</span> (${c.uid}) — ${c.batchName} — ${status(request, c)} — ${c.holderName || (c.personId ? t('cards.holderNoName') : t('cards.holderNone'))} ${c.status === 'blocked' ? unblockForm(c.id) : ''}</li>`)}</ul>` : ''}

<h2>${t('cards.blockedCards', { count: blocked.length })}</h2>
${blocked.length === 0 ? html`<p>${t('cards.noBlocked')}</p>` : html`<ul>${blocked.map((c) => html`<li><span class="mono">${c.number}</span> — ${c.blocked_at ? formatDateTime(lang, c.blocked_at, config.timeZone) : ''}${c.block_reason ? html` — ${c.block_reason}` : ''} ${unblockForm(c.id)}</li>`)}</ul>`}
</section>`;
    return page(request, reply, t('cards.adminTitle'), body, code);
  }

  app.get('/admin/cards', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    requireOperator(request);
    return adminPage(request, reply);
  });

  app.post('/admin/cards/import', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    requireOperator(request);
    const body = formBody(request);
    const csv =
      Buffer.isBuffer(body.file) && body.file.length > 0
        ? body.file.toString('utf8')
        : typeof body.csv === 'string'
          ? body.csv
          : '';
    const name = typeof body.name === 'string' ? body.name : '';
    return submitForm(reply, {
      run: () => importCards(db, actorOf(request), { name, csv, apply: body.apply === '1' }),
      done: (report) =>
        adminPage(request, reply, { report: { ...report, csv, name } }, report.rejected.length ? 422 : 200),
      invalid: (errors) => adminPage(request, reply, { form: { values: { name }, errors } }, 422),
    });
  });

  app.post('/admin/cards/:id/unblock', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    requireOperator(request);
    const { card } = await unblockCard(db, actorOf(request), { cardId: (request.params as { id: string }).id });
    return adminPage(request, reply, { notice: request.ctx.t('cards.unblocked', { number: card.number }) });
  });
}
