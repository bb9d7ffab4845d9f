// The door phone (/door, served by src/ticketing/scanner.ts; docs/TICKETING.md, "The door phone"): no
// login. Paired once with a scanner's one-time code (the admin's QR code opens /door#pair=CODE), it keeps
// its Ed25519 key in this browser (the till's storage, /static/till/storage.js) and lists its venue's
// events through signed requests; each opens the scanner (/door/scan/<event>). A till's code pairs a till:
// the phone goes to /till.
/* global window, document, crypto, fetch, confirm, localStorage */
// @ts-check
export {};

/** @param {string} id @returns {HTMLElement} */
function $(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error('#' + id + ' is missing');
  return node;
}
/** @type {{ words: Record<string, string> }} */
const config = JSON.parse($('door-data').textContent || '{}');
const words = config.words;
/** @type {typeof import('../../till/public/storage.js')} */
const storage = await import(String('/static/till/storage.js'));
/** @type {typeof import('../../till/public/signing.js')} */
const signing = await import(String('/static/till/signing.js'));
const message = $('door-message');

/** @param {string} template @param {Record<string, string>} params */
const format = (template, params) => template.replace(/\{(\w+)\}/g, (m, name) => (name in params ? params[name] : m));

/** @param {import('../../till/public/types.js').Device} device */
async function showEvents(device) {
  $('door-pair').hidden = true;
  $('door-unpair-row').hidden = false;
  $('door-place').textContent = [device.place && device.place.name, device.name].filter(Boolean).join(' · ');
  const list = $('door-events');
  /** @type {{ venue: { name: string }, events: { id: string, title: string, dates: string[] }[] } | null} */
  let known = null;
  try {
    const target = signing.requestTarget('/api/v1/door/events', window.location.origin);
    const headers = await signing.signedHeaders(device, 'GET', target, '', Date.now());
    const response = await fetch(target, {
      headers: { accept: 'application/json', ...headers },
      credentials: 'omit',
      cache: 'no-store',
    });
    if (response.status === 401 || response.status === 403) {
      // Revoked, or not a scanner any more: pair again.
      message.textContent = words.pairFailed;
      await storage.deleteDevice();
      return showPairing();
    }
    if (response.ok) {
      known = await response.json();
      localStorage.setItem('rezo-door:events', JSON.stringify(known));
    }
  } catch {
    message.textContent = words.unreachable;
  }
  if (!known) known = JSON.parse(localStorage.getItem('rezo-door:events') || 'null');
  list.replaceChildren();
  if (!known || known.events.length === 0) {
    if (known) message.textContent = words.noEvents;
    return;
  }
  for (const e of known.events) {
    const item = document.createElement('li');
    item.className = 'card';
    const title = document.createElement('h2');
    const link = document.createElement('a');
    link.href = '/door/scan/' + encodeURIComponent(e.id);
    link.textContent = e.title;
    title.append(link);
    const dates = document.createElement('p');
    dates.textContent = e.dates.join(' · ');
    item.append(title, dates);
    list.append(item);
  }
  document.documentElement.setAttribute('data-door', 'events');
}

function showPairing() {
  $('door-pair').hidden = false;
  $('door-unpair-row').hidden = true;
  $('door-events').replaceChildren();
  const code = /** @type {HTMLInputElement} */ ($('door-pair-code'));
  const fromLink = /(?:^#|&)pair=([A-Za-z0-9-]{4,64})/.exec(window.location.hash);
  if (fromLink) code.value = fromLink[1];
  if (!window.isSecureContext || !crypto.subtle) message.textContent = words.insecure;
  document.documentElement.setAttribute('data-door', 'pairing');
  code.focus();
}

/** @param {SubmitEvent} e */
async function pair(e) {
  e.preventDefault();
  const code = /** @type {HTMLInputElement} */ ($('door-pair-code')).value.replace(/\s/g, '');
  if (!code) return;
  message.textContent = words.pairing;
  try {
    const keys = /** @type {CryptoKeyPair} */ (
      await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])
    );
    const publicKey = signing.base64(await crypto.subtle.exportKey('spki', keys.publicKey));
    const response = await fetch('/api/v1/devices/pair', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ code, publicKey }),
      credentials: 'omit',
    });
    if (response.status !== 201) {
      message.textContent = words.pairFailed;
      return;
    }
    /** @type {{ placeId: string, deviceId: string, kind: 'till' | 'scanner', name: string, place: { name: string, slug: string } }} */
    const b = await response.json();
    /** @type {import('../../till/public/types.js').Device} */
    const device = { privateKey: keys.privateKey, publicKey: keys.publicKey, ...b };
    await storage.putDevice(device);
    // The code has done its work: not in the address bar or the history.
    window.history.replaceState(null, '', b.kind === 'scanner' ? '/door' : '/till');
    if (b.kind !== 'scanner') {
      window.location.replace('/till');
      return;
    }
    message.textContent = format(words.paired, { name: b.name });
    await showEvents(device);
  } catch {
    message.textContent = words.unreachable;
  }
}

$('door-pair-form').addEventListener('submit', (e) => {
  void pair(/** @type {SubmitEvent} */ (e));
});
$('door-unpair').addEventListener('click', () => {
  if (!confirm(words.unpairConfirm)) return;
  void storage.deleteDevice().then(() => {
    localStorage.removeItem('rezo-door:events');
    showPairing();
  });
});

const device = await storage.getDevice().catch(() => undefined);
if (!device) showPairing();
else if (device.kind !== 'scanner') window.location.replace('/till');
else await showEvents(device);
