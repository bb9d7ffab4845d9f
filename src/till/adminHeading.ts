import type { FastifyRequest } from 'fastify';
import { html, type Html } from '../http/html.ts';
import type { Place } from '../places/index.ts';

export type AdminTab = 'devices' | 'setup';

/** The top of every till admin page: breadcrumb, title, and the tabs devices | points of sale. */
export function adminHeading(request: FastifyRequest, place: Place, current: AdminTab, title: string): Html {
  const { t } = request.ctx;
  const tab = (id: AdminTab, href: string, label: string) =>
    html`<li><a href="${href}"${id === current ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return html`<p class="breadcrumb"><a href="/venues/${place.slug}">${place.name}</a> › <a href="/venues/${place.slug}/admin">${t('pos.admin')}</a></p>
<h1>${title}</h1>
<nav class="tabs" aria-label="${t('pos.tabsLabel')}"><ul>
${tab('devices', `/venues/${place.slug}/admin/devices`, t('devices.title'))}
${tab('setup', `/venues/${place.slug}/admin/till/setup`, t('pos.title'))}
</ul></nav>`;
}
