/* The phone pages' outbox: what a person submits is written to IndexedDB first and sent when the network
   allows, each item with its own key so that a send whose answer was lost is not recorded twice.

   JingwuOutbox.store(name) opens one database (one per page, so that pages never read each other's items);
   JingwuOutbox.post(item) sends one item (JSON or multipart) and says what the server's answer means for it:
   "sent", "waiting" (signed out, server busy: try again later, nothing wrong with the item) or "failed" (the
   server refused the content: retrying the same cannot succeed, so the reason is kept for the person). */
(function () {
  "use strict";

  function store(name) {
    var STORE = "outbox", opened = null;
    function db() {
      opened = opened || new Promise(function (resolve, reject) {
        var req = indexedDB.open(name, 1);
        req.onupgradeneeded = function () { req.result.createObjectStore(STORE, {keyPath: "key"}); };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { opened = null; reject(req.error); };
      });
      return opened;
    }
    function tx(mode, fn) {
      return db().then(function (d) {
        return new Promise(function (resolve, reject) {
          var t = d.transaction(STORE, mode), out = fn(t.objectStore(STORE));
          t.oncomplete = function () { resolve(out && out.result !== undefined ? out.result : undefined); };
          t.onerror = function () { reject(t.error); };
        });
      });
    }
    return {
      all: function () { return tx("readonly", function (s) { return s.getAll(); }); },
      put: function (item) { return tx("readwrite", function (s) { s.put(item); }); },
      del: function (key) { return tx("readwrite", function (s) { s.delete(key); }); }
    };
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function csrf() { var m = document.cookie.match(/csrftoken=([^;]+)/); return m ? m[1] : ""; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function bump(what) {  // counters the page shows to tests and to the curious: how many went out
    document.body.dataset[what] = String(parseInt(document.body.dataset[what] || "0", 10) + 1);
  }

  // item: {url, json} or {url, fields, files: [{field, name, blob}]}. Resolves {outcome, body, status};
  // rejects only when the network failed (the item stays as it was).
  function post(item) {
    var init = {method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": csrf(), "Accept": "application/json"}};
    if (item.json) {
      init.body = JSON.stringify(item.json);
      init.headers["Content-Type"] = "application/json";
    } else {
      var body = new FormData();
      Object.keys(item.fields || {}).forEach(function (k) { body.append(k, item.fields[k]); });
      (item.files || []).forEach(function (f) { body.append(f.field || "photos", f.blob, f.name); });
      init.body = body;
    }
    return fetch(item.url, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) {
        if (r.ok) return {outcome: "sent", body: b, status: r.status};
        // Not a refusal of the content: signed out, a stale CSRF token, the server busy or restarting.
        var passing = r.status === 401 || r.status === 408 || r.status === 429 || r.status >= 500 ||
                      (r.status === 403 && !b.error);
        if (passing) return {outcome: "waiting", body: b, status: r.status, relogin: r.status === 401 || r.status === 403};
        return {outcome: "failed", body: b, status: r.status,
                reason: (b.error && b.error.message) || ("HTTP " + r.status)};
      });
    });
  }

  // One round of sending a person's waiting items, in the order they were made. A network failure or a passing
  // refusal (signed out, server busy) ends the round: the rest would fare the same, and order matters. A refusal
  // of the content keeps the item with the server's reason. opts: {user, relogin, later (the texts a waiting
  // item shows), sent(item, body), refused(item, reason) → whether to go on (or a promise of it)}.
  function sendAll(box, opts) {
    return box.all().then(function (items) {
      var pending = items.filter(function (i) { return i.user === opts.user && !i.error; })
        .sort(function (a, b) { return a.created - b.created; });
      return pending.reduce(function (p, item) {
        return p.then(function (go) {
          if (!go) return false;
          return post(item).then(function (a) {
            if (a.outcome === "sent") {
              bump("sent");
              return box.del(item.key).then(function () { opts.sent(item, a.body); return true; });
            }
            if (a.outcome === "waiting") {
              item.wait = a.relogin ? opts.relogin : opts.later;
              return box.put(item).then(function () { return false; });
            }
            item.error = a.reason;
            bump("failed");
            return box.put(item).then(function () { return opts.refused(item, a.reason); });
          }, function () { return false; });
        });
      }, Promise.resolve(true));
    });
  }

  window.JingwuOutbox = {store: store, post: post, sendAll: sendAll, uuid: uuid, csrf: csrf, el: el, bump: bump};
})();
