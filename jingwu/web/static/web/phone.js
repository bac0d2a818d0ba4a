/* The grid worker's phone page. Every submission goes into an outbox in IndexedDB first, then is sent;
   without signal it waits there (shown as "待发送") and is sent when the network returns. Each item
   carries its own client_key, so a send that reached the server but lost its answer is not repeated
   as a second case when it is sent again. */
(function () {
  "use strict";
  var TEXT = JSON.parse(document.getElementById("phone-text").textContent);
  var DB = "jingwu-phone", STORE = "outbox";
  var sending = false;

  function db() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, {keyPath: "key"}); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
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
  var outbox = {
    all: function () { return tx("readonly", function (s) { return s.getAll(); }); },
    put: function (item) { return tx("readwrite", function (s) { s.put(item); }); },
    del: function (key) { return tx("readwrite", function (s) { s.delete(key); }); }
  };

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function bump(what) {  // counters the page shows to tests and to the curious: how many went out
    document.body.dataset[what] = String(parseInt(document.body.dataset[what] || "0", 10) + 1);
  }
  function csrf() { var m = document.cookie.match(/csrftoken=([^;]+)/); return m ? m[1] : ""; }

  function render() {
    return outbox.all().then(function (items) {
      var list = document.getElementById("outbox");
      list.textContent = "";
      items.sort(function (a, b) { return a.created - b.created; });
      items.forEach(function (it) {
        var li = document.createElement("li");
        li.className = "outbox-item " + (it.error ? "failed" : "waiting");
        li.dataset.key = it.key;
        li.textContent = it.label + " · " + (it.error ? TEXT.failed + "：" + it.error : TEXT.waiting);
        if (it.error) {
          var drop = document.createElement("button");
          drop.type = "button";
          drop.textContent = "×";
          drop.title = "remove";
          drop.addEventListener("click", function () { outbox.del(it.key).then(render); });
          li.appendChild(drop);
        }
        list.appendChild(li);
      });
      document.getElementById("outbox-count").textContent = String(items.length);
      document.getElementById("outbox-card").hidden = items.length === 0;
    });
  }

  function status() {
    var net = document.getElementById("net");
    net.textContent = navigator.onLine ? net.dataset.onlineText : net.dataset.offlineText;
    net.className = "net " + (navigator.onLine ? "online" : "offline");
  }

  function send(item) {
    var body = new FormData();
    Object.keys(item.fields).forEach(function (k) { body.append(k, item.fields[k]); });
    item.files.forEach(function (f) { body.append("photos", f.blob, f.name); });
    return fetch(item.url, {method: "POST", body: body, credentials: "same-origin",
                            headers: {"X-CSRFToken": csrf(), "Accept": "application/json"}})
      .then(function (r) {
        if (r.ok) return outbox.del(item.key).then(function () { bump("sent"); return "sent"; });
        return r.json().catch(function () { return {}; }).then(function (b) {
          // The server answered: retrying the same content cannot succeed. Keep it visible with the reason.
          item.error = (b.error && b.error.message) || ("HTTP " + r.status);
          bump("failed");
          return outbox.put(item).then(function () { return "failed"; });
        });
      });
  }

  function flush() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    return outbox.all().then(function (items) {
      var pending = items.filter(function (i) { return !i.error; });
      return pending.reduce(function (p, item) {
        return p.then(function () { return send(item).catch(function () { /* no network: keep it */ }); });
      }, Promise.resolve());
    }).then(function () { sending = false; return render(); }, function () { sending = false; });
  }

  function enqueue(form) {
    var fields = {}, files = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled) return;
      if (el.type === "file") {
        Array.prototype.forEach.call(el.files, function (f) { files.push({name: f.name, blob: f}); });
      } else if ((el.type === "radio" || el.type === "checkbox") && !el.checked) {
        return;
      } else if (el.value !== "") {
        fields[el.name] = el.value;
      }
    });
    if (fields.outcome === "confirmed" || fields.outcome === "pass") delete fields.reason;
    var item = {key: uuid(), url: form.dataset.url, label: form.dataset.label, fields: fields, files: files,
                created: Date.now()};
    item.fields.client_key = item.key;
    return outbox.put(item).then(render);
  }

  document.querySelectorAll("form.offline-form").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (form.id === "report-form" && !document.getElementById("lon").value) {
        document.getElementById("pos-text").classList.add("late");
        return;
      }
      enqueue(form).then(function () {
        form.reset();
        form.classList.add("queued");
        return flush();
      });
    });
  });

  // Category picker with search.
  var search = document.getElementById("cat-search"), select = document.getElementById("cat-select");
  if (search && select) {
    search.addEventListener("input", function () {
      var q = search.value.trim();
      var first = null;
      Array.prototype.forEach.call(select.options, function (o) {
        var hit = !q || o.dataset.search.indexOf(q) >= 0;
        o.hidden = !hit;
        if (hit && !first) first = o;
      });
      if (first) select.value = first.value;
    });
  }

  // Position: GPS, shown on a map, adjustable by tapping or dragging.
  if (document.getElementById("report-map")) {
    var picker = JingwuMap.picker("report-map", "lon", "lat", "pos-text");
    var locate = function () {
      if (!navigator.geolocation) return;
      navigator.geolocation.getCurrentPosition(function (p) {
        var ll = L.latLng(p.coords.latitude, p.coords.longitude);
        picker.place(ll);
        picker.map.setView(ll, 16);
      }, function () {}, {enableHighAccuracy: true, timeout: 10000});
    };
    document.getElementById("locate-me").addEventListener("click", locate);
    locate();
  }
  var mine = document.getElementById("my-grids");
  if (mine && document.getElementById("grid-map")) {
    JingwuMap.grids(JingwuMap.base("grid-map"), JSON.parse(mine.textContent));
  }

  window.addEventListener("online", function () { status(); flush(); });
  window.addEventListener("offline", status);
  setInterval(flush, 15000);
  status();
  render().then(flush);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/phone/sw.js", {scope: "/phone/"}).catch(function () {});
  window.JingwuPhone = {flush: flush, outbox: outbox};
})();
