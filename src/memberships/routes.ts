import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Db } from '../db/database.ts';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf, personOrLogin } from '../http/context.ts';
import { formBody, submitForm, venueFor } from '../http/formRoute.ts';
import { findPersonByEmail } from '../accounts/index.ts';
import { csrfField, emptyForm, errorSummary, input, select, textarea, type FormState } from '../http/forms.ts';
import { html, type Html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { responses } from '../http/schemas.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError } from '../shared/errors.ts';
import { formatEuros } from '../shared/money.ts';
import { adminNav, getPlaceBySlug, type Place } from '../places/index.ts';
import { MANUAL_METHODS, addMembership } from './addMembership.ts';
import { buyMembership } from './buyMembership.ts';
import { approveMembership, cancelMembership } from './changeMembership.ts';
import { createMembershipProduct } from './createMembershipProduct.ts';
import { exportMembers } from './exportMembers.ts';
import { importMembers, type ImportReport } from './importMembers.ts';
import { membersOf, membershipsOfPerson, validMembershipsOf } from './memberships.ts';
import { PRICE_KINDS, VALIDITY_KINDS, findProduct, productsOf, type MembershipProduct } from './products.ts';
import { renewMembership } from './renewMembership.ts';
import { updateMembershipProduct } from './updateMembershipProduct.ts';
import { today } from './validity.ts';
import { dayOfYearText, LATE_RULES, membershipTerms } from './lateRule.ts';
import { membershipFormPage, termsPriceText, termsText } from './membershipFormPage.ts';
import { isUuid } from '../shared/ids.ts';

function priceText(request: FastifyRequest, p: MembershipProduct): string {
  const { t, lang } = request.ctx;
  if (p.priceKind === 'free') return t('memberships.free');
  if (p.priceKind === 'pay_what_you_want') return t('memberships.pwyw', { min: formatEuros(p.minPriceCents, lang) });
  return formatEuros(p.priceCents, lang);
}

function validityText(request: FastifyRequest, p: MembershipProduct): string {
  const { t } = request.ctx;
  return t(`memberships.validity.${p.validityKind}`, {
    count: p.validityValue,
    month: p.validityValue ? t(`months.${p.validityValue}`) : '',
  });
}

/** The "Adhérer" section of a venue's public page: products on sale, today's terms, each with its form's link. */
export async function renderVenueMemberships(request: FastifyRequest, db: Db, place: Place): Promise<Html | ''> {
  if (!place.modules.includes('memberships')) return '';
  const products = await productsOf(db, place.id, { activeOnly: true });
  if (products.length === 0) return '';
  const { t } = request.ctx;
  const day = today(place.timezone);
  return html`<section id="memberships" aria-labelledby="memberships-title">
<h2 id="memberships-title">${t('memberships.join')}</h2>
<ul class="cards">${products.map((p) => {
    const terms = membershipTerms(p, day);
    return html`<li class="card"><h3>${p.name}</h3>${p.description ? html`<p>${p.description}</p>` : ''}
<p>${terms.applied === 'none' ? html`${validityText(request, p)} · ` : ''}<strong>${termsPriceText(request, p, terms)}</strong></p>
<p class="hint">${termsText(request, p, terms)}</p>
<p><a class="button" href="/venues/${place.slug}/memberships/${p.id}">${t('memberships.buy')}<span class="visually-hidden"> — ${p.name}</span></a></p></li>`;
  })}</ul>
</section>`;
}

/** "Mes adhésions" on the account page. */
export async function renderMyMemberships(request: FastifyRequest, db: Db, personId: string): Promise<Html> {
  const { t, lang } = request.ctx;
  const mine = await membershipsOfPerson(db, personId);
  return html`<h2 id="memberships">${t('memberships.mine')}</h2>
${
  mine.length === 0
    ? html`<p>${t('memberships.none')}</p>`
    : html`<ul>${mine.map(
        (
          m,
        ) => html`<li><a href="/venues/${m.placeSlug}">${m.placeName}</a> — ${m.productName} : ${t(`memberships.status.${m.status}`)},
${m.startsOn} → ${m.endsOn ?? t('memberships.lifetime')}${m.amountCents ? html` (${formatEuros(m.amountCents, lang)})` : ''}</li>`,
      )}</ul>`
}`;
}

/** Membership products and members of a venue (admin), buying a membership (public), and the API. */
export async function membershipRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { config, db, stripe } = deps;

  const adminPlace = venueFor(db, 'memberships.manage');

  interface PageState {
    product?: FormState;
    add?: FormState;
    importReport?: ImportReport & { csv: string };
    importForm?: FormState;
    notice?: string;
  }

  async function adminPage(
    request: FastifyRequest,
    reply: FastifyReply,
    place: Place,
    state: PageState = {},
    status = 200,
  ) {
    const { t, lang } = request.ctx;
    const search = String((request.query as { q?: string }).q ?? '').slice(0, 100);
    const [products, members] = await Promise.all([
      productsOf(db, place.id),
      membersOf(db, place.id, { search, limit: 200 }),
    ]);
    const productForm =
      state.product ??
      emptyForm({
        validity_kind: 'calendar_year',
        validity_value: '',
        price_kind: 'fixed',
        reminder_days: '15',
        late_rule: 'none',
      });
    const addForm = state.add ?? emptyForm({ method: 'cash', starts_on: today(place.timezone) });
    const importForm = state.importForm ?? emptyForm();
    const r = state.importReport;
    const body = html`<section>
${adminNav(request, place, 'memberships')}
${state.notice ? html`<p class="notice" role="status">${state.notice}</p>` : ''}
${place.modules.includes('memberships') ? '' : html`<p class="alert">${t('memberships.moduleOff')}</p>`}
<h2>${t('memberships.products')}</h2>
<div class="table-scroll"><table class="list"><thead><tr><th scope="col">${t('labels.name')}</th><th scope="col">${t('labels.validity_kind')}</th><th scope="col">${t('labels.price')}</th><th scope="col">${t('memberships.onSale')}</th></tr></thead>
<tbody>${products.map(
      (
        p,
      ) => html`<tr><td>${p.name}${p.requiresApproval ? html` <small>(${t('memberships.approval')})</small>` : ''}</td><td>${validityText(request, p)}${p.lateRule !== 'none' && p.lateFrom ? html`<br><small>${t(`memberships.late.summary.${p.lateRule}`, { from: dayOfYearText(p.lateFrom) })}</small>` : ''}</td><td>${priceText(request, p)}</td>
<td><form method="post" action="/venues/${place.slug}/admin/memberships/products/${p.id}/${p.active ? 'off' : 'on'}" class="inline">${csrfField(request)}${p.active ? t('memberships.yes') : t('memberships.no')} <button class="link" type="submit">${p.active ? t('memberships.takeOff') : t('memberships.putOn')}</button></form></td></tr>`,
    )}</tbody></table></div>
<details${state.product ? html` open` : ''}><summary>${t('memberships.newProduct')}</summary>
${errorSummary(request, productForm)}
<form method="post" action="/venues/${place.slug}/admin/memberships/products" novalidate>${csrfField(request)}
${input(request, productForm, 'name', { required: true })}
${textarea(request, productForm, 'description', { rows: 2 })}
<div class="row">${select(
      request,
      productForm,
      'validity_kind',
      VALIDITY_KINDS.map((k) => ({ value: k, label: t(`memberships.kind.${k}`) })),
    )}
${input(request, productForm, 'validity_value', { hint: t('memberships.validityHint'), attrs: html` inputmode="numeric"` })}</div>
<div class="row">${select(
      request,
      productForm,
      'price_kind',
      PRICE_KINDS.map((k) => ({ value: k, label: t(`memberships.priceKind.${k}`) })),
    )}
${input(request, productForm, 'price', { attrs: html` inputmode="decimal"` })}${input(request, productForm, 'min_price', { attrs: html` inputmode="decimal"` })}</div>
<fieldset><legend>${t('memberships.late.legend')}</legend><p class="hint">${t('memberships.late.hint')}</p>
<div class="row">${select(
      request,
      productForm,
      'late_rule',
      LATE_RULES.map((k) => ({ value: k, label: t(`memberships.late.rule.${k}`) })),
    )}
${input(request, productForm, 'late_from', { hint: t('memberships.late.fromHint'), attrs: html` inputmode="numeric" placeholder="01/10"` })}</div></fieldset>
${input(request, productForm, 'reminder_days', { attrs: html` inputmode="numeric"` })}
<label class="check"><input type="checkbox" name="requires_approval" value="on"${productForm.values.requires_approval ? html` checked` : ''}> ${t('memberships.requiresApproval')}</label>
<button type="submit">${t('memberships.createProduct')}</button></form></details>

<h2>${t('memberships.members', { count: members.length })}</h2>
<form method="get" action="/venues/${place.slug}/admin/memberships" role="search" class="inline-form"><label for="q">${t('home.search')}</label> <input id="q" name="q" type="search" value="${search}"> <button type="submit">${t('home.searchButton')}</button>
<a class="button" href="/venues/${place.slug}/admin/memberships/export.csv">${t('memberships.export')}</a></form>
<div class="table-scroll"><table class="list"><thead><tr><th scope="col">${t('team.person')}</th><th scope="col">${t('labels.product')}</th><th scope="col">${t('memberships.period')}</th><th scope="col">${t('keys.state')}</th><th scope="col"><span class="visually-hidden">${t('team.actions')}</span></th></tr></thead>
<tbody>${members.map(
      (
        m,
      ) => html`<tr><td>${m.name || m.email}${m.name ? html`<br><small>${m.email}</small>` : ''}</td><td>${m.productName}</td>
<td>${m.startsOn} → ${m.endsOn ?? t('memberships.lifetime')}<br><small>${t(`memberships.method.${m.method}`)} ${formatEuros(m.amountCents, lang)}</small></td>
<td>${t(`memberships.status.${m.status}`)}</td>
<td>${m.status === 'pending_approval' ? html`<form method="post" action="/venues/${place.slug}/admin/memberships/${m.id}/approve" class="inline">${csrfField(request)}<button type="submit">${t('memberships.approve')}</button></form>` : ''}
${m.status === 'active' && m.endsOn ? html`<form method="post" action="/venues/${place.slug}/admin/memberships/${m.id}/renew" class="inline">${csrfField(request)}<input type="hidden" name="method" value="cash"><button type="submit" class="link">${t('memberships.renewCash')}</button></form>` : ''}
${m.status !== 'cancelled' ? html`<form method="post" action="/venues/${place.slug}/admin/memberships/${m.id}/cancel" class="inline">${csrfField(request)}<button type="submit" class="danger">${t('memberships.cancel')}</button></form>` : ''}</td></tr>`,
    )}</tbody></table></div>

<h2>${t('memberships.addByHand')}</h2>
${errorSummary(request, addForm)}
<form method="post" action="/venues/${place.slug}/admin/memberships/add" novalidate>${csrfField(request)}
${input(request, addForm, 'email', { type: 'email', required: true })}
${select(
  request,
  addForm,
  'product',
  products.filter((p) => p.active).map((p) => ({ value: p.id, label: p.name })),
)}
<div class="row">${select(
      request,
      addForm,
      'method',
      MANUAL_METHODS.map((m) => ({ value: m, label: t(`memberships.method.${m}`) })),
    )}
${input(request, addForm, 'amount', { attrs: html` inputmode="decimal"` })}${input(request, addForm, 'starts_on', { type: 'date' })}</div>
${input(request, addForm, 'note')}
<button type="submit">${t('memberships.add')}</button></form>

<h2>${t('memberships.import')}</h2>
<p class="hint">${t('memberships.importHint')}</p>
${
  r
    ? html`<div class="notice" role="status"><p>${t('memberships.importReport', { accepted: r.accepted.length, rejected: r.rejected.length })}</p>
${r.rejected.length ? html`<ul>${r.rejected.map((x) => html`<li>${t('memberships.line', { line: x.line })} : ${t(`import.${x.reason}`, x.params)}</li>`)}</ul>` : ''}
${!r.imported && r.accepted.length ? html`<form method="post" action="/venues/${place.slug}/admin/memberships/import" enctype="multipart/form-data">${csrfField(request)}<input type="hidden" name="apply" value="1"><textarea name="csv" hidden aria-hidden="true">${r.csv}</textarea><button type="submit">${t('memberships.importApply', { count: r.accepted.length })}</button></form>` : ''}</div>`
    : ''
}
${errorSummary(request, importForm)}
<form method="post" action="/venues/${place.slug}/admin/memberships/import" enctype="multipart/form-data">${csrfField(request)}
<div class="field"><label for="file">${t('labels.file')}</label><input id="file" name="file" type="file" accept=".csv,text/csv"></div>
<button type="submit">${t('memberships.importPreview')}</button></form>
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('admin.titles.memberships'), body }), status);
  }

  app.get('/venues/:slug/admin/memberships', async (request, reply) => {
    const place = await adminPlace(request, reply);
    return place ? adminPage(request, reply, place) : reply;
  });

  app.post('/venues/:slug/admin/memberships/products', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const body = formBody(request);
    return submitForm(reply, {
      run: () => createMembershipProduct(db, actorOf(request), place.slug, body),
      done: (p) =>
        adminPage(request, reply, place, { notice: request.ctx.t('memberships.productCreated', { name: p.name }) }),
      invalid: (errors) => adminPage(request, reply, place, { product: { values: body, errors } }, 422),
    });
  });

  app.post('/venues/:slug/admin/memberships/products/:id/:state', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const { id, state } = request.params as { id: string; state: string };
    if (state !== 'on' && state !== 'off') throw new DomainError('not-found', 404, { what: 'page' });
    const product = (await productsOf(db, place.id)).find((p) => p.id === id);
    if (!product) throw new DomainError('not-found', 404, { what: 'membership-product' });
    await updateMembershipProduct(db, actorOf(request), {
      slug: place.slug,
      productId: id,
      active: state === 'on',
      fields: {
        name: product.name,
        description: product.description,
        validity_kind: product.validityKind,
        validity_value: String(product.validityValue),
        price_kind: product.priceKind,
        price_cents: product.priceCents,
        min_price_cents: product.minPriceCents,
        requires_approval: product.requiresApproval,
        reminder_days: String(product.reminderDays),
        late_rule: product.lateRule,
        late_from: product.lateFrom ? dayOfYearText(product.lateFrom) : '',
      },
    });
    return reply.redirect(`/venues/${place.slug}/admin/memberships`, 303);
  });

  app.post('/venues/:slug/admin/memberships/add', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const body = formBody(request);
    const input = { email: body.email, productId: body.product, method: body.method, amount: body.amount };
    return submitForm(reply, {
      run: () =>
        addMembership(db, config, actorOf(request), {
          slug: place.slug,
          ...input,
          startsOn: body.starts_on,
          note: body.note,
        }),
      done: (m) => adminPage(request, reply, place, { notice: request.ctx.t('memberships.added', { email: m.email }) }),
      invalid: (errors) => adminPage(request, reply, place, { add: { values: body, errors } }, 422),
    });
  });

  app.post('/venues/:slug/admin/memberships/:id/:action', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const { id, action } = request.params as { id: string; action: string };
    const actor = actorOf(request);
    if (action === 'cancel') await cancelMembership(db, actor, { slug: place.slug, membershipId: id });
    else if (action === 'approve') await approveMembership(db, config, actor, { slug: place.slug, membershipId: id });
    else if (action === 'renew')
      await renewMembership(db, config, actor, {
        slug: place.slug,
        membershipId: id,
        method: formBody(request).method,
        amount: formBody(request).amount ?? '0',
      });
    else throw new DomainError('not-found', 404, { what: 'page' });
    return reply.redirect(`/venues/${place.slug}/admin/memberships`, 303);
  });

  app.post('/venues/:slug/admin/memberships/import', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const body = formBody(request);
    const csv = Buffer.isBuffer(body.file) ? body.file.toString('utf8') : typeof body.csv === 'string' ? body.csv : '';
    return submitForm(reply, {
      run: () => importMembers(db, config, actorOf(request), { slug: place.slug, csv, apply: body.apply === '1' }),
      done: (report) => adminPage(request, reply, place, { importReport: { ...report, csv } }),
      invalid: (errors) => adminPage(request, reply, place, { importForm: { values: {}, errors } }, 422),
    });
  });

  app.get('/venues/:slug/admin/memberships/export.csv', async (request, reply) => {
    const place = await adminPlace(request, reply);
    if (!place) return reply;
    const csv = await exportMembers(db, actorOf(request), place.slug);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${place.slug}-members-${today(place.timezone)}.csv"`)
      .header('cache-control', 'no-store')
      .send('\uFEFF' + csv);
  });

  /** The membership form: logged out, the person logs in and comes back here (`next`, docs/MEMBERSHIPS.md). */
  async function membershipForm(request: FastifyRequest, reply: FastifyReply, state = {}, status = 200) {
    const { slug, productId } = request.params as { slug: string; productId: string };
    const place = await getPlaceBySlug(db, slug);
    const product = isUuid(productId) ? await findProduct(db, place.id, productId) : null;
    if (!product || !product.active || !place.modules.includes('memberships'))
      throw new DomainError('not-found', 404, { what: 'membership-product' });
    const terms = membershipTerms(product, today(place.timezone));
    const body = membershipFormPage(request, place, product, terms, state);
    const title = request.ctx.t('memberships.form.title', { name: product.name });
    return sendHtml(reply, layout(request, info, { title, body }), status);
  }

  app.get('/venues/:slug/memberships/:productId', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    return membershipForm(request, reply);
  });

  app.post('/venues/:slug/memberships/:productId', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const { slug, productId } = request.params as { slug: string; productId: string };
    const body = formBody(request);
    return submitForm(reply, {
      run: () =>
        buyMembership(db, stripe, config, actorOf(request), {
          slug,
          productId,
          amount: body.amount,
          wallet: body.pay === 'wallet',
        }),
      done: (result) =>
        result.kind === 'pay'
          ? result.url
          : result.kind === 'paid'
            ? '/account?payment=paid#memberships'
            : `/account?membership=${result.status}#memberships`,
      invalid: (errors) =>
        membershipForm(
          request,
          reply,
          {
            amount: typeof body.amount === 'string' ? body.amount : '',
            error: errors.map((e) => request.ctx.t(`fields.${e.message}`, e.params)).join(' '),
          },
          422,
        ),
    });
  });

  // --- API: is this person a member here? (the till and the door ask it) ---
  app.get(
    '/api/v1/venues/:slug/members',
    {
      schema: {
        tags: ['memberships'],
        summary: "A venue's memberships valid today, optionally for one e-mail address",
        description: 'Venue admins, cashiers and door team, or an API key with `memberships:read`.',
        security: [{ apiKey: [] }, { session: [] }],
        params: Type.Object({ slug: Type.String({ maxLength: 60 }) }),
        querystring: Type.Object({ email: Type.Optional(Type.String({ maxLength: 254 })) }),
        response: responses({
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.String(),
                email: Type.String(),
                name: Type.String(),
                product: Type.String(),
                startsOn: Type.String(),
                endsOn: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
          }),
        }),
      },
    },
    async (request) => {
      const place = await getPlaceBySlug(db, request.params.slug);
      await authorize(db, actorOf(request), place.id, 'memberships.read');
      const day = today(place.timezone);
      const email = request.query.email?.trim().toLowerCase();
      let items;
      if (email) {
        const person = await findPersonByEmail(db, email);
        items = person ? await validMembershipsOf(db, person.id, day, [place.id]) : [];
      } else {
        items = (await membersOf(db, place.id, { status: 'active', limit: 5000 })).filter(
          (m) => m.startsOn <= day && (m.endsOn === null || m.endsOn >= day),
        );
      }
      return {
        items: items.map((m) => ({
          id: m.id,
          email: m.email,
          name: m.name,
          product: m.productName,
          startsOn: m.startsOn,
          endsOn: m.endsOn,
        })),
      };
    },
  );
}
