// The door scanner (src/ticketing/scanner.ts serves it). Plain JavaScript for cheap phones: no build.
// Online, every scan asks POST /api/v1/checkins. When the network fails, the phone decides itself
// from the venue's public keys (Ed25519 over "R1|<venue>|<ticket>|<date>"), the downloaded list of
// revoked tickets and the entries it knows, and queues its green scans for "Synchroniser". A code
// it cannot verify is never shown green. An ES module (its camera: ./scannerCamera.js), type-checked from
// its JSDoc (tsconfig.browser.json).
/* global window, document, navigator, localStorage, fetch, atob, crypto, TextEncoder */
// @ts-check
import { wireCamera } from './scannerCamera.js';
/**
 * @typedef {{ payload: string, nonce: string, scannedAt: string }} Scan
 * @typedef {{ venueId: string, keys: { id: string, publicKey: string }[], dateIds: string[], revoked: string[], entered: string[], sold?: number }} CheckinData
 * @typedef {{ result: string, ticketId?: string, holderName?: string, priceName?: string, previous?: { at: string } }} CheckinResult  src/ticketing/routes.ts, Answer
 * @typedef {{ ok: boolean, big: string, detail?: string, ticketId?: string }} Decision
 */
/** The page's element of that id (src/ticketing/scanner.ts writes them all). @param {string} id @returns {HTMLElement} */
function $(id) {
  var node = document.getElementById(id);
  if (!node) throw new Error('#' + id + ' is missing');
  return node;
}
/** @type {{ words: Record<string, string>, venue: string, eventId: string, lang: string, locale: string, timezone: string, csrf: string, dataUrl: string, attendeesUrl: string, device?: boolean }} */
var config = JSON.parse($('scanner-data').textContent || '{}');
var words = config.words;

// --- a paired door phone (/door/scan/<event>): no login, every request signed by the device's key ---
/** @type {typeof import('../../till/public/signing.js') | null} */
var signing = null;
/** @type {import('../../till/public/types.js').Device | null} */
var device = null;
if (config.device) {
  // The till's modules (served beside this one under /static/till/) keep and use the key.
  /** @type {typeof import('../../till/public/storage.js')} */
  var storage = await import(String('/static/till/storage.js'));
  signing = await import(String('/static/till/signing.js'));
  device =
    (await storage.getDevice().catch(function () {
      return undefined;
    })) || null;
  if (!device || device.kind !== 'scanner') {
    window.location.replace('/door');
    throw new Error('not a paired scanner');
  }
  await doorEvent(device);
}
/** The event's title and the venue, from the server (or this phone's last copy, offline). @param {import('../../till/public/types.js').Device} d */
async function doorEvent(d) {
  /** @type {{ venue: { slug: string, name: string, timezone: string }, events: { id: string, title: string }[] } | null} */
  var known = null;
  try {
    var answer = await send('GET', '/api/v1/door/events', '', 8000);
    if (answer.ok) {
      known = await answer.json();
      localStorage.setItem('rezo-door:events', JSON.stringify(known));
    }
  } catch {
    // Offline: the last copy.
  }
  if (!known) {
    try {
      known = JSON.parse(localStorage.getItem('rezo-door:events') || 'null');
    } catch {
      known = null;
    }
  }
  config.venue = known ? known.venue.slug : (d.place && d.place.slug) || '';
  if (known) config.timezone = known.venue.timezone;
  var event = known ? known.events.find((e) => e.id === config.eventId) : undefined;
  if (event) {
    $('scan-title').textContent = event.title;
    document.title = event.title;
  }
}
/**
 * A request to the server: signed by the door phone's key (no cookie), or with the person's session.
 * @param {'GET'|'POST'} method @param {string} path @param {string} body @param {number} timeoutMs
 */
