import { latestMails } from './latestMails.ts';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { DomainError } from '../shared/errors.ts';
import { localeOf } from '../i18n/i18n.ts';

/** Linkify the URLs of a mail's text so a developer can click the login link. */
function linkify(text: string) {
  const parts = text.split(/(https?:\/\/[^\s<>"]+)/g);
  return parts.map((part, i) => (i % 2 === 1 ? html`<a href="${part}">${part}</a>` : part));
}

/** /dev/mail: the outbox, in development mode only (it holds login links). */
export async function mailRoutes(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { config, db } = deps;
  app.get('/dev/mail', async (request, reply) => {
    if (config.env !== 'development') throw new DomainError('not-found', 404, { what: 'page' });
    const { t, lang } = request.ctx;
    const mails = await latestMails(db);
    const body = html`<section>
<h1>${t('devMail.title')}</h1>
<p>${t('devMail.intro')}</p>
${mails.length === 0 ? html`<p>${t('devMail.empty')}</p>` : ''}
${mails.map(
  (m) => html`<article class="mail">
<h2>${m.subject}</h2>
<p class="meta">${t('devMail.to')} <strong>${m.to_address}</strong> · ${m.created_at.toLocaleString(localeOf(lang))} · ${m.status}</p>
<pre>${linkify(m.text_body)}</pre>
${m.attachment_names.length > 0 ? html`<p>${t('tickets.devMail.attachments')} ${m.attachment_names.join(', ')}</p>` : ''}
</article>`,
)}
</section>`;
    return sendHtml(reply, layout(request, info, { title: t('devMail.title'), body }));
  });
}
