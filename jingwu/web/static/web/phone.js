/* The grid worker's phone page.

   Every submission goes into an outbox in IndexedDB first, then is sent; without signal it waits there and
   is sent when the network returns. Each item carries its own client_key, so a send that reached the server
   but lost its answer is not repeated as a second case when it is sent again.

   The outbox has three states that look different: waiting (not yet sent), sent (kept for a day, so the
   person sees it went), refused (the server answered no: the reason is shown, and the item can be fixed and
   resent or discarded). Photos are shrunk on the phone before they are queued. */
(function () {
  "use strict";
  var TEXT = JSON.parse(document.getElementById("phone-text").textContent);
  var PHOTO = JSON.parse(document.getElementById("photo-settings").textContent);
  var DB = "jingwu-phone", STORE = "outbox";
  var SENT_KEEP_MS = 24 * 3600 * 1000, SENT_KEEP = 20;
  var sending = false;
  var here = null;  // the phone's last known position, [lon, lat]
  // A phone may be shared (a grid's worker changes): each person sees and sends only their own items.
  var USER = document.getElementById("phone-user").dataset.user;
  function mine(i) { return i.user === USER; }

  // --- storage --------------------------------------------------------------------------------------
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
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function sizeOf(item) { return item.files.reduce(function (n, f) { return n + (f.blob.size || 0); }, 0); }

  // --- a moment's message, and a question before something is thrown away ----------------------------
  var toastTimer = null;
  function toast(text, ok) {
    var box = document.getElementById("toast");
    document.getElementById("toast-text").textContent = text;
    document.getElementById("toast-icon").className = ok === "busy" ? "weui-loading weui-icon_toast" :
      (ok === false ? "weui-icon-info-circle weui-icon_toast" : "weui-icon-success-no-circle weui-icon_toast");
    box.hidden = false;
    box.dataset.text = text;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, 2200);
  }
  function confirmDiscard(go) {
    var box = document.getElementById("discard-dialog");
    document.getElementById("discard-text").textContent = TEXT.confirm_discard;
    box.hidden = false;
    document.getElementById("discard-ok").onclick = function (e) { e.preventDefault(); box.hidden = true; go(); };
    document.getElementById("discard-cancel").onclick = function (e) { e.preventDefault(); box.hidden = true; };
  }

  // --- the outbox on screen ---------------------------------------------------------------------------
  function render() {
    return outbox.all().then(function (items) {
      items = items.filter(mine);
      var now = Date.now();
      var stale = items.filter(function (i) { return i.sentAt && now - i.sentAt > SENT_KEEP_MS; });
      stale.forEach(function (i) { outbox.del(i.key); });
      items = items.filter(function (i) { return stale.indexOf(i) < 0; });
      items.sort(function (a, b) { return a.created - b.created; });
      var open = items.filter(function (i) { return !i.sentAt; });
      var sent = items.filter(function (i) { return i.sentAt; }).reverse().slice(0, SENT_KEEP);
      var list = document.getElementById("outbox"), done = document.getElementById("sentbox");
      list.textContent = "";
      done.textContent = "";
      open.forEach(function (it) { list.appendChild(row(it)); });
      sent.forEach(function (it) { done.appendChild(row(it)); });
      document.getElementById("outbox-empty").hidden = open.length > 0;
      var n = String(open.length);
      document.getElementById("outbox-count").textContent = n;
      ["head-outbox-count", "tab-outbox-count"].forEach(function (id) {
        var b = document.getElementById(id);
        b.textContent = n;
        b.hidden = open.length === 0;
      });
      return items;
    });
  }

  function row(it) {
    var state = it.sentAt ? "sent" : (it.error ? "failed" : "waiting");
    var cell = el("div", "weui-cell jw-out outbox-item " + state);
    cell.dataset.key = it.key;
    cell.dataset.state = state;
    cell.appendChild(el("div", "weui-cell__hd", state === "sent" ? "✓" : (state === "failed" ? "!" : "⏱")));
    var bd = el("div", "weui-cell__bd");
    var title = it.label + (it.number && it.label.indexOf(it.number) < 0 ? " · " + it.number : "");
    bd.appendChild(el("div", "", title));
    bd.appendChild(el("div", "jw-hint p-0", state === "sent" ? TEXT.sent : (state === "failed" ? TEXT.failed : TEXT.waiting)));
    if (state === "waiting" && it.wait) bd.appendChild(el("div", "jw-hint p-0 wait-reason", it.wait));
    if (state === "failed") {
      bd.appendChild(el("div", "jw-out__reason", it.error));
      var actions = el("div", "jw-out__actions");
      var fix = el("a", "weui-btn weui-btn_mini weui-btn_primary fix", TEXT.resend);
      fix.href = "#outbox";
      fix.addEventListener("click", function (e) { e.preventDefault(); openFix(it); });
      var drop = el("a", "weui-btn weui-btn_mini weui-btn_warn discard", TEXT.discard);
      drop.href = "#outbox";
      drop.addEventListener("click", function (e) {
        e.preventDefault();
        confirmDiscard(function () { outbox.del(it.key).then(render).then(function () { release(it); }); });
      });
      actions.appendChild(fix);
      actions.appendChild(drop);
      bd.appendChild(actions);
    }
    cell.appendChild(bd);
    return cell;
  }

  // --- fixing a refused item --------------------------------------------------------------------------
  var EDITABLE = {note: true, description: true};
  function openFix(it) {
    var mask = document.getElementById("fix-mask"), dialog = document.getElementById("fix-dialog");
    var fields = document.getElementById("fix-fields");
    document.getElementById("fix-reason").textContent = it.error;
    fields.textContent = "";
    Object.keys(it.fields).filter(function (k) { return EDITABLE[k]; }).forEach(function (k) {
      var cell = el("div", "weui-cell"), bd = el("div", "weui-cell__bd");
      var area = el("textarea", "weui-textarea");
      area.name = k;
      area.rows = 3;
      area.value = it.fields[k];
      bd.appendChild(area);
      cell.appendChild(bd);
      fields.appendChild(cell);
    });
    if (!fields.children.length) {  // nothing typed to correct: a note may still help the reviewer
      var c = el("div", "weui-cell"), b = el("div", "weui-cell__bd"), a = el("textarea", "weui-textarea");
      a.name = "note";
      a.rows = 2;
      b.appendChild(a);
      c.appendChild(b);
      fields.appendChild(c);
    }
    var photos = document.getElementById("fix-photos");
    photos.value = "";
    mask.hidden = dialog.hidden = false;
    dialog.classList.add("weui-half-screen-dialog_show");
    function close() { mask.hidden = dialog.hidden = true; }
    document.getElementById("fix-cancel").onclick = function (e) { e.preventDefault(); close(); };
    mask.onclick = close;
    document.getElementById("fix-send").onclick = function (e) {
      e.preventDefault();
      fields.querySelectorAll("textarea").forEach(function (t) {
        if (t.value.trim()) it.fields[t.name] = t.value.trim(); else delete it.fields[t.name];
      });
      var chosen = Array.prototype.slice.call(photos.files);
      (chosen.length ? Promise.all(chosen.map(shrink)) : Promise.resolve(null)).then(function (files) {
        if (files) {
          it.files = files.map(function (f) { return {name: f.name, blob: f.blob}; });
          it.fields.photo_meta = JSON.stringify(files.map(function (f) { return f.meta; }));
        }
        delete it.error;
        close();
        return outbox.put(it);
      }).then(render).then(flush);
    };
  }

  function shrink(file) { return window.JingwuPhoto.shrink(file, PHOTO, here); }

  // --- sending ----------------------------------------------------------------------------------------
  function status() {
    var net = document.getElementById("net");
    net.textContent = navigator.onLine ? net.dataset.onlineText : net.dataset.offlineText;
    net.className = "jw-net " + (navigator.onLine ? "online" : "offline");
  }

  function send(item) {
    var body = new FormData();
    Object.keys(item.fields).forEach(function (k) { body.append(k, item.fields[k]); });
    item.files.forEach(function (f) { body.append("photos", f.blob, f.name); });
    // The version the person saw is sent as it was: if the case has moved on, the server says so.
    return fetch(item.url, {method: "POST", body: body, credentials: "same-origin",
                            headers: {"X-CSRFToken": csrf(), "Accept": "application/json"}}).then(function (r) {
      if (r.ok) {
        return r.json().catch(function () { return {}; }).then(function (b) {
          b = b.case || b;  // a report answers {case, created}; a step answers the case
          // Sent: keep a light record (no photos) so the person sees it went.
          var done = {key: item.key, user: item.user, url: item.url, label: item.label, fields: {}, files: [], created: item.created,
                      sentAt: Date.now(), number: b.number || item.number || "", status: b.status_label || ""};
          bump("sent");
          return outbox.put(done).then(function () { settled(item, b); return "sent"; });
        });
      }
      return r.json().catch(function () { return {}; }).then(function (b) {
        // Not a refusal of the content: signed out (the session ended while out of signal), the page's
        // CSRF token gone stale, the server busy or restarting. It stays waiting, with the reason shown.
        var passing = r.status === 401 || r.status === 408 || r.status === 429 || r.status >= 500 ||
                      (r.status === 403 && !b.error);
        if (passing) {
          item.wait = r.status === 401 || r.status === 403 ? TEXT.relogin : TEXT.later;
          return outbox.put(item).then(function () { return "waiting"; });
        }
        // The server answered no: retrying the same content cannot succeed. Keep it visible with the reason.
        item.error = (b.error && b.error.message) || ("HTTP " + r.status);
        delete item.wait;
        bump("failed");
        return outbox.put(item).then(function () { refused(item); return "failed"; });
      });
    });
  }

  function flush() {
    if (sending || !navigator.onLine) return render();
    sending = true;
    return outbox.all().then(function (items) {
      var pending = items.filter(function (i) { return mine(i) && !i.error && !i.sentAt; });
      return pending.reduce(function (p, item) {
        return p.then(function () { return send(item).catch(function () { /* no network: keep it */ }); });
      }, Promise.resolve());
    }).then(function () { sending = false; return render(); }, function () { sending = false; });
  }

  // --- what a submission does to the page -------------------------------------------------------------
  function taskCount(delta) {
    var n = Math.max(0, parseInt(document.getElementById("task-count").textContent, 10) + delta);
    document.getElementById("task-count").textContent = String(n);
    var b = document.getElementById("tab-task-count");
    b.textContent = String(n);
    b.hidden = n === 0;
  }
  function settled(item, answer) {
    if (item.number) {
      // A task done: it leaves the list and its page; the person is back on the list.
      var li = document.querySelector("#tasks .task[data-number='" + item.number + "']");
      var detail = document.getElementById("task-" + item.number);
      if (li) {
        li.remove();
        taskCount(-1);
        var list = document.getElementById("tasks");
        if (!list.querySelector(".task")) list.appendChild(el("div", "weui-cell jw-hint no-tasks", TEXT.no_tasks));
      }
      if (detail) detail.remove();
      var mine = document.querySelector("#mine .mine-item[data-number='" + item.number + "']");
      if (mine && answer.status_label) {
        mine.querySelector(".status").textContent = answer.status_label;
        var f = mine.querySelector("form");
        if (f) f.remove();
      }
      if (location.hash.indexOf("#task/" + item.number) === 0) location.hash = "#tasks";
    } else if (answer.number) {
      // A report: it shows in 我的上报 at once, with its state.
      var list = document.getElementById("mine"), empty = list.querySelector(".no-mine");
      if (empty) empty.remove();
      var cell = el("div", "weui-cell mine-item"), bd = el("div", "weui-cell__bd");
      cell.dataset.number = answer.number;
      bd.appendChild(el("b", "", answer.number));
      bd.appendChild(document.createTextNode(" · " + ((answer.category && answer.category.name) || "")));
      cell.appendChild(bd);
      cell.appendChild(el("div", "weui-cell__ft status", answer.status_label || ""));
      list.insertBefore(cell, list.firstChild);
    }
    toast(TEXT.done + (answer.number ? " " + answer.number : ""));
  }
  function refused(item) {
    if (item.number) {
      var li = document.querySelector("#tasks .task[data-number='" + item.number + "']");
      if (li) li.classList.remove("queued");
    }
    toast(TEXT.failed + "：" + item.error, false);
  }
  function release(item) {
    var li = item.number && document.querySelector("#tasks .task[data-number='" + item.number + "']");
    if (li) li.classList.remove("queued");
  }

  function enqueue(form) {
    var fields = {}, picked = [];
    Array.prototype.forEach.call(form.elements, function (e) {
      if (!e.name || e.disabled) return;
      if (e.type === "file") {
        Array.prototype.forEach.call(e.files, function (f) { picked.push(f); });
      } else if ((e.type === "radio" || e.type === "checkbox") && !e.checked) {
        return;
      } else if (e.value !== "") {
        fields[e.name] = e.value;
      }
    });
    if (fields.outcome === "confirmed" || fields.outcome === "pass") delete fields.reason;
    if (picked.length) toast(TEXT.shrinking, "busy");
    return Promise.all(picked.map(shrink)).then(function (files) {
      var item = {key: uuid(), user: USER, url: form.dataset.url, label: form.dataset.label, number: form.dataset.number || "",
                  fields: fields, files: files.map(function (f) { return {name: f.name, blob: f.blob}; }),
                  created: Date.now()};
      if (files.length) item.fields.photo_meta = JSON.stringify(files.map(function (f) { return f.meta; }));
      item.fields.client_key = item.key;
      return outbox.all().then(function (items) {
        var waiting = items.filter(function (i) { return !i.sentAt; }).reduce(function (n, i) { return n + sizeOf(i); }, 0);  // the phone's space, whoever's
        if (waiting + sizeOf(item) > PHOTO.outbox_bytes) throw new Error(TEXT.full);
        return outbox.put(item).then(function () { return item; });
      });
    });
  }

  document.querySelectorAll("form.offline-form").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (form.id === "report-form" && !document.getElementById("lon").value) {
        document.getElementById("pos-text").classList.add("jw-late");
        return;
      }
      var button = form.querySelector("button[type=submit], button:not([type])");
      if (button) button.disabled = true;  // one tap, one submission
      enqueue(form).then(function (item) {
        form.reset();
        if (item.number) {
          var li = document.querySelector("#tasks .task[data-number='" + item.number + "']");
          if (li) li.classList.add("queued");
        }
        if (!navigator.onLine) {
          toast(TEXT.saved);
          if (item.number) location.hash = "#tasks";
        }
        return flush();
      }).catch(function (err) {
        toast(err.message, false);
      }).then(function () { if (button) button.disabled = false; });
    });
  });

  // --- views: 任务, a task, 上报, 我的, 待发送 (the URL's #, so back works) ------------------------------
  var maps = {};
  function show() {
    var hash = location.hash.replace(/^#/, "") || "tasks";
    var parts = hash.split("/"), view = parts[0], number = parts[1];
    var target = view === "task" ? document.getElementById("task-" + number) : document.getElementById("view-" + view);
    if (!target) { target = document.getElementById("view-tasks"); view = "tasks"; }
    document.querySelectorAll(".jw-view").forEach(function (v) { v.hidden = v !== target; });
    document.querySelectorAll("#tabbar .weui-tabbar__item").forEach(function (a) {
      a.classList.toggle("weui-bar__item_on", a.dataset.tab === (view === "task" ? "tasks" : view));
    });
    document.body.dataset.view = view;
    window.scrollTo(0, 0);
    if (view === "task") openTask(number);
    if (view === "report") reportMap();
    if (view === "tasks") gridMap();
    Object.keys(maps).forEach(function (k) { maps[k].invalidateSize(); });
  }

  function gridMap() {
    var mine = document.getElementById("my-grids");
    if (maps.grids || !mine || !document.getElementById("grid-map")) return;
    maps.grids = JingwuMap.base("grid-map");
    JingwuMap.grids(maps.grids, JSON.parse(mine.textContent));
  }

  var POINTS = JSON.parse(document.getElementById("task-points").textContent);
  var GRIDS = JSON.parse(document.getElementById("my-grids").textContent);
  function openTask(number) {
    var id = "task-map-" + number, point = POINTS[number];
    if (point && !maps[id] && document.getElementById(id)) {
      var map = maps[id] = JingwuMap.base(id);
      var grid = GRIDS.features.filter(function (f) { return f.properties.code === point.grid; });
      JingwuMap.grids(map, {type: "FeatureCollection", features: grid});
      L.marker(map.jw.ll(point.lat, point.lon)).addTo(map);
      map.setView(map.jw.ll(point.lat, point.lon), 17, {animate: false});
      document.getElementById(id).dataset.ready = "1";
    }
    distance(number);
  }
  function metres(a, b) {
    var r = 6371008.8, rad = Math.PI / 180;
    var dLat = (b[1] - a[1]) * rad, dLon = (b[0] - a[0]) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * r * Math.asin(Math.sqrt(h));
  }
  function distance(number) {
    var box = document.querySelector("#task-" + number + " .distance");
    if (!box || !box.dataset.lon) return;
    if (!here) { box.textContent = TEXT.no_position; return; }
    var d = metres(here, [parseFloat(box.dataset.lon), parseFloat(box.dataset.lat)]);
    box.textContent = TEXT.distance.replace("%(d)s", d < 1000 ? Math.round(d) + " m" : (d / 1000).toFixed(1) + " km");
    box.dataset.metres = String(Math.round(d));
  }

  var picker = null;
  function reportMap() {
    if (picker || !document.getElementById("report-map")) return;
    picker = JingwuMap.picker("report-map", "lon", "lat", "pos-text");
    maps.report = picker.map;
    if (here) { var ll = picker.map.jw.ll(here[1], here[0]); picker.place(L.latLng(here[1], here[0])); picker.map.setView(ll, 16); }
  }

  function locate() {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (p) {
      here = [p.coords.longitude, p.coords.latitude];
      document.body.dataset.located = "1";
      if (picker) {
        picker.place(L.latLng(here[1], here[0]));
        picker.map.setView(picker.map.jw.ll(here[1], here[0]), 16);
      }
      var open = location.hash.match(/^#task\/(.+)$/);
      if (open) distance(open[1]);
    }, function () {}, {enableHighAccuracy: true, timeout: 10000});
  }
  var locateButton = document.getElementById("locate-me");
  if (locateButton) locateButton.addEventListener("click", locate);

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

  // Web Push for the installed app: offered when the server has VAPID keys and the browser can do it.
  function b64ToBytes(s) {
    var raw = atob((s + "===".slice((s.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }
  if ("serviceWorker" in navigator && "PushManager" in window) {
    fetch("/push/key", {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
      if (!d.key) return;
      var cell = document.getElementById("push-cell"), button = document.getElementById("push-enable");
      cell.hidden = false;
      button.addEventListener("click", function () {
        navigator.serviceWorker.ready.then(function (reg) {
          return reg.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: b64ToBytes(d.key)});
        }).then(function (sub) {
          return fetch("/push/subscribe", {method: "POST", credentials: "same-origin", body: JSON.stringify(sub.toJSON()),
                                            headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()}});
        }).then(function (r) {
          if (r.ok) { button.textContent = button.dataset.on; button.disabled = true; }
        }).catch(function () {});
      });
    }).catch(function () {});
  }

  // Signing out on a shared phone: the pages kept for offline use go with the person, every phone page's
  // (走访 keeps the grid's people, the inspector's page its tasks), not only this one's.
  var logout = document.getElementById("logout");
  if (logout && window.caches) {
    logout.form.addEventListener("submit", function (e) {
      e.preventDefault();
      var form = logout.form;
      caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("jingwu-") === 0; }).map(function (k) { return caches.delete(k); }));
      }).catch(function () {}).then(function () { form.submit(); });
    });
  }

  window.addEventListener("hashchange", show);
  window.addEventListener("online", function () { status(); flush(); });
  window.addEventListener("offline", status);
  setInterval(flush, 15000);
  status();
  locate();
  show();
  render().then(flush);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/phone/sw.js", {scope: "/phone/"}).catch(function () {});
  window.JingwuPhone = {flush: flush, outbox: outbox};
})();