async function send(method, path, body, timeoutMs) {
  var controller = window.AbortController ? new window.AbortController() : null;
  var timer = controller
    ? setTimeout(function () {
        /** @type {AbortController} */ (controller).abort();
      }, timeoutMs)
    : null;
  /** @type {Record<string, string>} */
  var headers = { accept: 'application/json' };
  if (body) headers['content-type'] = 'application/json';
  // What is signed is what is fetched: the same target string.
  var target = signing ? signing.requestTarget(path, window.location.origin) : path;
  if (device && signing) {
    Object.assign(headers, await signing.signedHeaders(device, method, target, body, Date.now()));
  } else if (method === 'POST') headers['x-csrf-token'] = config.csrf;
  try {
    return await fetch(target, {
      method: method,
      credentials: device ? 'omit' : 'same-origin',
      cache: 'no-store',
      headers: headers,
      body: body || undefined,
      signal: controller ? controller.signal : undefined,
    });
  } finally {
    if (timer) clearTimeout(timer);
  }
}
var storeKey = 'rezo-scanner:' + config.venue + ':' + config.eventId;
var resultBox = $('scan-result');
var countBox = $('scan-count');
var netBox = $('scan-net');
var syncButton = $('scan-sync');
var reportBox = $('scan-report');
var form = $('scan-form');
var input = /** @type {HTMLInputElement} */ ($('scan-code'));
var cameraButton = $('scan-camera');
var video = /** @type {HTMLVideoElement} */ ($('scan-video'));
var plural = new Intl.PluralRules(config.lang);

// --- what this phone remembers (survives a reload) ---
function load() {
  try {
    return JSON.parse(localStorage.getItem(storeKey) || 'null') || {};
  } catch {
    return {};
  }
}
var saved = load();
/** @type {{ data: CheckinData | null, queue: Scan[], seen: Record<string, string>, failed: boolean }} */
var state = {
  data: saved.data || null, // the last checkin-data downloaded
  queue: saved.queue || [], // offline green scans: { payload, nonce, scannedAt }
  seen: saved.seen || {}, // ticket id -> ISO time it entered, as this phone knows it
  failed: false,
};
function save() {
  try {
    localStorage.setItem(storeKey, JSON.stringify({ data: state.data, queue: state.queue, seen: state.seen }));
  } catch {
    // A full storage must not stop the door: the scan is still shown.
  }
}

/** @param {string} template @param {Record<string, unknown>} params */
function format(template, params) {
  return template.replace(/\{(\w+)\}/g, function (/** @type {string} */ m, /** @type {string} */ name) {
    return name in params ? String(params[name]) : m;
  });
}
/** @param {string} iso */
function timeOf(iso) {
  try {
    return new Intl.DateTimeFormat(config.locale, {
      hour: '2-digit',
      minute: '2-digit',
      timeZone: config.timezone,
    }).format(new Date(iso));
  } catch {
    return new Date(iso).toLocaleTimeString();
  }
}

