/** The devices page of a venue's till admin: its tills and scanners, pending pairings, the pairing form. */
import type { FastifyRequest } from 'fastify';
import { csrfField, emptyForm, errorSummary, input, select, type FormState } from '../http/forms.ts';
import { escapeHtml, html, unsafeRaw, type Html } from '../http/html.ts';
import { localeOf } from '../i18n/i18n.ts';
import type { Place } from '../places/index.ts';
import { adminHeading } from './adminHeading.ts';
import type { PairingCode } from './createPairingCode.ts';
import { DEVICE_KINDS, type Device, type PendingPairing } from './devices.ts';

/** What the page shows again after a form: the pairing form with its errors, or a rename with its errors. */
export interface DevicesState {
  pair?: FormState;
  rename?: { deviceId: string; form: FormState };
}

export interface DevicesModel {
  place: Place;
  devices: Device[];
  pending: PendingPairing[];
  state: DevicesState;
  /** The code just made, its URL and the QR of that URL (an SVG the qrcode library drew). */
  created?: { code: PairingCode; url: string; qrSvg: string };
}

export function devicesPage(request: FastifyRequest, model: DevicesModel): Html {
  const { t, lang } = request.ctx;
  const { place, devices, pending, state } = model;
  const when = (d: Date | null) =>
    d ? d.toLocaleString(localeOf(lang), { timeZone: place.timezone, dateStyle: 'short', timeStyle: 'short' }) : '—';
  const form = state.pair ?? emptyForm({ kind: 'till' });
  return html`<section>
${adminHeading(request, place, 'devices', t('devices.title'))}
<p><a href="/venues/${place.slug}/scan">${t('door.openScanner')}</a></p>
${model.created ? createdBlock(request, model.created, when) : ''}
<p>${t('devices.intro')}</p>
<div class="table-scroll"><table class="list">
<caption>${t('devices.count', { count: devices.length })}</caption>
<thead><tr><th scope="col">${t('labels.name')}</th><th scope="col">${t('labels.kind')}</th><th scope="col">${t('devices.pairedAt')}</th><th scope="col">${t('devices.lastSeen')}</th><th scope="col">${t('devices.state')}</th><th scope="col"><span class="visually-hidden">${t('devices.actions')}</span></th></tr></thead>
<tbody>${devices.map((d) => deviceRow(request, place, d, state, when))}</tbody></table></div>
${
  pending.length
    ? html`<h2>${t('devices.pending')}</h2><ul>${pending.map((p) => html`<li>${p.name} (${t(`devices.kind.${p.kind}`)}) — ${t('devices.validUntil', { time: when(p.expiresAt) })}</li>`)}</ul>`
    : ''
}
<h2>${t('devices.pair')}</h2>
<p class="hint">${t('devices.pairHint')}</p>
${errorSummary(request, form)}
<form method="post" action="/venues/${place.slug}/admin/devices/pairings" novalidate>${csrfField(request)}
<div class="row">${input(request, form, 'name', { required: true, hint: t('devices.nameHint'), attrs: html` maxlength="80"` })}
${select(
  request,
  form,
  'kind',
  DEVICE_KINDS.map((k) => ({ value: k, label: t(`devices.kind.${k}`) })),
)}</div>
<button type="submit">${t('devices.showCode')}</button></form>
</section>`;
}

function createdBlock(
  request: FastifyRequest,
  created: NonNullable<DevicesModel['created']>,
  when: (d: Date | null) => string,
): Html {
  const { t } = request.ctx;
  const { code, url, qrSvg } = created;
  // The QR is drawn by the qrcode library from our own URL: markup we generate, not user input.
  return html`<div class="notice" role="status" id="pairing">
<h2>${t(`devices.codeFor.${code.kind}`, { name: code.name })}</h2>
<p class="mono" id="pairing-code" aria-label="${t('devices.codeSpelled', { code: code.code.split('').join(' ') })}">${code.code}</p>
<p>${t('devices.codeHelp', { time: when(code.expiresAt) })}</p>
<figure class="qr qr-small">${unsafeRaw(qrSvg.replace('<svg ', `<svg role="img" aria-label="${escapeHtml(t('devices.qr'))}" width="240" height="240" `))}<figcaption class="mono">${url}</figcaption></figure>
<p><strong>${t('devices.onlyOnce')}</strong></p></div>`;
}

function deviceRow(
  request: FastifyRequest,
  place: Place,
  d: Device,
  state: DevicesState,
  when: (d: Date | null) => string,
): Html {
  const { t } = request.ctx;
  const renaming = state.rename?.deviceId === d.id ? state.rename.form : null;
  const invalid = renaming !== null && renaming.errors.length > 0;
  return html`<tr><td>${d.name}</td><td>${t(`devices.kind.${d.kind}`)}</td><td>${when(d.createdAt)}</td><td>${when(d.lastSeenAt)}</td>
<td>${d.revokedAt ? html`<strong>${t('devices.revokedOn', { time: when(d.revokedAt) })}</strong>` : t('devices.active')}</td>
<td>${
    d.revokedAt
      ? ''
      : html`<form method="post" action="/venues/${place.slug}/admin/devices/${d.id}/rename" class="inline-form" novalidate>${csrfField(request)}
<label for="name-${d.id}" class="visually-hidden">${t('devices.newName', { name: d.name })}</label>
<input id="name-${d.id}" name="name" value="${renaming ? String(renaming.values.name ?? '') : d.name}" maxlength="80" required${invalid ? html` aria-invalid="true" aria-describedby="name-${d.id}-error"` : ''}>
<button type="submit">${t('devices.rename')}</button>
${invalid ? html`<p class="error" id="name-${d.id}-error">${renaming.errors.map((e) => t(`fields.${e.message}`, e.params))}</p>` : ''}</form>
<form method="post" action="/venues/${place.slug}/admin/devices/${d.id}/revoke" class="inline">${csrfField(request)}<button type="submit" class="danger">${t('devices.revoke')}</button></form>`
  }</td></tr>`;
}
