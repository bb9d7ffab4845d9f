// @ts-check
// What the till keeps across reloads: the device key and the waiting sales in IndexedDB (database
// rezo-till, version 1: stores "device" and "queue"), the rest (session, config, point, last sale,
// uncertain sale) in localStorage under "rezo-till:<key>".
/* global indexedDB, localStorage */

/**
 * @typedef {import('./types.js').Device} Device
 * @typedef {import('./types.js').QueueEntry} QueueEntry
 */

/** @type {Promise<IDBDatabase> | null} */
let dbPromise = null;
function idb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const open = indexedDB.open('rezo-till', 1);
      open.onupgradeneeded = () => {
        open.result.createObjectStore('device');
        open.result.createObjectStore('queue', { keyPath: 'seq', autoIncrement: true });
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
  }
  return dbPromise;
}
/**
 * @param {'device'|'queue'} store
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest} action
 * @returns {Promise<any>}
 */
function idbRun(store, mode, action) {
  return idb().then(
    (db) =>
      new Promise((resolve, reject) => {
        const tx = db.transaction(store, mode);
        const request = action(tx.objectStore(store));
        tx.oncomplete = () => resolve(request ? request.result : undefined);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      }),
  );
}
/** @type {() => Promise<Device | undefined>} */
export const getDevice = () => idbRun('device', 'readonly', (s) => s.get('current'));
export const putDevice = (/** @type {Device} */ d) => idbRun('device', 'readwrite', (s) => s.put(d, 'current'));
export const deleteDevice = () => idbRun('device', 'readwrite', (s) => s.delete('current'));
/** @type {() => Promise<QueueEntry[]>} */
export const queueAll = () => idbRun('queue', 'readonly', (s) => s.getAll());
export const queueAdd = (/** @type {Omit<QueueEntry, 'seq'>} */ entry) =>
  idbRun('queue', 'readwrite', (s) => s.add(entry));
export const queueDelete = (/** @type {number} */ seq) => idbRun('queue', 'readwrite', (s) => s.delete(seq));
export const queuePut = (/** @type {QueueEntry} */ entry) => idbRun('queue', 'readwrite', (s) => s.put(entry));

export const store = {
  /** @param {string} key @returns {any} */
  get(key) {
    try {
      return JSON.parse(localStorage.getItem('rezo-till:' + key) || 'null');
    } catch {
      return null;
    }
  },
  /** @param {string} key @param {unknown} value */
  set(key, value) {
    try {
      if (value === null || value === undefined) localStorage.removeItem('rezo-till:' + key);
      else localStorage.setItem('rezo-till:' + key, JSON.stringify(value));
    } catch {
      // A full storage must not stop the bar.
    }
  },
};