// --- what the door person sees ---
/** @param {boolean} ok @param {string} big @param {string} [detail] */
function show(ok, big, detail) {
  resultBox.className = 'scan-result ' + (ok ? 'ok' : 'ko');
  /** @type {HTMLElement} */ (resultBox.querySelector('.big')).textContent = big;
  /** @type {HTMLElement} */ (resultBox.querySelector('.detail')).textContent = detail || '';
  if (!ok && navigator.vibrate) navigator.vibrate([200, 100, 200]);
}
function refreshCounters() {
  var n = Object.keys(state.seen).length;
  var entries = format(words['count.' + plural.select(n)] || words['count.other'], { count: n });
  // Entries out of the tickets sold (as the server last said: offline, the last copy).
  countBox.textContent =
    state.data && typeof state.data.sold === 'number'
      ? entries +
        ' ' +
        format(words['ofSold.' + plural.select(state.data.sold)] || words['ofSold.other'], { sold: state.data.sold })
      : entries;
  syncButton.textContent = format(words.sync, { count: state.queue.length });
  var offline = state.failed || navigator.onLine === false;
  netBox.textContent = offline ? words.offline : words.online;
  netBox.className = 'scan-net' + (offline ? ' off' : '');
}
/** @param {CheckinResult} answer */
function holderLine(answer) {
  return [answer.holderName, answer.priceName].filter(Boolean).join(' · ');
}
/** @type {Record<string, string>} */
var reasons = {
  cancelled: words.cancelled,
  refunded: words.refunded,
  wrong_event: words.wrongEvent,
  unknown: words.unknown,
};
/** @param {CheckinResult} answer */
function showAnswer(answer) {
  if (answer.result === 'valid') {
    if (answer.ticketId) state.seen[answer.ticketId] = state.seen[answer.ticketId] || new Date().toISOString();
    show(true, words.valid, holderLine(answer));
  } else if (answer.result === 'already_checked_in') {
    if (answer.ticketId && !state.seen[answer.ticketId])
      state.seen[answer.ticketId] = answer.previous ? answer.previous.at : new Date().toISOString();
    show(
      false,
      answer.previous ? format(words.alreadyAt, { time: timeOf(answer.previous.at) }) : words.already,
      holderLine(answer),
    );
  } else {
    show(false, reasons[answer.result] || words.unknown, holderLine(answer));
  }
  save();
  refreshCounters();
}

// --- the server ---
/** @param {Scan[]} scans @param {number} timeoutMs @returns {Promise<{ status: number, body: any }>} */
function post(scans, timeoutMs) {
  // A weak signal can leave a request hanging for a minute: past the timeout the phone decides
  // itself. If the server did record the scan, the resent nonce gets the same answer.
  var body = device
    ? { eventId: config.eventId, scans: scans }
    : { venue: config.venue, eventId: config.eventId, scans: scans };
  return send('POST', device ? '/api/v1/door/checkins' : '/api/v1/checkins', JSON.stringify(body), timeoutMs).then(
    function (response) {
      // A server error is treated as no network: the scan is decided here and sent again later
      // (its nonce makes the resend count once).
      if (response.status >= 500) throw new Error('server ' + response.status);
      return response.json().then(function (body) {
        return { status: response.status, body: body };
      });
    },
  );
}

function refreshData() {
  return send('GET', config.dataUrl, '', 15000)
    .then(function (response) {
      if (!response.ok) throw new Error('checkin-data ' + response.status);
      return response.json();
    })
    .then(function (/** @type {CheckinData} */ data) {
      state.data = data;
      data.entered.forEach(function (id) {
        if (!state.seen[id]) state.seen[id] = '';
      });
      state.failed = false;
      save();
      refreshCounters();
    })
    .catch(function () {
      refreshCounters();
    });
}

