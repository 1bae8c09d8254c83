// The resident's device data in IndexedDB, and the one sender of its outbox.
//
// Loaded by the resident's page (a plain <script>) and by the service worker
// (importScripts), so both read and write one store the same way and either can send: the
// page when it is open, the worker from Background Sync when it is not. Web Locks keep them
// from sending (or registering the device) at the same moment; BroadcastChannel tells the
// other side that the outbox changed, so the screen shows what the worker did.
//
// Stores: `device` (key-value: identity, cursor, mine, following, dossiers, reports),
// `outbox` (one record per operation, photos as Blobs, keyed by the operation id) and
// `tiles` (the street tiles the resident looked at, for the worker).
(function (scope) {
  'use strict';

  var opening = null;
  var channel = 'BroadcastChannel' in scope ? new BroadcastChannel('phananh-outbox') : null;

  function request(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }

  function db() {
    if (!opening) {
      var open = indexedDB.open('phananh', 1);
      open.onupgradeneeded = function () {
        var d = open.result;
        d.createObjectStore('device');
        d.createObjectStore('outbox', { keyPath: 'op_id' });
        d.createObjectStore('tiles', { keyPath: 'url' }).createIndex('at', 'at');
      };
      opening = request(open).catch(function (e) { opening = null; throw e; });
    }
    return opening;
  }

  // Runs `work` in one transaction and resolves with its result once the transaction has
  // committed: a record is kept only when this resolves (a full disk rejects it here, as a
  // QuotaExceededError).
  async function run(stores, mode, work) {
    var t = (await db()).transaction(stores, mode);
    var done = new Promise(function (resolve, reject) {
      t.oncomplete = resolve;
      t.onerror = t.onabort = function () { reject(t.error || new DOMException('aborted', 'AbortError')); };
    });
    try {
      var result = await work(t);
      await done;
      return result;
    } catch (e) {
      try { t.abort(); } catch (_) { /* already finished */ }
      throw e;
    }
  }

  function get(key) {
    return run(['device'], 'readonly', function (t) { return request(t.objectStore('device').get(key)); });
  }

  function set(key, value) {
    return run(['device'], 'readwrite', function (t) { return request(t.objectStore('device').put(value, key)); });
  }

  function records() {
    return run(['outbox'], 'readonly', function (t) { return request(t.objectStore('outbox').getAll()); });
  }

  function put(record) {
    return run(['outbox'], 'readwrite', function (t) { return request(t.objectStore('outbox').put(record)); });
  }

  function changed() {
    if (channel) channel.postMessage('outbox');
    if (scope.document) scope.dispatchEvent(new Event('phananh-outbox'));
  }

  // One holder at a time across the page and the worker; where Web Locks are missing
  // (old browsers), only the page sends.
  function exclusively(name, work) {
    return scope.navigator.locks ? scope.navigator.locks.request(name, work) : work();
  }

  // The device's token, registering the device the first time (once, whoever asks first).
  function token() {
    return exclusively('phananh-register', async function () {
      var identity = await get('identity');
      if (identity) return identity.token;
      var answer = await fetch('/api/v1/devices', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
      });
      if (!answer.ok) throw new Error('registration: HTTP ' + answer.status);
      identity = await answer.json();
      await set('identity', identity);
      return identity.token;
    });
  }

  // The server's refusal, `{error: {code, message, field}}`, kept whole: the app says it in
  // the resident's language by its code and field. A photo's names the file.
  async function refusal(answer, photo) {
    var error = { code: 'http', message: 'HTTP ' + answer.status, field: null };
    try { error = (await answer.json()).error; } catch (_) { /* not JSON */ }
    return photo ? { code: error.code, message: photo + ': ' + error.message, field: 'photos' } : error;
  }

  // A refusal as kept: outboxes from before refusals were kept whole hold the message alone.
  function kept(refused) {
    return typeof refused === 'string' ? { code: 'refused', message: refused, field: null } : refused || null;
  }

  // The identity this device held has moved to another device (its transfer code was used
  // there), so the server no longer takes `auth`: the device forgets it and the lists that
  // were its, and the next try registers it as a new device, whose reports what is queued
  // here become. Only if it still holds that identity: a claim may have replaced it since.
  function movedAway(auth) {
    return run(['device'], 'readwrite', async function (t) {
      var device = t.objectStore('device');
      var identity = await request(device.get('identity'));
      if (!identity || 'Bearer ' + identity.token !== auth) return;
      ['identity', 'mine', 'following', 'reports', 'dossiers', 'cursor'].forEach(function (key) { device.delete(key); });
    });
  }

  // Whether an answer means "try again later" rather than "this will never be taken".
  async function later(answer, auth) {
    if (answer.status === 401) await movedAway(auth);
    return answer.status >= 500 || answer.status === 429 || answer.status === 408 || answer.status === 401;
  }

  async function remember(key, id) {
    var ids = (await get(key)) || [];
    if (ids.indexOf(id) < 0) {
      ids.unshift(id);
      await set(key, ids);
    }
  }

  // Uploads the record's photos (each kept as sent at once, so a retry never uploads one
  // twice), then pushes the report. Resolves false when the server cannot take it now.
  async function sendOne(auth, record) {
    record.report.photos = record.report.photos || [];
    while (record.photos.length) {
      var photo = record.photos[0];
      var uploaded = await fetch('/api/v1/photos', {
        method: 'POST', headers: { authorization: auth, 'content-type': photo.type }, body: photo.blob,
      });
      if (await later(uploaded, auth)) return false;
      if (!uploaded.ok) {
        record.refused = await refusal(uploaded, photo.name);
        await put(record);
        return true;
      }
      record.report.photos.push((await uploaded.json()).id);
      record.photos.shift();
      await put(record);
    }
    var pushed = await fetch('/api/v1/sync/push', {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ operations: [{ id: record.op_id, op: 'create_report', report: record.report }] }),
    });
    if (await later(pushed, auth)) return false;
    if (!pushed.ok) {
      record.refused = await refusal(pushed);
      await put(record);
      return true;
    }
    var result = (await pushed.json()).results[0];
    if (result.code === 'filing_limited') {
      // Over the device's filing budget: kept, and sent again later.
      record.held = true;
      await put(record);
      return false;
    }
    if (result.outcome === 'accepted') {
      await remember('mine', result.report.id);
      await run(['outbox'], 'readwrite', function (t) { return request(t.objectStore('outbox').delete(record.op_id)); });
    } else {
      record.refused = { code: result.code, message: result.message, field: result.field || null };
      await put(record);
    }
    return true;
  }

  // Sends every waiting record, oldest first. Resolves 'sent' when nothing is left waiting,
  // 'offline' when the server could not be reached or asked to wait.
  function send() {
    return exclusively('phananh-send', async function () {
      var outcome = 'sent';
      try {
        var waiting = (await records()).filter(function (r) { return !r.refused; });
        if (!waiting.length) return outcome;
        var auth = 'Bearer ' + (await token());
        waiting.sort(function (a, b) { return a.queued_at < b.queued_at ? -1 : 1; });
        for (var i = 0; i < waiting.length; i++) {
          if (!(await sendOne(auth, waiting[i]))) { outcome = 'offline'; break; }
        }
      } catch (e) {
        outcome = 'offline'; // no answer (no signal, server down): the next try resends
      }
      changed();
      return outcome;
    });
  }

  // Keeps a new report on the device; rejects (a QuotaExceededError when the store is
  // full) if it was not kept. `photos`: [{name, type, blob, before}].
  async function queue(recordJson, photos) {
    var record = JSON.parse(recordJson);
    record.photos = photos;
    record.refused = null;
    await put(record);
    changed();
    // What the resident files must not be evicted when the phone runs short of space.
    if (scope.navigator.storage && scope.navigator.storage.persist) {
      scope.navigator.storage.persist().catch(function () { /* the browser decides */ });
    }
    if (scope.navigator.serviceWorker) {
      scope.navigator.serviceWorker.ready
        .then(function (r) { return r.sync && r.sync.register('outbox'); })
        .catch(function () { /* no Background Sync: the page's own timer sends */ });
    }
  }

  // Object URLs of the thumbnails shown now; replaced at each listing.
  var shown = [];

  // The outbox as the screen shows it: shared's QueuedReport, as JSON, with thumbnails.
  async function queued() {
    shown.forEach(function (url) { URL.revokeObjectURL(url); });
    shown = [];
    var list = (await records()).map(function (r) {
      var thumbnails = r.photos.map(function (p) { return URL.createObjectURL(p.blob); });
      shown = shown.concat(thumbnails);
      return {
        op_id: r.op_id, report: r.report, ward: r.ward, queued_at: r.queued_at,
        photos_waiting: r.photos.length, refused: kept(r.refused), held: !!r.held, thumbnails: thumbnails,
      };
    });
    list.sort(function (a, b) { return a.queued_at < b.queued_at ? -1 : 1; });
    return JSON.stringify(list);
  }

  // The outbox records as stored, photo sizes instead of their bytes (for tests and tools).
  async function list() {
    return (await records()).map(function (r) {
      return Object.assign({}, r, {
        photos: r.photos.map(function (p) { return { name: p.name, type: p.type, size: p.blob.size }; }),
      });
    });
  }

  // The page's first start after an update from the localStorage version: the outbox,
  // identity, cursor and lists move into IndexedDB, and leave localStorage only once kept.
  async function migrate() {
    var storage = scope.localStorage;
    if (!storage) return;
    var read = function (key) {
      try { return JSON.parse(storage.getItem(key)); } catch (_) { return null; }
    };
    var moves = { 'phananh.device': 'identity', 'phananh.device_seq': 'cursor', 'phananh.mine': 'mine',
      'phananh.following': 'following', 'phananh.dossiers': 'dossiers' };
    var outbox = read('phananh.outbox') || [];
    var keys = Object.keys(moves).filter(function (k) { return storage.getItem(k) !== null; });
    if (!keys.length && !outbox.length) return;
    await run(['device', 'outbox'], 'readwrite', function (t) {
      keys.forEach(function (k) { t.objectStore('device').put(read(k), moves[k]); });
      outbox.forEach(function (p) {
        t.objectStore('outbox').put({
          op_id: p.op_id, report: p.report, ward: p.ward, queued_at: p.queued_at, refused: p.refused,
          photos: (p.photos || []).map(function (photo) {
            var bytes = Uint8Array.from(atob(photo.data), function (c) { return c.charCodeAt(0); });
            return { name: photo.name, type: photo.content_type, blob: new Blob([bytes], { type: photo.content_type }) };
          }),
        });
      });
    });
    keys.concat(['phananh.outbox', 'phananh.wards']).forEach(function (k) { storage.removeItem(k); });
  }

  // Calls `listener` whenever the outbox changed: here, in the worker or in another tab.
  function onChange(listener) {
    if (channel) channel.addEventListener('message', listener);
    if (scope.document) scope.addEventListener('phananh-outbox', listener);
  }

  scope.phananhOutbox = {
    db: db, run: run, request: request, get: get, set: set, token: token, send: send,
    movedAway: movedAway, queue: queue, queued: queued, list: list, migrate: migrate, onChange: onChange,
  };
})(self);
