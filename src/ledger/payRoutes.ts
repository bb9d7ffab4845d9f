import type { FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf, cookieOptions, personOrLogin } from '../http/context.ts';
import { errorSummary, type FormState } from '../http/forms.ts';
import { escapeHtml, html, unsafeRaw } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { findPlaceBySlug, placesByIds, type Place } from '../places/index.ts';
import { FieldErrors, type FieldError } from '../shared/errors.ts';
import { MAX_AMOUNT_MINOR, parseEuros } from '../shared/money.ts';
import { formatAmount } from './transparency.ts';
import { venuesForPayment } from './venuesForPayment.ts';
import { issueWalletPass, WALLET_PASS_TTL_MS } from './walletPass.ts';
import { localeOf } from '../i18n/i18n.ts';

/** The last choice (venue slug and maximum in cents), so that the next visit shows a code at once. */
const CHOICE_COOKIE = 'rezo_pay';
const QUICK_AMOUNTS = ['10', '20', '50'];

/**
 * "Pay at a counter" (docs/LEDGER.md, "Wallet passes"): the person chooses the venue and the most it
 * may take, and shows the QR code of a wallet pass for that payment. The page remembers the choice: at
 * the bar, one tap on "Pay at a counter" shows a fresh code. It reloads itself before the code expires.
 */
export async function payRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { db, config } = deps;

  async function choosePage(
    request: FastifyRequest,
    reply: FastifyReply,
    values: { venue?: string; amount?: string },
    errors: FieldError[] = [],
  ) {
    const { t } = request.ctx;
    const person = request.ctx.person!;
    const venues = await venuesForPayment(db, person.id);
    const holds = new Set(venues.filter((v) => v.holds).map((v) => v.placeId));
    const places = (
      await placesByIds(
        db,
        venues.map((v) => v.placeId),
      )
    ).sort((a, b) => Number(holds.has(b.id)) - Number(holds.has(a.id)));
    const form: FormState = { values, errors };
    const invalid = (field: string) => errors.some((e) => e.field === field);
    const errorOf = (field: string) =>
      invalid(field)
        ? html`<p class="error" id="${field}-error">${errors.filter((e) => e.field === field).map((e) => t(`fields.${e.message}`, e.params))}</p>`
        : '';
    const body = html`<section class="narrow">
<p class="breadcrumb"><a href="/wallet">${t('ledger.wallet.title')}</a></p>
<h1>${t('ledger.pay.title')}</h1>
<p>${t('ledger.pay.intro')}</p>
${errorSummary(request, form)}
<form method="get" action="/wallet/pay" novalidate>
<div class="field"><label for="venue">${t('labels.venue')}</label>
<select id="venue" name="venue"${invalid('venue') ? html` aria-invalid="true" aria-describedby="venue-error"` : ''}>
${places.map((p) => html`<option value="${p.slug}"${p.slug === values.venue ? html` selected` : ''}>${p.name}</option>`)}
</select>${errorOf('venue')}</div>
<div class="field"><label for="amount">${t('labels.amount')}</label>
<p class="hint" id="amount-hint">${t('ledger.pay.amountHint')}</p>
<input id="amount" name="amount" inputmode="decimal" autocomplete="off" size="8" value="${values.amount ?? '20,00'}" aria-describedby="amount-hint${invalid('amount') ? ' amount-error' : ''}"${invalid('amount') ? html` aria-invalid="true"` : ''}>
${errorOf('amount')}</div>
<p><button type="submit">${t('ledger.pay.show')}</button></p>
<p>${t('ledger.pay.quick')} ${QUICK_AMOUNTS.map((a) => html`<button type="submit" name="max" value="${a}" class="secondary">${a} €</button> `)}</p>
</form>
</section>`;
    return sendHtml(
      reply.header('cache-control', 'no-store'),
      layout(request, info, { title: t('ledger.pay.title'), body }),
      errors.length > 0 ? 422 : 200,
    );
  }

  async function codePage(request: FastifyRequest, reply: FastifyReply, place: Place, maxAmount: number) {
    const { t, lang } = request.ctx;
    const issued = await issueWalletPass(db, actorOf(request), { placeId: place.id, maxAmount });
    const svg = await QRCode.toString(issued.pass, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    const amount = formatAmount(maxAmount, 2, lang);
    const until = issued.expiresAt.toLocaleTimeString(localeOf(lang), { timeZone: place.timezone });
    const again = `/wallet/pay?venue=${encodeURIComponent(place.slug)}&amount=${encodeURIComponent(amount)}`;
    const body = html`<section class="narrow">
<p class="breadcrumb"><a href="/wallet">${t('ledger.wallet.title')}</a></p>
<h1>${t('ledger.pay.at', { venue: place.name })}</h1>
<figure class="qr" style="max-width:320px">${unsafeRaw(svg.replace('<svg ', `<svg role="img" aria-label="${escapeHtml(t('ledger.pay.qr', { venue: place.name, amount }))}" width="320" height="320" `))}</figure>
<p><strong>${t('ledger.pay.max', { amount })}</strong></p>
<p>${t('ledger.pay.until', { time: until })}</p>
<p class="hint">${t('ledger.pay.once')}</p>
<p><a class="button" href="${again}">${t('ledger.pay.again')}</a> <a href="/wallet/pay?change=1">${t('ledger.pay.change')}</a></p>
</section>`;
    // The QR itself is reloaded (a new pass) a little before it expires, for as long as the page is open.
    const head = html`<meta http-equiv="refresh" content="${Math.floor((WALLET_PASS_TTL_MS - 15_000) / 1000)};url=${again}">`;
    reply.header('cache-control', 'no-store');
    reply.setCookie(CHOICE_COOKIE, `${place.slug}|${maxAmount}`, {
      ...cookieOptions(config, 365 * 86400),
      path: '/wallet',
    });
    return sendHtml(reply, layout(request, info, { title: t('ledger.pay.title'), body, head }));
  }

  app.get('/wallet/pay', { schema: { hide: true } }, async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const query = request.query as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v.trim().slice(0, 60) : undefined);
    let venue = text(query.venue);
    let amount = text(query.max) ?? text(query.amount);
    if (venue === undefined && amount === undefined && query.change === undefined) {
      // The last choice: one tap at the bar.
      const [slug, cents] = (request.cookies[CHOICE_COOKIE] ?? '').split('|');
      if (slug && cents && /^[0-9]{1,10}$/.test(cents)) {
        venue = slug;
        amount = formatAmount(Number(cents), 2, request.ctx.lang);
      }
    }
    if (venue === undefined || amount === undefined) {
      const [slug] = (request.cookies[CHOICE_COOKIE] ?? '').split('|');
      return choosePage(request, reply, { ...(slug ? { venue: slug } : {}) });
    }
    const errors = new FieldErrors();
    const place = await findPlaceBySlug(db, venue);
    if (!place) errors.add('venue', 'choice');
    const cents = parseEuros(amount);
    if (cents === null || cents < 1 || cents > MAX_AMOUNT_MINOR)
      errors.add('amount', 'ledger.amount-range', { max: formatAmount(MAX_AMOUNT_MINOR, 2, request.ctx.lang) });
    if (errors.list.length > 0) return choosePage(request, reply, { venue, amount }, errors.list);
    return codePage(request, reply, place!, cents!);
  });
}
