/* The grid worker's 走访 page: visits to the people of their grids, and new people proposed for the registry.

   A visit is made in a home, on a stair, in a village lane, often without signal, so nothing waits for the
   network: a visit (its text, photos shrunk on the phone, the time the worker pressed submit and the position)
   and a proposal are items in the page's outbox (outbox.js, IndexedDB) first and are sent when the network
   allows. Each has its own client_key, so a send whose answer was lost is sent again and stored once. */
(function () {
  "use strict";
  var O = window.JingwuOutbox, el = O.el;
  var TEXT = JSON.parse(document.getElementById("visits-text").textContent);
  var PHOTO = JSON.parse(document.getElementById("photo-settings").textContent);
  var USER = document.getElementById("phone-user").dataset.user;
  var box = O.store("jingwu-visits");
  var sending = false, here = null, hereAt = 0, current = null;
  var FRESH_MS = 5 * 60 * 1000;  // a position older than this says nothing about where the visit was made
  var MAX_PHOTOS = 6;  // what the server keeps of one visit (services.record_visit)

  // Strings the view's `text` does not carry come from the page (translated there); the view's win.
  (function () {
    var holder = document.getElementById("visits-more-text");
    var more = holder ? holder.dataset : {};
    Object.keys(more).forEach(function (k) {
      var key = k.replace(/[A-Z]/g, function (c) { return "_" + c.toLowerCase(); });
      if (TEXT[key] === undefined) TEXT[key] = more[k];
    });
  })();

  var toastTimer = null;
  function toast(text) {
    var t = document.getElementById("toast");
    document.getElementById("toast-text").textContent = text;
    t.hidden = false;
    t.dataset.text = text;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; }, 2200);
  }
  function ask(text, ok) {
    var dialog = document.getElementById("ask-dialog");
    document.getElementById("ask-text").textContent = text;
    dialog.hidden = false;
    document.getElementById("ask-ok").onclick = function (e) { e.preventDefault(); dialog.hidden = true; ok(); };
    document.getElementById("ask-cancel").onclick = function (e) { e.preventDefault(); dialog.hidden = true; };
  }
  function fail(form, text) {
    var msg = form.querySelector(".jw-form-error");
    msg.textContent = text;
    msg.hidden = false;
    msg.scrollIntoView({block: "center"});
    return Promise.reject(new Error(text));
  }

  // --- where the phone is ---------------------------------------------------------------------------------
  function locate(wait) {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) return resolve(null);
      var done = false;
      function finish() { if (!done) { done = true; resolve(fresh()); } }
      navigator.geolocation.getCurrentPosition(function (p) {
        here = [p.coords.longitude, p.coords.latitude];
        hereAt = Date.now();
        showPosition();
        finish();
      }, finish, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
      setTimeout(finish, wait || 10000);
    });
  }
  function fresh() { return here && Date.now() - hereAt < FRESH_MS ? here : null; }
  function showPosition() {
    var p = document.querySelector("#visit-form .position");
    p.textContent = fresh() ? p.dataset.ok : p.dataset.none;
  }

  // --- the outbox -------------------------------------------------------------------------------------------
  function sizeOf(item) { return (item.files || []).reduce(function (n, f) { return n + (f.blob.size || 0); }, 0); }

  function enqueue(item) {
    item.user = USER;
    item.created = Date.now();
    return box.all().then(function (items) {
      var bytes = items.filter(function (i) { return !i.error; }).reduce(function (n, i) { return n + sizeOf(i); }, 0);
      if (item.files && item.files.length && bytes + sizeOf(item) > PHOTO.outbox_bytes) throw new Error(TEXT.full);
      return box.put(item);
    });
  }

  function render() {
    return box.all().then(function (items) {
      items = items.filter(function (i) { return i.user === USER; }).sort(function (a, b) { return a.created - b.created; });
      var list = document.getElementById("outbox");
      list.textContent = "";
      items.forEach(function (it) {
        var cell = el("div", "weui-cell jw-out outbox-item " + (it.error ? "failed" : "waiting"));
        cell.dataset.kind = it.kind;
        cell.dataset.key = it.key;
        cell.appendChild(el("div", "weui-cell__hd", it.error ? "!" : "…"));
        var bd = el("div", "weui-cell__bd");
        bd.appendChild(el("b", "", it.label));
        bd.appendChild(el("div", "jw-hint p-0", new Date(it.created).toLocaleString()));
        if (it.error) bd.appendChild(el("div", "jw-out__reason reason", TEXT.failed + "：" + it.error));
        else bd.appendChild(el("div", "jw-hint p-0 state", it.wait || TEXT.waiting));
        cell.appendChild(bd);
        var drop = el("a", "weui-btn weui-btn_mini weui-btn_default discard", TEXT.discard);
        drop.href = "#outbox";
        drop.setAttribute("role", "button");
        drop.addEventListener("click", function (e) {
          e.preventDefault();
          ask(TEXT.confirm_discard, function () { box.del(it.key).then(render); });
        });
        cell.appendChild(drop);
        list.appendChild(cell);
      });
      var n = items.length;
      document.getElementById("outbox-empty").hidden = n > 0;
      document.getElementById("outbox-count").textContent = String(n);
      ["head-outbox-count", "tab-outbox-count"].forEach(function (id) {
        var b = document.getElementById(id);
        b.textContent = String(n);
        b.hidden = n === 0;
      });
      document.body.dataset.waiting = String(items.filter(function (i) { return !i.error; }).length);
      // A person visited but not yet sent stays marked in the list, across reloads too.
      var waiting = {};
      items.forEach(function (i) { if (i.kind === "visit" && !i.error) waiting[i.person] = true; });
      document.querySelectorAll("#people .person").forEach(function (row) {
        var hint = row.querySelector(".visited");
        if (waiting[row.dataset.person]) {
          row.classList.add("queued");
          hint.textContent = TEXT.visited_waiting;
          hint.hidden = false;
        } else if (row.classList.contains("queued") && !row.classList.contains("done")) {
          row.classList.remove("queued");
          hint.hidden = true;
        }
      });
    });
  }

  // In the order they were made. A network failure ends the round (the rest would fail the same way); a
  // refusal keeps the item with the server's reason, for the worker to read and delete.
  function flush() {
    if (sending || !navigator.onLine) return render();
    sending = true;
    return O.sendAll(box, {
      user: USER, relogin: TEXT.relogin, later: TEXT.later, sent: settled,
      refused: function (item, reason) { toast(TEXT.failed + "：" + reason); return true; }
    }).then(function () { sending = false; return render(); }, function () { sending = false; return render(); });
  }

  function settled(item, answer) {
    if (item.kind === "visit") {
      var row = document.querySelector("#people .person[data-person='" + item.person + "']");
      if (row) {
        row.classList.add("queued", "done");
        var hint = row.querySelector(".visited");
        hint.textContent = TEXT.visited + " · " + TEXT.sent;
        hint.hidden = false;
      }
      toast(answer && answer.case ? TEXT.case + " " + answer.case : TEXT.sent);
    } else if (item.kind === "add") {
      var mine = document.getElementById("mine"), none = mine.querySelector(".no-mine");
      if (none) none.remove();
      var cell = el("div", "weui-cell proposal");
      cell.dataset.id = answer && answer.id ? String(answer.id) : "";
      cell.dataset.state = "pending";
      var bd = el("div", "weui-cell__bd");
      bd.appendChild(el("b", "", TEXT.add));
      bd.appendChild(document.createTextNode(" · " + item.json.name));
      cell.appendChild(bd);
      cell.appendChild(el("div", "weui-cell__ft", TEXT.pending));
      mine.insertBefore(cell, mine.firstChild);
      toast(TEXT.sent);
    }
  }

  // --- a visit ----------------------------------------------------------------------------------------------
  function open(pk) {
    var row = document.querySelector("#people .person[data-person='" + pk + "']");
    if (!row) return false;
    var form = document.getElementById("visit-form");
    if (current !== pk) {
      form.reset();
      document.getElementById("need-fields").hidden = true;
      form.querySelector(".jw-form-error").hidden = true;
    }
    current = pk;
    form.dataset.person = pk;
    document.getElementById("visit-name").textContent = row.dataset.name;
    document.getElementById("visit-address").textContent = row.dataset.address || "—";
    document.getElementById("visit-groups").textContent = row.dataset.groups || "—";
    var due = row.querySelector(".due");
    document.getElementById("visit-due").textContent = due.textContent;
    document.getElementById("visit-due").className = "weui-cell__bd" + (row.classList.contains("late") ? " jw-late" : "");
    showPosition();
    locate();  // a fix now, so that one is at hand when the visit is submitted
    return true;
  }

  function visit(form) {
    var pk = form.dataset.person, row = document.querySelector("#people .person[data-person='" + pk + "']");
    var at = new Date().toISOString();  // when the worker pressed submit: the visit's time, whenever it is sent
    form.querySelector(".jw-form-error").hidden = true;
    var found = form.elements.found.value.trim();
    if (!found) return fail(form, TEXT.found_needed);
    var key = O.uuid(), fields = {found: found, at: at, client_key: key};
    if (form.elements.has_need.checked) {
      var need = form.elements.need.value.trim();
      if (!need) return fail(form, TEXT.need_needed);
      fields.need = need;
      if (form.elements.category.value) fields.category = form.elements.category.value;
    }
    var picked = Array.prototype.slice.call(form.elements.photos.files, 0, MAX_PHOTOS);
    if (picked.length) toast(TEXT.shrinking);
    // A moment for a fresh position (the phone may have moved since the form opened), then what there is.
    return locate(3000).then(function (pos) {
      if (pos) { fields.lon = String(pos[0]); fields.lat = String(pos[1]); }
      return Promise.all(picked.map(function (f) { return window.JingwuPhoto.shrink(f, PHOTO, pos); }));
    }).then(function (files) {
      if (files.length) fields.photo_meta = JSON.stringify(files.map(function (f) { return f.meta; }));
      return enqueue({key: key, kind: "visit", person: pk, url: "/api/registry/people/" + encodeURIComponent(pk) + "/visits",
                      fields: fields, files: files.map(function (f) { return {field: "photos", name: f.name, blob: f.blob}; }),
                      label: TEXT.visit + " " + (row ? row.dataset.name : pk)});
    }).then(function () {
      form.reset();
      document.getElementById("need-fields").hidden = true;
      current = null;
      O.bump("visits");
      location.hash = "#visits";
      toast(navigator.onLine ? TEXT.waiting : TEXT.saved);
      return render().then(flush);
    });
  }

  // --- a new person -----------------------------------------------------------------------------------------
  function idValid(number) {
    if (!/^\d{17}[\dX]$/.test(number)) return false;
    var w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], sum = 0;
    for (var i = 0; i < 17; i++) sum += parseInt(number.charAt(i), 10) * w[i];
    return "10X98765432".charAt(sum % 11) === number.charAt(17);
  }
  function normaliseId(value) {
    return value.replace(/\s+/g, "").replace(/[０-９]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); })
      .replace(/[xｘＸ]/g, "X");
  }

  function propose(form) {
    form.querySelector(".jw-form-error").hidden = true;
    var v = function (name) { return form.elements[name].value.trim(); };
    var name = v("name");
    if (!name) return fail(form, TEXT.name_needed);
    var id = normaliseId(v("id_number"));
    if (id && !idValid(id)) return fail(form, TEXT.invalid_id);
    var phone = v("phone").replace(/\s+/g, "");
    if (phone && !/^\+?\d[\d-]{5,18}\d$/.test(phone)) return fail(form, TEXT.invalid_phone);
    var grid = form.elements.grid.selectedOptions[0];
    if (!grid) return fail(form, TEXT.grid_needed);
    var key = O.uuid();
    var body = {kind: "add", name: name, person_kind: v("person_kind"), household: v("household"), client_key: key,
                address: {region: grid.dataset.region, grid: grid.value, road: v("road"), number: v("number"),
                          building: v("building"), unit: v("unit"), room: v("room")}};
    if (id) body.id_number = id;
    if (phone) body.phone = phone;
    if (v("relation")) body.relation = v("relation");
    var position = form.elements.use_position.checked ? locate(3000) : Promise.resolve(null);
    return position.then(function (pos) {
      if (pos) { body.address.lon = pos[0]; body.address.lat = pos[1]; }
      return enqueue({key: key, kind: "add", url: "/api/registry/proposals", json: body, label: TEXT.add + " " + name});
    }).then(function () {
      form.reset();
      O.bump("proposals");
      toast(navigator.onLine ? TEXT.waiting : TEXT.saved);
      return render().then(flush);
    });
  }

  // 更正: only what was typed is proposed; the steward applies it on approval.
  function correct(form) {
    form.querySelector(".jw-form-error").hidden = true;
    var pk = document.getElementById("visit-form").dataset.person;
    var v = function (name) { return form.elements[name].value.trim(); };
    var body = {kind: "edit", resident: parseInt(pk, 10), client_key: O.uuid()};
    if (v("name")) body.name = v("name");
    var id = normaliseId(v("id_number"));
    if (id && !idValid(id)) return fail(form, TEXT.invalid_id);
    if (id) body.id_number = id;
    var phone = v("phone").replace(/\s+/g, "");
    if (phone && !/^\+?\d[\d-]{5,18}\d$/.test(phone)) return fail(form, TEXT.invalid_phone);
    if (phone) body.phone = phone;
    if (v("person_kind")) body.person_kind = v("person_kind");
    if (Object.keys(body).length === 3) return fail(form, TEXT.nothing_to_correct);
    var row = document.querySelector("#people .person[data-person='" + pk + "']");
    var label = TEXT.correct + " " + (row ? row.dataset.name : "");
    return enqueue({key: body.client_key, kind: "edit", url: "/api/registry/proposals", json: body, label: label})
      .then(function () {
        form.reset();
        document.getElementById("edit-box").open = false;
        O.bump("proposals");
        toast(navigator.onLine ? TEXT.waiting : TEXT.saved);
        return render().then(flush);
      });
  }

  function submitting(form, fn) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button.disabled) return;
      button.disabled = true;
      fn(form).catch(function (err) {
        // The form's own refusals are shown in the form; anything else (the outbox full, storage) as a toast.
        if (err && err.message && form.querySelector(".jw-form-error").hidden) toast(err.message);
      }).then(function () { button.disabled = false; });
    });
  }

  // --- the screen -------------------------------------------------------------------------------------------
  function show() {
    var parts = (location.hash.replace(/^#/, "") || "visits").split("/"), view = parts[0];
    if (view === "visit" && !open(parts[1])) view = "visits";
    if (!document.getElementById("view-" + view)) view = "visits";
    document.querySelectorAll(".jw-view").forEach(function (s) { s.hidden = s.dataset.view !== view; });
    var tab = view === "visit" ? "visits" : view;
    document.querySelectorAll("#tabbar .weui-tabbar__item").forEach(function (a) {
      a.classList.toggle("weui-bar__item_on", a.dataset.tab === tab);
    });
    document.body.dataset.view = view;
    window.scrollTo(0, 0);
  }
  function status() {
    var net = document.getElementById("net");
    net.textContent = navigator.onLine ? net.dataset.onlineText : net.dataset.offlineText;
    net.className = "jw-net " + (navigator.onLine ? "online" : "offline");
  }
  function search() {
    var q = document.getElementById("people-search").value.replace(/\s+/g, "").toLowerCase(), shown = 0;
    document.querySelectorAll("#people .person").forEach(function (row) {
      var hit = !q || row.dataset.name.replace(/\s+/g, "").toLowerCase().indexOf(q) >= 0;
      row.hidden = !hit;
      if (hit) shown += 1;
    });
    document.getElementById("people-none").hidden = !q || shown > 0;
  }

  document.getElementById("people-search").addEventListener("input", search);
  document.getElementById("has-need").addEventListener("change", function (e) {
    document.getElementById("need-fields").hidden = !e.target.checked;
  });
  submitting(document.getElementById("visit-form"), visit);
  submitting(document.getElementById("add-form"), propose);
  submitting(document.getElementById("edit-form"), correct);
  window.addEventListener("hashchange", show);
  window.addEventListener("online", function () { status(); flush(); });
  window.addEventListener("offline", status);
  setInterval(flush, 20000);
  status();
  show();
  search();
  locate();
  render().then(flush);
  // The page itself opens without signal: a service worker keeps its last copy and its assets.
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/registry/m/sw.js", {scope: "/registry/m/"}).catch(function () {});
  window.JingwuVisits = {flush: flush, render: render};
})();
