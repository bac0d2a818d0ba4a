/* The inspector's phone page.

   An inspection is often done where there is no signal (a workshop, a basement): the whole record — every
   item's result, note and photos, and the signature drawn on the screen — goes into an outbox in IndexedDB
   first and is sent when the network allows, with its own client_key so a send whose answer was lost is not
   recorded twice. A refusal keeps the item with its reason; a lost session or a busy server keeps it waiting.
   The signature pad is signature_pad (npm). */
(function () {
  "use strict";
  var TEXT = JSON.parse(document.getElementById("inspect-text").textContent);
  var PHOTO = JSON.parse(document.getElementById("photo-settings").textContent);
  var USER = document.getElementById("phone-user").dataset.user;
  var DB = "jingwu-inspect", STORE = "outbox";
  var sending = false, here = null, pads = {};
  var carried = {};  // task → photos of a refused submission, sent again with the corrected one

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
  function bump(what) { document.body.dataset[what] = String(parseInt(document.body.dataset[what] || "0", 10) + 1); }
  function csrf() { var m = document.cookie.match(/csrftoken=([^;]+)/); return m ? m[1] : ""; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  var toastTimer = null;
  function toast(text) {
    var box = document.getElementById("toast");
    document.getElementById("toast-text").textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, 2200);
  }
  function sizeOf(item) { return item.files.reduce(function (n, f) { return n + (f.blob.size || 0); }, 0); }
  function shrink(file) { return window.JingwuPhoto.shrink(file, PHOTO, here); }

  // --- the outbox on screen -------------------------------------------------------------------------
  function render() {
    return outbox.all().then(function (items) {
      items = items.filter(function (i) { return i.user === USER && !i.sentAt; });
      items.sort(function (a, b) { return a.created - b.created; });
      var list = document.getElementById("outbox");
      list.textContent = "";
      items.forEach(function (it) {
        var cell = el("div", "weui-cell jw-out outbox-item " + (it.error ? "failed" : "waiting"));
        var bd = el("div", "weui-cell__bd");
        bd.appendChild(el("b", "", it.label));
        bd.appendChild(el("div", "jw-hint p-0", it.error ? TEXT.failed + "：" + it.error : (it.wait || TEXT.waiting)));
        cell.appendChild(bd);
        if (it.error && it.task && document.getElementById("inspect-" + it.task)) {
          var fix = el("a", "weui-btn weui-btn_mini weui-btn_primary reopen", TEXT.reopen);
          fix.href = "#inspect/" + it.task;
          fix.addEventListener("click", function (e) { e.preventDefault(); reopen(it); });
          cell.appendChild(fix);
        }
        if (it.error) {
          var drop = el("a", "weui-btn weui-btn_mini weui-btn_default discard", TEXT.discard);
          drop.href = "#outbox";
          drop.addEventListener("click", function (e) {
            e.preventDefault();
            if (window.confirm(TEXT.confirm_discard)) outbox.del(it.key).then(render);
          });
          cell.appendChild(drop);
        }
        list.appendChild(cell);
      });
      document.getElementById("outbox-empty").hidden = items.length > 0;
      document.getElementById("outbox-count").textContent = String(items.length);
      ["head-outbox-count", "tab-outbox-count"].forEach(function (id) {
        var b = document.getElementById(id);
        b.textContent = String(items.length);
        b.hidden = items.length === 0;
      });
      document.body.dataset.waiting = String(items.filter(function (i) { return !i.error; }).length);
    });
  }

  function send(item) {
    var body = new FormData();
    Object.keys(item.fields).forEach(function (k) { body.append(k, item.fields[k]); });
    item.files.forEach(function (f) { body.append(f.field, f.blob, f.name); });
    return fetch(item.url, {method: "POST", body: body, credentials: "same-origin",
                            headers: {"X-CSRFToken": csrf(), "Accept": "application/json"}}).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) {
        if (r.ok) {
          bump("sent");
          // Sent: nothing stays on the phone (the signer's name, notes and photos are the server's now).
          return outbox.del(item.key).then(function () { settled(item); });
        }
        var details = (b.error && b.error.details) || {};
        if (r.status === 409 && item.number && details.status === "to_check" && details.current_version &&
            String(details.current_version) !== String(item.fields.version) && !item.retried) {
          // The hazard's case moved on only by a reminder or an escalation: still waiting for this 复查.
          item.fields.version = String(details.current_version);
          item.retried = true;
          return outbox.put(item).then(function () { return send(item); });
        }
        var passing = r.status === 401 || r.status === 408 || r.status === 429 || r.status >= 500 ||
                      (r.status === 403 && !b.error);
        if (passing) {
          item.wait = r.status === 401 || r.status === 403 ? TEXT.relogin : TEXT.later;
          return outbox.put(item);
        }
        item.error = (b.error && b.error.message) || ("HTTP " + r.status);
        bump("failed");
        var row = item.task ? document.querySelector("#tasks .task[data-task='" + item.task + "']") : null;
        if (row) row.classList.remove("queued");
        return outbox.put(item);
      });
    });
  }
  // A refused inspection, back in its form as it was filled in: answers, notes, the signer, the signature,
  // and its photos kept to go again; the inspector corrects what the server said and submits once more.
  function reopen(item) {
    var form = document.querySelector("#inspect-" + item.task + " form");
    var data = JSON.parse(item.fields.data);
    data.items.forEach(function (one) {
      var box = form.querySelector(".inspect-item[data-item='" + one.item + "']");
      if (!box) return;
      var radio = box.querySelector("input[type=radio][value='" + one.result + "']");
      if (radio) radio.checked = true;
      box.querySelector(".fail-fields").hidden = one.result !== "fail";
      if (one.result === "fail") {
        form.elements["n" + one.item].value = one.note || "";
        form.elements["l" + one.item].value = one.level || form.elements["l" + one.item].value;
        form.elements["d" + one.item].value = one.days || "";
      }
    });
    form.elements.signer_name.value = data.signer_name || "";
    form.elements.note.value = data.note || "";
    carried[item.task] = item.files.filter(function (f) { return f.field !== "signature"; });
    var sig = item.files.filter(function (f) { return f.field === "signature"; })[0];
    // The refused item stays in the outbox until the corrected one is queued: a reload loses nothing.
    form.dataset.replaces = item.key;
    location.hash = "#inspect/" + item.task;
    show();
    if (sig) {
      var reader = new FileReader();
      reader.onload = function () { pads[item.task].fromDataURL(reader.result); };
      reader.readAsDataURL(sig.blob);
    }
    var box = form.querySelector(".jw-form-error");
    box.textContent = item.error;
    box.hidden = false;
  }

  function flush() {
    if (sending || !navigator.onLine) return render();
    sending = true;
    return outbox.all().then(function (items) {
      var pending = items.filter(function (i) { return i.user === USER && !i.error && !i.sentAt; });
      return pending.reduce(function (p, item) {
        return p.then(function () { return send(item).catch(function () { /* no network: it waits */ }); });
      }, Promise.resolve());
    }).then(function () { sending = false; return render(); }, function () { sending = false; });
  }
  function settled(item) {
    var row = item.task ? document.querySelector("#tasks .task[data-task='" + item.task + "']")
                        : document.querySelector("#rechecks .recheck[data-number='" + item.number + "']");
    if (row) row.remove();
    var counter = document.getElementById(item.task ? "task-count" : "recheck-count");
    counter.textContent = String(Math.max(0, parseInt(counter.textContent, 10) - 1));
    toast(TEXT.done);
  }
  function queue(item) {
    item.key = item.fields.client_key || uuid();
    item.user = USER;
    item.created = Date.now();
    return outbox.all().then(function (items) {
      var waiting = items.filter(function (i) { return !i.sentAt; }).reduce(function (n, i) { return n + sizeOf(i); }, 0);
      if (waiting + sizeOf(item) > PHOTO.outbox_bytes) throw new Error(TEXT.full);
      return outbox.put(item);
    }).then(function () {
      // Out of the list at once: done on site is done, whether or not it has been sent yet.
      var row = item.task ? document.querySelector("#tasks .task[data-task='" + item.task + "']")
                          : document.querySelector("#rechecks .recheck[data-number='" + item.number + "']");
      if (row) row.classList.add("queued");
      location.hash = "#tasks";
      if (!navigator.onLine) toast(TEXT.saved);
      return flush();
    });
  }

  // --- an inspection ----------------------------------------------------------------------------------
  function dataUrlBlob(url) {
    var raw = atob(url.split(",")[1]), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return new Blob([bytes], {type: "image/png"});
  }
  function fail(form, text) {
    var box = form.querySelector(".jw-form-error");
    box.textContent = text;
    box.hidden = false;
    box.scrollIntoView({block: "center"});
    return Promise.reject(new Error(text));
  }
  function inspection(form) {
    var task = form.dataset.task, items = [], photos = [], missing = [], pad = pads[task];
    form.querySelector(".jw-form-error").hidden = true;
    form.querySelectorAll(".inspect-item").forEach(function (box) {
      var id = box.dataset.item, chosen = box.querySelector("input[type=radio]:checked");
      if (!chosen) { missing.push(box.dataset.position); return; }
      var one = {item: parseInt(id, 10), result: chosen.value};
      if (chosen.value === "fail") {
        one.note = form.elements["n" + id].value.trim();
        one.level = form.elements["l" + id].value;
        var days = parseInt(form.elements["d" + id].value, 10);
        if (days) one.days = days;
      }
      items.push(one);
      var picked = form.elements["p" + id].files;
      Array.prototype.forEach.call(picked, function (f) { photos.push({field: "photo_" + id, file: f}); });
      if (!picked.length) {  // none picked anew: the photos of a refused submission go again
        (carried[task] || []).filter(function (f) { return f.field === "photo_" + id; }).forEach(function (f) {
          photos.push({field: f.field, kept: f});
        });
      }
    });
    if (missing.length) return fail(form, TEXT.unanswered.replace("%(items)s", missing.join(TEXT.sep)));
    var bare = items.filter(function (i) { return i.result === "fail" && !i.note; })[0];
    if (bare) {
      var pos = form.querySelector(".inspect-item[data-item='" + bare.item + "']").dataset.position;
      return fail(form, TEXT.note_needed.replace("%(item)s", pos));
    }
    var signer = form.elements.signer_name.value.trim();
    if (!signer) return fail(form, TEXT.signer);
    if (!pad || pad.isEmpty()) return fail(form, TEXT.sign);
    var key = uuid();
    var data = {task: parseInt(task, 10), items: items, signer_name: signer, note: form.elements.note.value.trim(),
                at: new Date().toISOString(), client_key: key};
    if (here) { data.lon = here[0]; data.lat = here[1]; }
    if (photos.length) toast(TEXT.shrinking);
    return Promise.all(photos.map(function (p) {
      if (p.kept) return Promise.resolve(p.kept);
      return shrink(p.file).then(function (s) { return {field: p.field, name: s.name, blob: s.blob}; });
    })).then(function (files) {
      delete carried[task];
      var replaced = form.dataset.replaces;
      delete form.dataset.replaces;
      if (replaced) outbox.del(replaced);
      files.push({field: "signature", name: "signature.png", blob: dataUrlBlob(pad.toDataURL("image/png"))});
      return queue({url: "/api/safety/inspections", label: form.dataset.label, task: task,
                    fields: {data: JSON.stringify(data), client_key: key}, files: files});
    });
  }
  function recheck(form) {
    form.querySelector(".jw-form-error").hidden = true;
    var chosen = form.querySelector("input[name=outcome]:checked");
    if (!chosen) return fail(form, TEXT.choose);
    var reason = form.elements.reason.value.trim(), picked = Array.prototype.slice.call(form.elements.photos.files);
    if (chosen.value === "pass" && !picked.length) return fail(form, TEXT.photo_needed);
    if (chosen.value === "fail" && !reason) return fail(form, TEXT.reason_needed);
    var key = uuid(), fields = {version: form.dataset.version, outcome: chosen.value, client_key: key};
    if (chosen.value === "fail") fields.reason = reason;
    return Promise.all(picked.map(shrink)).then(function (files) {
      return queue({url: form.dataset.url, label: form.dataset.label, number: form.dataset.number, fields: fields,
                    files: files.map(function (f) { return {field: "photos", name: f.name, blob: f.blob}; })});
    });
  }

  document.querySelectorAll(".inspect-form, .recheck-form").forEach(function (form) {
    form.addEventListener("change", function (e) {
      if (e.target.type === "radio" && e.target.name.charAt(0) === "r") {
        var box = e.target.closest(".inspect-item");
        box.querySelector(".fail-fields").hidden = e.target.value !== "fail";
      }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      (form.classList.contains("inspect-form") ? inspection(form) : recheck(form)).then(function () {
        form.reset();
        if (pads[form.dataset.task]) pads[form.dataset.task].clear();
      }).catch(function (err) {
        // The form's own refusals are shown in the form; anything else (the outbox full) as a toast.
        if (err && err.message && form.querySelector(".jw-form-error").hidden) toast(err.message);
      }).then(function () { button.disabled = false; });
    });
  });
  function pad(task) {
    if (pads[task]) return;
    var canvas = document.querySelector("#inspect-" + task + " .sign-pad");
    if (!canvas) return;
    // Draw at the screen's density, so the signature stays sharp.
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pads[task] = new window.SignaturePad(canvas, {backgroundColor: "rgb(255,255,255)"});
    pads[task].addEventListener("endStroke", function () {
      var box = document.querySelector("#inspect-" + task + " .jw-form-error");
      if (box.textContent === TEXT.sign) box.hidden = true;  // signed now: the request to sign is answered
    });
    document.querySelector("#inspect-" + task + " .sign-clear").addEventListener("click", function (e) {
      e.preventDefault();
      pads[task].clear();
    });
  }

  // --- views: 任务, an inspection, a 复查, 待发送 ----------------------------------------------------------
  function show() {
    var parts = (location.hash.replace(/^#/, "") || "tasks").split("/"), view = parts[0], id = parts[1];
    var target = document.getElementById(id ? view + "-" + id : "view-" + view) || document.getElementById("view-tasks");
    document.querySelectorAll(".jw-view").forEach(function (v) { v.hidden = v !== target; });
    document.querySelectorAll("#tabbar .weui-tabbar__item").forEach(function (a) {
      a.classList.toggle("weui-bar__item_on", a.dataset.tab === (view === "outbox" ? "outbox" : "tasks"));
    });
    document.body.dataset.view = target.id;
    window.scrollTo(0, 0);
    if (view === "inspect") pad(id);
  }
  function status() {
    var net = document.getElementById("net");
    net.textContent = navigator.onLine ? net.dataset.onlineText : net.dataset.offlineText;
    net.className = "jw-net " + (navigator.onLine ? "online" : "offline");
  }
  window.addEventListener("hashchange", show);
  window.addEventListener("online", function () { status(); flush(); });
  window.addEventListener("offline", status);
  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (p) { here = [p.coords.longitude, p.coords.latitude]; },
                                             function () {}, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
  }
  // The page itself opens without signal: a service worker keeps its last copy and its assets.
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/safety/m/sw.js", {scope: "/safety/m/"}).catch(function () {});
  status();
  show();
  flush();
  setInterval(flush, 30000);
})();
