import type { FastifyReply, FastifyRequest } from 'fastify';
import { LANGUAGES } from '../i18n/i18n.ts';
import { html, type Html } from './html.ts';

export interface PageOptions {
  title: string;
  body: Html;
  /** Extra tags for <head> (meta, JSON-LD). */
  head?: Html;
  description?: string;
}

export interface LayoutInfo {
  territoryName: string;
  devMail: boolean;
  /** A node for real use that holds the demo data: every page says so (its cards carry money, its people are fiction). */
  demoBanner: boolean;
}

/** The warning of a node for real use that holds the demo data (empty otherwise). */
export function demoBanner(request: FastifyRequest, info: LayoutInfo): Html | '' {
  return info.demoBanner ? html`<p class="demo-banner" role="note">${request.ctx.t('layout.demoBanner')}</p>` : '';
}

/** The common page: header with navigation and language switch, main content, footer. */
/**
 * "Se connecter" brings the person back to the page they were reading (an event's tickets, a venue's
 * memberships): `/login?next=` with this page's path, which the login route checks again
 * (safeNextPath: same-origin relative paths only). Not from a form's answer, the login pages or a
 * "not found" page; a page whose URL is a secret says where instead (`request.ctx.loginNext`).
 */
export function loginHref(request: FastifyRequest): string {
  const { loginNext } = request.ctx;
  if (loginNext === null) return '/login';
  // A URL that carries a secret (an order's or a waiting list's mailed link, a login link) is never
  // copied into another URL, where logs and the login mail would keep it.
  if (loginNext === undefined && /:(token|ticket)\b/.test(request.routeOptions.url ?? '')) return '/login';
  const path = loginNext ?? request.url;
  // From the home page there is no intent to come back to: the account (and a new person's welcome) is.
  if (path === '/') return '/login';
  if (request.method !== 'GET' || !path.startsWith('/') || path.startsWith('//') || path.startsWith('/login'))
    return '/login';
  return `/login?next=${encodeURIComponent(path)}`;
}

export function layout(request: FastifyRequest, info: LayoutInfo, page: PageOptions): Html {
  const { t, lang, person, csrfToken } = request.ctx;
  // The language link keeps the page and its query (a search, a filter), changing only `lang`.
  const [path = '/', query = ''] = request.url.split('?');
  const params = new URLSearchParams(query);
  const other = LANGUAGES.find((l) => l !== lang)!;
  params.set('lang', other);
  const switchHref = `${path}?${params.toString()}`;
  return html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · ${info.territoryName}</title>
${page.description ? html`<meta name="description" content="${page.description}">` : ''}
<link rel="stylesheet" href="/static/style.css">
${page.head ?? ''}
</head>
<body>
<a class="skip" href="#main">${t('layout.skip')}</a>
${demoBanner(request, info)}
<header class="site">
  <a class="brand" href="/">${info.territoryName} <span>· Rezo</span></a>
  <nav aria-label="${t('layout.nav')}">
    <ul>
      <li><a href="/agenda">${t('layout.agenda')}</a></li>
      <li><a href="/">${t('layout.venues')}</a></li>
      ${
        person
          ? html`<li><a href="/wallet">${t('layout.wallet')}</a></li>
          <li><a href="/account">${t('layout.account')}</a></li>
          ${person.isOperator ? html`<li><a href="/admin">${t('layout.admin')}</a></li>` : ''}
          <li><form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${csrfToken}"><button class="link" type="submit">${t('layout.logout')}</button></form></li>`
          : html`<li><a href="${loginHref(request)}">${t('layout.login')}</a></li>`
      }
      ${info.devMail ? html`<li><a href="/dev/mail">${t('layout.devMail')}</a></li>` : ''}
      <li><a href="${switchHref}" hreflang="${other}" lang="${other}">${t('layout.switchLanguage')}</a></li>
    </ul>
  </nav>
</header>
<main id="main" tabindex="-1">
${page.body}
</main>
<footer class="site"><p>${t('layout.footer')}</p><p><a href="/transparency">${t('layout.transparency')}</a></p></footer>
</body>
</html>`;
}

export function sendHtml(reply: FastifyReply, page: Html, status = 200): FastifyReply {
  return reply.status(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page.value);
}
