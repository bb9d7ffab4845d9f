import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { html, unsafeRaw } from '../http/html.ts';
import { demoBanner, sendHtml } from '../http/layout.ts';
import { decimalSeparator, localeOf } from '../i18n/i18n.ts';

// The till PWA (docs/TILL.md): one page, its script (ES modules in src/till/public, entry main.js, and
// the rules it shares with the server, src/shared/tillRules.js) and styles, a web manifest and a service
// worker that keeps them so that a till restarted without network still opens. Everything else the
// till does goes through the device-signed JSON API (src/till/apiRoutes.ts).
const folder = new URL('./public/', import.meta.url);
/** The till's browser files, each served as /static/till/<name> (./public/sw.js keeps the same list). */
export const TILL_FILES = [
  'main.js',
  'api.js',
  'cart.js',
  'dom.js',
  'lookup.js',
  'camera.js',
  'pay.js',
  'queue.js',
  'sale.js',
  'screens.js',
  'session.js',
  'signing.js',
  'state.js',
  'storage.js',
  'tillRules.js',
  'till.css',
  'answers.css',
] as const;
// tillRules.js is the very module the server imports (src/shared), served beside the till's modules.
const files = new Map<string, Buffer>(
  TILL_FILES.map((name) => [
    name,
    readFileSync(name === 'tillRules.js' ? new URL('../shared/tillRules.js', import.meta.url) : new URL(name, folder)),
  ]),
);
const worker = readFileSync(new URL('sw.js', folder));
/** jsQR's browser build, from the dependency (no CDN): the camera's decoder where there is no BarcodeDetector. */
const JSQR = readFileSync(
  join(dirname(createRequire(import.meta.url).resolve('jsqr/package.json')), 'dist', 'jsQR.js'),
);
/** The till's files before they moved under /static/till/: an older page (or its cached copy) still finds them. */
const MOVED = {
  '/static/till.js': '/static/till/main.js',
  '/static/tillRules.js': '/static/till/tillRules.js',
  '/static/tillSigning.js': '/static/till/signing.js',
  '/static/till.css': '/static/till/till.css',
};

/** The words the till script shows, looked up once per page in the page's language (`tillpage.<word>`). */
export const TILL_WORDS = [
  'pairing',
  'pairFailed',
  'noEd25519',
  'insecure',
  'paired',
  'notStaff',
  'opening',
  'unpairConfirm',
  'noPoints',
  'cashier',
  'online',
  'offline',
  'queued.one',
  'queued.other',
  'refusedCount.one',
  'refusedCount.other',
  'refusedTitle',
  'refusedKept',
  'refusedLine',
  'showNotRecorded',
  'lateBooked',
  'cartEmpty',
  'less',
  'more',
  'clear',
  'tapCard',
  'tapCardFor',
  'attached',
  'amountTitle',
  'amount',
  'amountOk',
  'tendered',
  'change',
  'changeShort',
  'exact',
  'confirmCash',
  'bankTitle',
  'bankHint',
  'bankConfirm',
  'giveOut',
  'giveOutConfirm',
  'paid',
  'paidChange',
  'newBalance',
  'refused',
  'insufficient',
  'missing',
  'restCash',
  'restBank',
  'restCard',
  'tapSecondCard',
  'blocked',
  'unknownCard',
  'currency',
  'method',
  'unbalanced',
  'conflict',
  'session',
  'signature',
  'unreachable',
  'unreachableCard',
  'retry',
  'abandon',
  'cancelLast',
  'cancelLastExplain',
  'keepLastSale',
  'cancelled',
  'nothingToCancel',
  'lookupTitle',
  'noBalance',
  'notUsable',
  'memberships',
  'membershipUntil',
  'noMembership',
  'linked',
  'anonymous',
  'close',
  'queueRefused',
  'sending',
  'invalidUid',
  'configFailed',
  'offlineStart',
  'nfcOn',
  'nfcFailed',
  'cameraFailed',
  'readerOff',
  'confirm',
  'cancel',
  'error',
  'noCardMethod',
  'secondCardShort',
  'checking',
  'recordedAfterAll',
  'notRecorded',
  'stillUnknown',
  'abandonAnyway',
  'savedOffline',
  'savedOfflineNext',
  'uncertainBar',
  'uncertainAmount',
  'notesGiven',
  'presets',
  'usableHere',
  'notUsableHere',
  'cancelThisTitle',
  'cancelThis',
  'cancelWhatAt',
  'cancelItem',
  'cancelEffects',
  'cancelCard',
  'cancelCash',
  'cancelCashBack',
  'cancelBank',
  'cancelTopUp',
  'cancelCashOut',
] as const;

