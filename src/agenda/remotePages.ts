import type { FastifyRequest } from 'fastify';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { html, unsafeRaw, type Html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { isUuid } from '../shared/ids.ts';
import { notFound } from '../shared/errors.ts';
import { territoryTimezone } from './publicPages.ts';
import { renderRemoteAvailability, storedAvailability, type RemoteAvailability } from './remoteAvailability.ts';
import { sanitiseRemoteHtml } from './remoteHtml.ts';
import { remoteSource, type RemoteAgendaEntry } from './remoteSource.ts';
import { formatWhen, remoteOriginLine, stateBadge } from './views.ts';

/** Only http(s) links leave this page (parseRemoteEvent keeps no other; checked again where they are drawn). */
const web = (url: string | null): string | null => (url && /^https?:\/\//i.test(url) ? url : null);

/** The page of a received event on this node (docs/AGENDA.md, "Remote events"): what the origin said, sanitised; booking and images stay on the origin (links only). */
export function remoteEventBody(
  request: FastifyRequest,
  entry: RemoteAgendaEntry,
  readerZone: string,
  known: RemoteAvailability = storedAvailability(entry),
): Html {
  const { t, lang } = request.ctx;
  const zone = entry.timezone ?? readerZone;
  const cancelled = entry.status === 'cancelled';
  const participate = web(entry.ticketUrl) ?? web(entry.url);
  const original = web(entry.url);
  const online = web(entry.onlineUrl);
  const image = entry.images.map((i) => web(i.url)).find((u) => u !== null) ?? null;
  const where = [entry.placeName, entry.address].filter(Boolean).join(', ');
  const out = html` rel="noopener nofollow noreferrer"`;
  return html`<article class="event remote-event">
<div class="event-head">
<p class="breadcrumb"><a href="/agenda">${t('agenda.title')}</a></p>
<h1>${entry.title} ${stateBadge(t, cancelled ? 'cancelled' : 'published')}</h1>
${remoteOriginLine(request, entry)}
${cancelled ? html`<p class="alert" role="status">${t('agenda.remote.cancelled')}</p>` : ''}
<ul class="dates"><li><time datetime="${entry.startsAt.toISOString()}">${formatWhen(lang, entry.startsAt, entry.endsAt, zone)}</time>${entry.status === 'tentative' ? html` <span class="hint">${t('agenda.remote.tentative')}</span>` : ''}</li></ul>
${where ? html`<p class="where">${where}</p>` : ''}
${online ? html`<p class="where">${t('agenda.remote.online')} : <a href="${online}"${out}>${t('agenda.remote.onlineLink')}</a></p>` : ''}
${renderRemoteAvailability(request, known, readerZone)}
${participate && !cancelled ? html`<p><a class="button" href="${participate}"${out}>${t('agenda.remote.participate', { host: new URL(participate).host })}</a></p>` : ''}
</div>
<div class="event-body">
<p class="notice">${t('agenda.remote.intro', { venue: entry.originName, host: entry.originHost })}</p>
<div class="description">${unsafeRaw(sanitiseRemoteHtml(entry.contentHtml || entry.summary))}</div>
${image ? html`<p><a href="${image}"${out}>${t('agenda.remote.image', { host: new URL(image).host })}</a></p>` : ''}
${entry.tags.length ? html`<ul class="tags">${entry.tags.map((tag) => html`<li><a href="/agenda?tag=${tag}">#${tag}</a></li>`)}</ul>` : ''}
${original ? html`<p><a href="${original}"${out}>${t('agenda.remote.original', { host: new URL(original).host })}</a></p>` : ''}
</div>
</article>`;
}

export async function remotePages(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { config, db } = deps;
  app.get('/agenda/remote/:localId', async (request, reply) => {
    const localId = (request.params as { localId: string }).localId.toLowerCase();
    const source = remoteSource();
    const entry = source && isUuid(localId) ? await source.find(db, localId) : null;
    if (!entry) throw notFound('event');
    const readerZone = await territoryTimezone(db, config.timeZone);
    // What the origin says now (one signed GET, 1.5 s at most, cached 10 s), else what was stored.
    const known = (await source!.freshAvailability?.({ db, config }, entry)) ?? storedAvailability(entry);
    const original = web(entry.url);
    const head = html`<meta name="robots" content="noindex">${original ? html`\n<link rel="canonical" href="${original}">` : ''}`;
    return sendHtml(
      reply,
      layout(request, info, { title: entry.title, body: remoteEventBody(request, entry, readerZone, known), head }),
    );
  });
}
