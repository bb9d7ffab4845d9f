import type { FastifyRequest } from 'fastify';
import { html, type Html } from '../http/html.ts';
import type { Place } from './places.ts';

/** Heading and tabs of a venue's admin pages. Other modules add their tab here. */
export function adminNav(
  request: FastifyRequest,
  place: Place,
  current:
    | 'dashboard'
    | 'settings'
    | 'team'
    | 'keys'
    | 'events'
    | 'memberships'
    | 'webhooks'
    | 'devices'
    | 'till'
    | 'closures'
    | 'settlement'
    | 'refunds',
): Html {
  const { t } = request.ctx;
  const tab = (id: typeof current, href: string) =>
    html`<li><a href="${href}"${id === current ? html` aria-current="page"` : ''}>${t(`admin.tabs.${id}`)}</a></li>`;
  return html`<p class="breadcrumb"><a href="/venues/${place.slug}">${place.name}</a></p>
<h1>${t(`admin.titles.${current}`)}</h1>
<nav class="tabs" aria-label="${t('admin.tabsLabel')}"><ul>
${tab('dashboard', `/venues/${place.slug}/admin/dashboard`)}
${tab('settings', `/venues/${place.slug}/admin`)}
${tab('team', `/venues/${place.slug}/admin/team`)}
${tab('keys', `/venues/${place.slug}/admin/keys`)}
${tab('events', `/venues/${place.slug}/admin/events`)}
${tab('memberships', `/venues/${place.slug}/admin/memberships`)}
${tab('webhooks', `/venues/${place.slug}/admin/webhooks`)}
${tab('devices', `/venues/${place.slug}/admin/devices`)}
${tab('till', `/venues/${place.slug}/admin/till/setup`)}
${tab('closures', `/venues/${place.slug}/admin/till/closures`)}
${tab('settlement', `/venues/${place.slug}/admin/settlement`)}
${tab('refunds', `/venues/${place.slug}/admin/refunds`)}
</ul></nav>`;
}