// --- deciding offline ---
/** @param {string} s @returns {Uint8Array<ArrayBuffer> | null} */
function fromBase64url(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  var b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  while (b64.length % 4) b64 += '=';
  try {
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}
/** @param {string} s */
function uuidOf(s) {
  var b = fromBase64url(s);
  if (!b || b.length !== 16) return null;
  var h = Array.from(b, function (x) {
    return (x < 16 ? '0' : '') + x.toString(16);
  }).join('');
  return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
}

/**
 * Resolves to { ok, big, detail, ticketId } from the payload, the keys and what the phone knows.
 * @param {string} payload
 * @returns {Promise<Decision>}
 */
function decideOffline(payload) {
  /** @param {string} big @returns {Promise<Decision>} */
  var refuse = function (big) {
    return Promise.resolve({ ok: false, big: big });
  };
  var data = state.data;
  if (!data) return refuse(words.dataMissing);
  var known = data;
  if (!window.crypto || !crypto.subtle) return refuse(words.unverifiable);
  var parts = payload.split('.');
  if (parts.length !== 5 || parts[0] !== 'R1') return refuse(words.unknown);
  var ticketId = uuidOf(parts[1]);
  var dateId = uuidOf(parts[2]);
  var key = data.keys.filter(function (k) {
    return k.id === parts[3];
  })[0];
  var signature = fromBase64url(parts[4]);
  var raw = key && fromBase64url(key.publicKey);
  if (!ticketId || !dateId || !key || !signature || !raw) return refuse(words.unknown);
  var message = new TextEncoder().encode('R1|' + data.venueId + '|' + ticketId + '|' + dateId);
  return crypto.subtle
    .importKey('raw', raw, { name: 'Ed25519' }, false, ['verify'])
    .then(function (publicKey) {
      return crypto.subtle.verify(
        { name: 'Ed25519' },
        publicKey,
        /** @type {Uint8Array<ArrayBuffer>} */ (signature),
        message,
      );
    })
    .then(
      /** @returns {Decision} */
      function (genuine) {
        var id = /** @type {string} */ (ticketId);
        if (!genuine) return { ok: false, big: words.unknown };
        if (known.dateIds.indexOf(/** @type {string} */ (dateId)) < 0) return { ok: false, big: words.wrongEvent };
        if (known.revoked.indexOf(id) >= 0) return { ok: false, big: words.revoked };
        if (id in state.seen) {
          var at = state.seen[id];
          return { ok: false, big: at ? format(words.alreadyAt, { time: timeOf(at) }) : words.already };
        }
        return { ok: true, big: words.validOffline, ticketId: id };
      },
      // No Ed25519 in this browser, or a key it refuses: the phone cannot tell, so it says no.
      /** @returns {Decision} */
      function () {
        return { ok: false, big: words.unverifiable };
      },
    );
}

/** @param {Scan} scan */
function offlineScan(scan) {
  state.failed = true;
  return decideOffline(scan.payload).then(function (decision) {
    if (decision.ok && decision.ticketId) {
      state.seen[decision.ticketId] = scan.scannedAt;
      state.queue.push(scan);
    }
    show(decision.ok, decision.big, decision.detail);
    save();
    refreshCounters();
  });
}

function nonce() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  var bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, function (x) {
    return (x < 16 ? '0' : '') + x.toString(16);
  }).join('');
}

var busy = false;
/** @param {unknown} code @returns {Promise<void>} */
function scan(code) {
  var payload = String(code || '').trim();
  if (!payload || busy) return Promise.resolve();
  busy = true;
  var item = { payload: payload, nonce: nonce(), scannedAt: new Date().toISOString() };
  return post([item], 4000)
    .then(
      function (answer) {
        state.failed = false;
        if (answer.status === 200 && answer.body.results && answer.body.results[0]) {
          showAnswer(answer.body.results[0]);
          if (state.queue.length) void sync();
        } else {
          show(false, words.refused, answer.body && (answer.body.detail || answer.body.title));
          refreshCounters();
        }
      },
      function () {
        return offlineScan(item);
      },
    )
    .then(
      function () {
        busy = false;
      },
      function () {
        busy = false;
      },
    );
}

// --- sending the offline queue ---
/** @type {Promise<unknown> | null} */
var syncing = null;
/**
 * Sends the queue in batches of 500; `found` carries the conflicts of the earlier batches.
 * @param {string[]} [found]
 * @returns {Promise<unknown>}
 */
