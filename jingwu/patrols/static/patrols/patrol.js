/* A patrol on the phone (巡河, 网格巡查): start, the track recorded while it runs, findings with photos, stop.

   A river bank or a village lane often has no signal, so nothing waits for the network: starting, each batch
   of track points, each finding and the end are items in the outbox (outbox.js), sent in the order they were
   made when the network allows. The phone names the patrol itself (its key), so the batches and findings
   made before the server has heard of the patrol still land on it; each batch has its own key, so a batch
   whose answer was lost is stored once when it is sent again.

   The running patrol (its key, target and the points not yet sealed into a batch) is kept in localStorage
   after every position, so that a reload, a crash or a flat battery loses at most the position being taken. */
(function () {
  "use strict";
  var O = window.JingwuOutbox, el = O.el;
  var TEXT = JSON.parse(document.getElementById("patrol-text").textContent);
  var PHOTO = JSON.parse(document.getElementById("photo-settings").textContent);
  var TARGETS = JSON.parse(document.getElementById("patrol-targets").textContent);
  var USER = document.getElementById("phone-user").dataset.user;
  var box = O.store("jingwu-patrol");
  var RUN_KEY = "jingwu-patrol-run:" + USER;
  var BATCH = 30, BATCH_MS = 60000, MIN_MOVE_M = 3, MIN_GAP_MS = 5000;
  var run = load(), watch = null, sending = false, map = null, line = null, here = null, ticker = null;
  var ending = false;  // the person said stop: the last batch and the end are being written

  function load() { try { return JSON.parse(localStorage.getItem(RUN_KEY) || "null"); } catch (e) { return null; } }
  function save() { if (run) localStorage.setItem(RUN_KEY, JSON.stringify(run)); else localStorage.removeItem(RUN_KEY); }

  function metres(a, b) {
    var r = 6371008.8, rad = Math.PI / 180;
    var dLat = (b[1] - a[1]) * rad, dLon = (b[0] - a[0]) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * r * Math.asin(Math.sqrt(h));
  }
  var toastTimer = null;
  function toast(text) {
    var t = document.getElementById("toast");
    document.getElementById("toast-text").textContent = text;
    t.hidden = false;
    t.dataset.text = text;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; }, 2200);
  }

  // A question before something is thrown away or ended: in the page (the other phone pages' way), so that the
  // page goes on taking positions while the question is on the screen.
  function ask(text, ok) {
    var box = document.getElementById("ask-dialog");
    document.getElementById("ask-text").textContent = text;
    box.hidden = false;
    document.getElementById("ask-ok").onclick = function (e) { e.preventDefault(); box.hidden = true; ok(); };
    document.getElementById("ask-cancel").onclick = function (e) { e.preventDefault(); box.hidden = true; };
  }

  // --- the outbox --------------------------------------------------------------------------------------
  function enqueue(item) {
    item.user = USER;
    item.created = Date.now() + (item.order || 0) / 1000;
    return box.all().then(function (items) {
      var bytes = items.filter(function (i) { return !i.error; }).reduce(function (n, i) {
        return n + (i.files || []).reduce(function (m, f) { return m + (f.blob.size || 0); }, 0);
      }, 0);
      if (item.files && bytes + item.files.reduce(function (m, f) { return m + f.blob.size; }, 0) > PHOTO.outbox_bytes) {
        throw new Error(TEXT.full);
      }
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
        var bd = el("div", "weui-cell__bd");
        bd.appendChild(el("b", "", it.label));
        bd.appendChild(el("div", "jw-hint p-0", it.error ? TEXT.failed + "：" + it.error : (it.wait || TEXT.waiting)));
        cell.appendChild(bd);
        if (it.error) {
          var drop = el("a", "weui-btn weui-btn_mini weui-btn_default discard", TEXT.discard);
          drop.href = "#outbox";
          drop.addEventListener("click", function (e) {
            e.preventDefault();
            ask(TEXT.confirm_discard, function () { box.del(it.key).then(render); });
          });
          cell.appendChild(drop);
        }
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
    });
  }

  // In the order they were made: a batch never reaches the server before the start of its patrol. A network
  // failure stops the round (the rest would fail the same way); a refusal is kept with its reason.
  function flush() {
    if (sending || !navigator.onLine) return render();
    sending = true;
    return O.sendAll(box, {
      user: USER, relogin: TEXT.relogin, later: TEXT.later, sent: settled,
      refused: function (item, reason) {
        toast(TEXT.failed + "：" + reason);
        return item.kind === "start" ? refusedStart(item) : true;
      }
    }).then(function () { sending = false; return render(); }, function () { sending = false; });
  }

  // The server refused to start a patrol (not this person's section, a phone clock far ahead): nothing after it
  // can land, so the patrol stops here and its waiting items are marked with the same reason, to be discarded.
  function refusedStart(start) {
    if (run && run.key === start.patrol) halt();
    return box.all().then(function (items) {
      return Promise.all(items.filter(function (i) { return i.patrol === start.patrol && !i.error; }).map(function (i) {
        i.error = start.error;
        return box.put(i);
      }));
    }).then(function () { return true; });
  }

  function halt() {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    clearInterval(ticker);
    watch = null;
    run = null;
    save();
    show();
  }

  function settled(item, answer) {
    if (item.kind === "finding" && answer.case) toast(TEXT.found + " " + answer.case.number);
    if (item.kind === "end") toast(TEXT.ended);
  }

  // --- a running patrol ----------------------------------------------------------------------------------
  function start(target) {
    if (run) return Promise.resolve();
    var key = O.uuid();
    run = {key: key, kind: target.kind, target: target.ref, label: target.label, started: Date.now(), seq: 0,
           points: [], sealedAt: Date.now(), distance: 0, count: 0, last: null, trail: []};
    save();
    var body = {kind: target.kind, client_key: key, started_at: new Date(run.started).toISOString()};
    body[target.kind === "river" ? "section" : "grid"] = target.ref;
    return enqueue({key: key + ":start", kind: "start", patrol: key, url: "/api/patrols", json: body,
                    label: TEXT.start + " " + target.label})
      .then(function () { follow(); show(); return flush(); });
  }

  // The points so far as one batch in the outbox. Taken out of the running patrol only once the outbox has them
  // (a crash in between sends them twice at worst, under the same key, which the server stores once); its key is
  // the phone's own, so two tabs of one patrol never make the same key for different points.
  function seal() {
    if (!run || !run.points.length) return Promise.resolve();
    run.seq += 1;
    var points = run.points.slice(), seq = run.seq;
    save();
    var item = {key: run.key + ":track:" + seq, kind: "track", patrol: run.key,
                url: "/api/patrols/" + encodeURIComponent(run.key) + "/track",
                json: {key: "b" + seq + "-" + O.uuid().slice(0, 8), points: points}, label: TEXT.track + " " + run.label + " #" + seq};
    return enqueue(item).then(function () {
      if (run && run.key === item.patrol) {
        run.points = run.points.slice(points.length);
        run.sealedAt = Date.now();
        save();
      }
      return render();
    });
  }

  function onPosition(p) {
    if (!run || ending) return;
    var shared = load();  // another tab of the same patrol may have added points since
    if (shared && shared.key === run.key) run = shared;
    var pt = [p.coords.longitude, p.coords.latitude];
    var t = p.timestamp || Date.now();
    here = pt;
    if (run.last) {
      var d = metres(run.last.pt, pt);
      if (d < MIN_MOVE_M && t - run.last.t < MIN_GAP_MS) return;  // standing still: one point is enough
      run.distance += d;
    }
    run.last = {pt: pt, t: t};
    run.points.push([t / 1000, pt[0], pt[1], Math.round(p.coords.accuracy || 0)]);
    run.count += 1;
    run.trail.push(pt);
    if (run.trail.length > 2000) run.trail = run.trail.filter(function (_, i) { return i % 2 === 0; });
    save();
    O.bump("positions");
    draw();
    if (run.points.length >= BATCH || Date.now() - run.sealedAt > BATCH_MS) seal().then(flush);
  }

  function sample() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) return resolve();
      navigator.geolocation.getCurrentPosition(function (p) { onPosition(p); resolve(); }, function () { resolve(); },
                                               {enableHighAccuracy: true, maximumAge: 0, timeout: 10000});
    });
  }

  function follow() {
    if (!run || watch !== null || !navigator.geolocation) return;
    watch = navigator.geolocation.watchPosition(onPosition, function () {
      document.getElementById("run-gps").textContent = TEXT.no_gps;
    }, {enableHighAccuracy: true, maximumAge: 0});
    // Phones in a pocket report rarely; ask now and then as well.
    ticker = setInterval(function () { sample(); tick(); }, 15000);
  }

  function stop() {
    if (!run || ending) return Promise.resolve();
    var ended = run;
    // No positions from the moment the person says stop. A fix that came in while the last batch and the end
    // are written (a few IndexedDB round trips) went into run.points after they were sealed: counted on the
    // screen, then dropped with the run and never sent.
    ending = true;
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    clearInterval(ticker);
    watch = null;
    return seal().then(function () {
      return enqueue({key: ended.key + ":end", kind: "end", patrol: ended.key, url: "/api/patrols/" + encodeURIComponent(ended.key) + "/end",
                      json: {ended_at: new Date().toISOString()}, label: TEXT.end + " " + ended.label, order: 1});
    }).then(function () {
      ending = false;
      run = null;
      save();
      location.hash = "#home";
      toast(navigator.onLine ? TEXT.ending : TEXT.saved);
      return flush();
    }, function (err) {  // not written (the phone's storage failed): the patrol goes on, stop can be tried again
      ending = false;
      follow();
      toast(err.message);
    });
  }

  function finding(form) {
    if (!run) return Promise.resolve();
    var fields = {client_key: O.uuid()}, picked = [];
    Array.prototype.forEach.call(form.elements, function (e) {
      if (!e.name || e.disabled) return;
      if (e.type === "file") Array.prototype.forEach.call(e.files, function (f) { picked.push(f); });
      else if (e.value !== "") fields[e.name] = e.value;
    });
    if (!fields.description) { toast(TEXT.describe); return Promise.resolve(); }
    if (!here) { toast(TEXT.no_gps); return Promise.resolve(); }
    fields.lon = String(here[0]);
    fields.lat = String(here[1]);
    var patrolKey = run.key, label = run.label;
    return seal().then(function () {
      return Promise.all(picked.map(function (f) { return window.JingwuPhoto.shrink(f, PHOTO, here); }));
    }).then(function (files) {
      if (files.length) fields.photo_meta = JSON.stringify(files.map(function (f) { return f.meta; }));
      return enqueue({key: fields.client_key, kind: "finding", patrol: patrolKey, url: "/api/patrols/" + encodeURIComponent(patrolKey) + "/findings",
                      fields: fields, files: files.map(function (f) { return {field: "photos", name: f.name, blob: f.blob}; }),
                      label: TEXT.finding + " " + label});
    }).then(function () {
      form.reset();
      O.bump("findings");
      location.hash = "#run";
      if (!navigator.onLine) toast(TEXT.saved);
      return flush();
    }).catch(function (err) { toast(err.message); });
  }

  // --- the screen ----------------------------------------------------------------------------------------
  function tick() {
    if (!run) return;
    var mins = Math.floor((Date.now() - run.started) / 60000);
    document.getElementById("run-time").textContent = Math.floor(mins / 60) + ":" + ("0" + (mins % 60)).slice(-2);
    document.getElementById("run-distance").textContent = (run.distance / 1000).toFixed(2) + " km";
    document.getElementById("run-points").textContent = String(run.count);
    document.getElementById("run-gps").textContent = here ? TEXT.gps_ok : TEXT.waiting_gps;
  }

  function draw() {
    tick();
    if (!map || !run) return;
    var lls = run.trail.map(function (p) { return map.jw.ll(p[1], p[0]); });
    if (!line) line = L.polyline(lls, {color: "#d32f2f", weight: 4}).addTo(map);
    else line.setLatLngs(lls);
    if (lls.length) map.panTo(lls[lls.length - 1], {animate: false});
  }

  function runMap() {
    if (!run || !document.getElementById("run-map")) return;
    if (!map) map = JingwuMap.base("run-map");
    if (map.jw.target !== run.key) {
      if (map.jw.layer) map.removeLayer(map.jw.layer);
      var t = TARGETS.filter(function (x) { return x.kind === run.kind && String(x.ref) === String(run.target); })[0];
      if (t) {
        map.jw.layer = L.geoJSON(t.geometry, {coordsToLatLng: function (c) { return map.jw.ll(c[1], c[0]); },
                                              style: {color: t.kind === "river" ? "#1565c0" : "#666", weight: t.kind === "river" ? 6 : 2, fillOpacity: 0.05}}).addTo(map);
        map.fitBounds(map.jw.layer.getBounds(), {animate: false});
      }
      map.jw.target = run.key;
      if (line) { map.removeLayer(line); line = null; }
    }
    map.invalidateSize();
    draw();
  }

  function show() {
    var view = location.hash.replace(/^#/, "") || (run ? "run" : "home");
    if ((view === "run" || view === "find") && !run) view = "home";
    if (view === "home" && run && !location.hash) view = "run";
    document.querySelectorAll(".jw-view").forEach(function (v) { v.hidden = v.dataset.view !== view; });
    document.querySelectorAll("#tabbar .weui-tabbar__item").forEach(function (a) {
      a.classList.toggle("weui-bar__item_on", a.dataset.tab === (view === "find" ? "run" : view));
    });
    document.getElementById("tab-run").hidden = !run;
    document.getElementById("run-title").textContent = run ? run.label : "";
    document.getElementById("find-category").hidden = !run || run.kind === "river";
    document.body.dataset.view = view;
    document.body.dataset.running = run ? "1" : "0";
    if (view === "run") runMap();
  }

  document.querySelectorAll(".start-patrol").forEach(function (b) {
    b.addEventListener("click", function (e) {
      e.preventDefault();
      if (run) { location.hash = "#run"; return; }
      start({kind: b.dataset.kind, ref: b.dataset.ref, label: b.dataset.label}).then(function () { location.hash = "#run"; });
    });
  });
  document.getElementById("stop-patrol").addEventListener("click", function (e) {
    e.preventDefault();
    ask(TEXT.confirm_end, stop);
  });
  document.getElementById("find-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var button = e.target.querySelector("button[type=submit]");
    button.disabled = true;
    finding(e.target).then(function () { button.disabled = false; });
  });

  // Another tab of this person's started, ended or moved the patrol on: follow it.
  window.addEventListener("storage", function (e) {
    if (e.key !== RUN_KEY) return;
    var other = load();
    if (!other) { if (run) halt(); return; }
    var fresh = !run || run.key !== other.key;
    run = other;
    if (fresh) follow();
    show();
    draw();
  });
  window.addEventListener("hashchange", show);
  window.addEventListener("online", function () { flush(); });
  setInterval(flush, 20000);
  if (run) follow();
  show();
  render().then(flush);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/patrols/m/sw.js", {scope: "/patrols/m/"}).catch(function () {});
  window.JingwuPatrol = {flush: flush, sample: sample, seal: seal, run: function () { return run; }};
})();
