import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/database.ts';
import { html, type Html } from '../http/html.ts';
import type { Place } from '../places/index.ts';
import { productsOf } from './products.ts';

/**
 * "Adhérer" near the top of a venue's page, leading to its membership offers further down (the
 * memberships section, #memberships): a visitor who came to join need not scroll past the agenda to
 * find out they can. Nothing when the venue sells no membership.
 */
export async function renderJoinCallToAction(request: FastifyRequest, db: Db, place: Place): Promise<Html | ''> {
  if (!place.modules.includes('memberships')) return '';
  const products = await productsOf(db, place.id, { activeOnly: true });
  if (products.length === 0) return '';
  return html`<p class="call-to-action"><a class="button" href="#memberships">${request.ctx.t('memberships.joinVenue', { venue: place.name })}</a></p>`;
}