function sync(found) {
  if (syncing) return syncing;
  var conflicts = found || [];
  if (!state.queue.length) {
    reportBox.textContent = words.synced;
    return refreshData();
  }
  var batch = state.queue.slice(0, 500);
  syncButton.textContent = words.syncing;
  syncing = post(batch, 30000)
    .then(
      function (answer) {
        if (answer.status !== 200) {
          // Refused (logged out, no longer on the door team): the queue stays for a later try.
          reportBox.textContent =
            words.refused + ' : ' + ((answer.body && (answer.body.detail || answer.body.title)) || answer.status);
          return false;
        }
        state.failed = false;
        /** @type {Record<string, boolean>} */
        var sent = {};
        batch.forEach(function (s) {
          sent[s.nonce] = true;
        });
        state.queue = state.queue.filter(function (s) {
          return !sent[s.nonce];
        });
        // A ticket let in here that another phone had let in already (or cancelled since): the
        // people at the door must know.
        answer.body.results.forEach(function (/** @type {CheckinResult} */ r) {
          if (r.result === 'valid') return;
          var what =
            r.result === 'already_checked_in' && r.previous
              ? format(words.alreadyAt, { time: timeOf(r.previous.at) })
              : reasons[r.result] || words.already;
          conflicts.push((holderLine(r) || r.ticketId || '?') + ' : ' + what);
        });
        reportBox.textContent = conflicts.length
          ? format(words.conflicts, { count: conflicts.length }) + ' ' + conflicts.join(' ; ')
          : words.synced;
        save();
        return true;
      },
      function () {
        state.failed = true;
        reportBox.textContent = words.syncFailed;
        return false;
      },
    )
    .then(function (sent) {
      syncing = null;
      refreshCounters();
      if (sent) return state.queue.length ? sync(conflicts) : refreshData();
    });
  return syncing;
}

form.addEventListener('submit', function (event) {
  event.preventDefault();
  // While the previous answer is on its way the typed code stays in the field, to be sent next.
  if (busy) return;
  var code = input.value;
  input.value = '';
  void scan(code);
  input.focus();
});
// --- a guest without a phone: found by name, let in through the same scan (its ticket's code) ---
var people = $('scan-people');
var peopleStatus = $('scan-people-status');
var nameInput = /** @type {HTMLInputElement} */ ($('scan-name'));
/** @param {{ ticketId: string, holderName: string, priceName: string, entered: boolean, payload: string }[]} found */
function showPeople(found) {
  people.replaceChildren();
  peopleStatus.textContent = found.length ? '' : words.searchNone;
  found.forEach(function (p) {
    var item = document.createElement('li');
    var who = document.createElement('span');
    who.textContent = [p.holderName, p.priceName].filter(Boolean).join(' · ');
    var button = document.createElement('button');
    button.type = 'button';
    button.textContent = p.entered || state.seen[p.ticketId] !== undefined ? words.already : words.letIn;
    button.disabled = p.entered || state.seen[p.ticketId] !== undefined;
    button.addEventListener('click', function () {
      people.replaceChildren();
      nameInput.value = '';
      void scan(p.payload);
    });
    item.append(who, button);
    people.append(item);
  });
}
$('scan-search').addEventListener('submit', function (e) {
  e.preventDefault();
  var q = nameInput.value.trim();
  if (q.length < 2) {
    people.replaceChildren();
    peopleStatus.textContent = words.searchShort;
    return;
  }
  send('GET', config.attendeesUrl + '?q=' + encodeURIComponent(q), '', 8000)
    .then(function (response) {
      if (!response.ok) throw new Error('attendees ' + response.status);
      return response.json();
    })
    .then(function (/** @type {{ attendees: any[] }} */ body) {
      showPeople(body.attendees);
    })
    .catch(function () {
      people.replaceChildren();
      peopleStatus.textContent = words.searchFailed;
    });
});
wireCamera({
  video: video,
  button: cameraButton,
  words: words,
  onCode: scan,
  onUnavailable: function () {
    show(false, words.cameraUnavailable);
  },
});
syncButton.addEventListener('click', function () {
  void sync();
});
window.addEventListener('online', function () {
  void sync();
});
window.addEventListener('offline', refreshCounters);
// Tickets cancelled during the evening reach the phone's revocation list within a minute.
setInterval(function () {
  if (!syncing && navigator.onLine !== false) void refreshData();
}, 60000);

refreshCounters();
refreshData().then(function () {
  // Tests (and curious people) can tell when the offline data is in.
  document.documentElement.setAttribute('data-scanner', state.data ? 'ready' : 'no-data');
  if (state.queue.length && !state.failed) void sync();
});
