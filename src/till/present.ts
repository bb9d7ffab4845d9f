/** Presenters of the till's admin: devices for the JSON API, numbers and colours for the pages. */
import type { FastifyRequest } from 'fastify';
import { html, type Html } from '../http/html.ts';
import { decimalSeparator, type Language } from '../i18n/i18n.ts';
import { formatEuros } from '../shared/money.ts';
import type { Device } from './devices.ts';
import type { PosArticle } from './posSetup.ts';

export const presentDevice = (d: Device) => ({
  ...d,
  createdAt: d.createdAt.toISOString(),
  revokedAt: d.revokedAt?.toISOString() ?? null,
  lastSeenAt: d.lastSeenAt?.toISOString() ?? null,
});

/** Percent for people: 850 → "8,5" (fr) or "8.5" (en). */
export function percent(bp: number, lang: Language): string {
  const whole = Math.trunc(bp / 100);
  const rest = bp % 100;
  if (rest === 0) return String(whole);
  const decimals = rest % 10 === 0 ? String(rest / 10) : String(rest).padStart(2, '0');
  return `${whole}${decimalSeparator(lang)}${decimals}`;
}

/** Cents for a form field: 350 → "3,50" (fr) or "3.50" (en). */
export function eurosField(cents: number, lang: Language): string {
  return `${Math.trunc(cents / 100)}${decimalSeparator(lang)}${String(cents % 100).padStart(2, '0')}`;
}

// An SVG whose fill is the colour: a presentation attribute, which the pages' Content-Security-Policy
// allows (a style attribute it does not).
export const swatch = (colour: string): Html =>
  html`<svg class="swatch" aria-hidden="true" viewBox="0 0 10 10" width="18" height="18"><rect width="10" height="10" rx="2" fill="${colour}" stroke="#0003"/></svg>`;

export const kindLabel = (request: FastifyRequest, kind: string) => request.ctx.t(`pos.kind.${kind}`);

export const priceText = (request: FastifyRequest, a: PosArticle) =>
  a.priceCents === null ? request.ctx.t('pos.openPrice') : formatEuros(a.priceCents, request.ctx.lang);
