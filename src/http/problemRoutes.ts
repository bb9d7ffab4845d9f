import type { ModuleApp, ModuleOptions } from './module.ts';
import { hasKey } from '../i18n/i18n.ts';
import { DomainError } from '../shared/errors.ts';
import { html } from './html.ts';
import { layout, sendHtml } from './layout.ts';

/** Each problem type URI (`/problems/<code>`) resolves to a page that explains it. */
export async function problemRoutes(app: ModuleApp, { info }: ModuleOptions) {
  app.get('/problems/:code', async (request, reply) => {
    const { code } = request.params as { code: string };
    if (!/^[a-z0-9-]{1,60}$/.test(code) || !hasKey(`problems.${code}.title`))
      throw new DomainError('not-found', 404, { what: 'page' });
    const { t } = request.ctx;
    const body = html`<section class="narrow"><h1>${t(`problems.${code}.title`)}</h1><p class="mono">${code}</p><p>${t(`problems.${code}.about`)}</p></section>`;
    return sendHtml(reply, layout(request, info, { title: t(`problems.${code}.title`), body }));
  });
}