/** JSON inside a <script> block: `<` escaped so that no value can close the block. */
const jsonBlock = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** The pairing code from a QR link (`/till?code=…`): letters, digits and dashes only, else nothing. */
function codeOf(request: FastifyRequest): string {
  const code = (request.query as Record<string, unknown> | undefined)?.code;
  return typeof code === 'string' && /^[A-Za-z0-9-]{4,64}$/.test(code) ? code : '';
}

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96"><rect width="96" height="96" rx="18" fill="#0b5e55"/><rect x="18" y="22" width="60" height="40" rx="6" fill="#fff"/><rect x="24" y="28" width="48" height="12" rx="2" fill="#0b5e55"/><rect x="14" y="66" width="68" height="10" rx="4" fill="#fff"/></svg>`;

export async function tillPageRoutes(app: ModuleApp, { info }: ModuleOptions): Promise<void> {
  // Short caching: the service worker keeps its own copy for offline starts, and fetches anew online.
  app.get('/static/till/jsQR.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(JSQR),
  );
  app.get('/static/till/:file', async (request, reply) => {
    const name = (request.params as { file: string }).file;
    const file = files.get(name);
    if (!file) return reply.callNotFound();
    const type = name.endsWith('.css') ? 'text/css' : 'text/javascript';
    return reply.type(`${type}; charset=utf-8`).header('cache-control', 'no-cache').send(file);
  });
  for (const [from, to] of Object.entries(MOVED)) app.get(from, async (_request, reply) => reply.redirect(to, 301));
  app.get('/till/icon.svg', async (_request, reply) =>
    reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(ICON),
  );
  // The worker lives under /till/ but controls /till itself (no trailing slash): the header allows it.
  app.get('/till/sw.js', async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('service-worker-allowed', '/till')
      .send(worker),
  );
  app.get('/till/manifest.webmanifest', async (request, reply) => {
    const { t, lang } = request.ctx;
    const manifest = {
      name: t('tillpage.title'),
      short_name: t('tillpage.title'),
      lang,
      start_url: '/till',
      scope: '/till',
      display: 'standalone',
      orientation: 'any',
      background_color: '#111417',
      theme_color: '#0b5e55',
      icons: [{ src: '/till/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
    };
    return reply
      .type('application/manifest+json; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(JSON.stringify(manifest));
  });

  app.get('/till', async (request, reply) => {
    const { t, lang } = request.ctx;
    const data = {
      lang,
      locale: localeOf(lang),
      decimalSeparator: decimalSeparator(lang),
      currency: 'EUR',
      words: Object.fromEntries(TILL_WORDS.map((w) => [w, t(`tillpage.${w}`)])),
    };
    const page = html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="theme-color" content="#0b5e55">
<title>${t('tillpage.title')}</title>
<link rel="manifest" href="/till/manifest.webmanifest">
<link rel="icon" href="/till/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/till/till.css">
<link rel="stylesheet" href="/static/till/answers.css">
</head>
<body class="till">
${demoBanner(request, info)}
<main id="till" data-screen="loading">
<section id="till-loading" class="till-screen till-center"><p class="till-big">${t('tillpage.loading')}</p>
<noscript><p class="till-warning">${t('tillpage.noScript')}</p></noscript></section>

<section id="till-pair" class="till-screen till-center" hidden aria-labelledby="till-pair-title">
<h1 id="till-pair-title">${t('tillpage.pairTitle')}</h1>
<p>${t('tillpage.pairIntro')}</p>
<form id="till-pair-form" class="till-form" autocomplete="off">
<label for="till-pair-code">${t('tillpage.pairCode')}</label>
<input id="till-pair-code" name="code" value="${codeOf(request)}" autocapitalize="characters" spellcheck="false" enterkeyhint="go" required maxlength="64">
<button type="submit" class="till-primary">${t('tillpage.pairButton')}</button>
</form>
<p id="till-pair-message" class="till-message" role="alert"></p>
</section>

<section id="till-open" class="till-screen till-center" hidden aria-labelledby="till-open-title">
<p id="till-open-place" class="till-muted"></p>
<h1 id="till-open-title" class="till-big">${t('tillpage.openTitle')}</h1>
<p>${t('tillpage.openHint')}</p>
<p id="till-open-message" class="till-message" role="alert"></p>
<button type="button" id="till-unpair" class="till-quiet">${t('tillpage.unpair')}</button>
</section>

<section id="till-points" class="till-screen till-center" hidden aria-labelledby="till-points-title">
<h1 id="till-points-title">${t('tillpage.choosePoint')}</h1>
<div id="till-point-list" class="till-point-list"></div>
<button type="button" id="till-close-points" class="till-quiet">${t('tillpage.closeTill')}</button>
</section>

<section id="till-sale" class="till-screen" hidden aria-labelledby="till-sale-title">
<h1 id="till-sale-title" class="till-sr">${t('tillpage.title')}</h1>
<header class="till-bar">
<p class="till-where"><strong id="till-point-name"></strong> <span id="till-cashier" class="till-muted"></span></p>
<p id="till-net" class="till-net" role="status">${t('tillpage.online')}</p>
<button type="button" id="till-queue" class="till-queue" hidden></button>
<button type="button" id="till-refused" class="till-queue till-refused" hidden></button>
<button type="button" id="till-uncertain" class="till-queue till-uncertain" hidden></button>
<button type="button" id="till-change-point" class="till-quiet">${t('tillpage.changePoint')}</button>
<button type="button" id="till-close" class="till-quiet">${t('tillpage.closeTill')}</button>
</header>
<div class="till-main">
<div id="till-articles" class="till-articles"></div>
<aside class="till-cart" aria-labelledby="till-total">
<ul id="till-lines" class="till-lines"></ul>
<p id="till-attached" class="till-attached" hidden></p>
<p class="till-total-row"><span>${t('tillpage.total')}</span> <output id="till-total" class="till-total">0</output></p>
<p id="till-prompt" class="till-prompt" role="status"></p>
<div class="till-pay">
<button type="button" id="till-pay-card" class="till-pay-card">${t('tillpage.payCard')}</button>
<button type="button" id="till-pay-cash" class="till-pay-cash">${t('tillpage.payCash')}</button>
<button type="button" id="till-pay-bank" class="till-pay-bank">${t('tillpage.payBank')}</button>
</div>
<div class="till-more">
<button type="button" id="till-clear" class="till-quiet">${t('tillpage.clear')}</button>
<button type="button" id="till-cancel-last" class="till-quiet">${t('tillpage.cancelLast')}</button>
<button type="button" id="till-nfc" class="till-quiet" hidden>${t('tillpage.nfc')}</button>
<button type="button" id="till-camera" class="till-quiet" hidden>${t('tillpage.camera')}</button>
</div>
</aside>
</div>
</section>

<form id="till-card-form" class="till-card-form" autocomplete="off" hidden>
<label for="till-card-typed">${t('tillpage.cardNumber')}</label>
<input id="till-card-typed" name="card" autocapitalize="characters" spellcheck="false" enterkeyhint="go" maxlength="40">
<button type="submit">${t('tillpage.cardOk')}</button>
<input id="till-wedge" class="till-wedge" aria-label="${t('tillpage.reader')}" inputmode="none" autocomplete="off" spellcheck="false" maxlength="40">
<span id="till-reader" class="till-reader" aria-hidden="true"></span>
</form>
</main>

<div id="till-camera-view" class="till-camera-view" hidden>
<video id="till-camera-video" class="till-camera-video" muted playsinline aria-label="${t('tillpage.camera')}"></video>
<button type="button" id="till-camera-stop">${t('tillpage.cameraStop')}</button>
</div>
<div id="till-result" class="till-result" hidden role="alert" aria-atomic="true">
<p class="till-result-big"></p><div class="till-result-detail"></div><div class="till-result-actions"></div>
</div>
<div id="till-dialog" class="till-dialog" hidden role="dialog" aria-modal="true" aria-labelledby="till-dialog-title">
<form id="till-dialog-form" autocomplete="off"><h2 id="till-dialog-title"></h2><div id="till-dialog-body"></div>
<div class="till-dialog-actions"><button type="button" id="till-dialog-cancel" class="till-quiet">${t('tillpage.cancel')}</button>
<button type="submit" id="till-dialog-ok" class="till-primary">${t('tillpage.confirm')}</button></div></form>
</div>
<script type="application/json" id="till-data">${unsafeRaw(jsonBlock(data))}</script>
<script type="module" src="/static/till/main.js"></script>
</body>
</html>`;
    return sendHtml(reply, page);
  });
}
