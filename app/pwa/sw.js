// The resident's app, offline: the service worker.
//
// It precaches exactly the files of one build (listed with their hashes by
// pwa/precache.py when trunk builds the page) and serves the page from them, so the app
// opens with no signal and an old page never runs with a new wasm: a new build installs
// beside the old one and takes over only when the resident taps "reload". It keeps the
// lists the screens need (boundaries, procedures, map settings) for offline use, sends the
// outbox from Background Sync when the page is closed, and keeps the street tiles the
// resident looked at, within a bound. The staff bundle's pages (the staff's, the city's and the
// public results) and the API pass straight through.
'use strict';

// Written by pwa/precache.py: {id, files: [{url, integrity}]}.
const BUILD = null;

importScripts('/outbox.js');

const APP_CACHE = 'phananh-app-' + BUILD.id;
// Answers from the API the screens need offline: fresh when the server answers, else the
// last one kept.
const DATA = ['/api/v1/wards.geojson', '/api/v1/procedures', '/api/v1/config'];
// Tiles older than this are fetched again when the network answers.
const TILE_FRESH_MS = 7 * 24 * 3600 * 1000;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(APP_CACHE);
    // `integrity`: the cache holds this build's bytes or the install fails (and is tried
    // again later), never a mix of two builds.
    await Promise.all(BUILD.files.map(async (file) => {
      const answer = await fetch(file.url, { cache: 'no-cache', integrity: file.integrity });
      if (!answer.ok) throw new Error(file.url + ': HTTP ' + answer.status);
      await cache.put(file.url, answer);
    }));
    // The page has just fetched these: the browser's HTTP cache gives them again for as long
    // as the server said they keep, instead of a second download.
    await Promise.all(DATA.map((url) => fetch(url)
      .then((answer) => answer.ok && cache.put(url, answer))
      .catch(() => caches.match(url).then((old) => old && cache.put(url, old)))));
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('phananh-app-') && name !== APP_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// The page asks a waiting worker to take over once the resident tapped "reload".
self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('sync', (event) => {
  if (event.tag !== 'outbox') return;
  // Rejected while the server cannot be reached, so the browser tries again later.
  event.waitUntil(phananhOutbox.send().then((outcome) => {
    if (outcome !== 'sent') throw new Error('the server could not be reached');
  }));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin === self.location.origin) {
    if (request.mode === 'navigate') {
      if (!/^\/(staff|city|transparency|api|open311|healthz)(\/|$)/.test(url.pathname)) event.respondWith(page(request));
    } else if (DATA.includes(url.pathname) && !url.search) {
      event.respondWith(fresh(request));
    } else if (BUILD.files.some((file) => file.url === url.pathname)) {
      event.respondWith(caches.match(url.pathname, { cacheName: APP_CACHE }).then((hit) => hit || fetch(request)));
    }
    return;
  }
  if (request.destination === 'image') {
    event.respondWith(tiles().then((pattern) => pattern && pattern.test(request.url) ? tile(request.url) : fetch(request)));
  }
});

// Every page of the resident's app is the same page: this build's.
async function page(request) {
  return (await caches.match('/', { cacheName: APP_CACHE })) || fetch(request);
}

async function fresh(request) {
  const cache = await caches.open(APP_CACHE);
  try {
    const answer = await fetch(request);
    if (answer.ok) await cache.put(request, answer.clone());
    return answer;
  } catch (offline) {
    const kept = await cache.match(request);
    if (kept) return kept;
    throw offline;
  }
}

// The configured tile template as a pattern, from the map settings kept offline.
let tileSettings = null;
async function tiles() {
  if (!tileSettings) {
    tileSettings = (async () => {
      const kept = await caches.match('/api/v1/config', { cacheName: APP_CACHE });
      const map = kept && (await kept.json()).map;
      if (!map) return null;
      const escaped = map.tiles.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      return Object.assign(new RegExp('^' + escaped.replace(/\{[zxy]\}/g, '\\d+') + '$'), { limit: map.cache_tiles });
    })().catch(() => null);
  }
  return tileSettings;
}

// A street tile: the kept copy while it is fresh or the network fails, else the network's,
// kept (the oldest kept tiles out first beyond the limit). Only tiles the resident looked
// at are ever fetched: nothing is downloaded in bulk.
async function tile(url) {
  const store = phananhOutbox;
  const kept = await store.run(['tiles'], 'readonly', (t) => store.request(t.objectStore('tiles').get(url)));
  if (kept && Date.now() - kept.at < TILE_FRESH_MS) return new Response(kept.blob, { headers: { 'content-type': kept.blob.type } });
  let answer;
  try {
    answer = await fetch(url, { mode: 'cors', credentials: 'omit' });
  } catch (offline) {
    if (kept) return new Response(kept.blob, { headers: { 'content-type': kept.blob.type } });
    throw offline;
  }
  if (!answer.ok) return answer;
  const blob = await answer.blob();
  const limit = (await tiles()).limit;
  await store.run(['tiles'], 'readwrite', async (t) => {
    const all = t.objectStore('tiles');
    await store.request(all.put({ url, blob, at: Date.now() }));
    let extra = (await store.request(all.count())) - limit;
    if (extra <= 0) return;
    const oldest = all.index('at').openCursor();
    await new Promise((resolve, reject) => {
      oldest.onerror = () => reject(oldest.error);
      oldest.onsuccess = () => {
        const cursor = oldest.result;
        if (!cursor || extra-- <= 0) return resolve();
        cursor.delete();
        cursor.continue();
      };
    });
  }).catch(() => { /* a full disk keeps fewer tiles; the tile still shows */ });
  return new Response(blob, { headers: { 'content-type': blob.type } });
}
