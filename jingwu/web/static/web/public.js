/* The citizen's pages: report in three taps (category, photo, place), the receipt that remembers the report on
   this device, and 我的反映 — the reports made here, with their state, without an account. */
(function () {
  "use strict";
  var KEY = "jingwu-my-reports";
  function remembered() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // --- the report form --------------------------------------------------------------------------------
  var form = document.getElementById("public-form");
  if (form) {
    var here = null;
    var settingsEl = document.getElementById("photo-settings");
    var PHOTO = settingsEl ? JSON.parse(settingsEl.textContent) : {long_side: 1920, quality: 80};
    var picker = JingwuMap.picker("public-map", "lon", "lat", "pin-text");

    var filter = document.getElementById("cat-filter");
    filter.addEventListener("input", function () {
      var q = filter.value.trim();
      document.querySelectorAll("#cat-grid .jw-cat").forEach(function (c) {
        c.hidden = q !== "" && c.dataset.search.indexOf(q) < 0;
      });
    });

    function locate() {
      if (!navigator.geolocation) return;
      navigator.geolocation.getCurrentPosition(function (p) {
        here = [p.coords.longitude, p.coords.latitude];
        if (!document.getElementById("lon").value) {
          picker.place(L.latLng(here[1], here[0]));
          picker.map.setView(picker.map.jw.ll(here[1], here[0]), 16);
        }
      }, function () {}, {enableHighAccuracy: true, timeout: 10000});
    }
    document.getElementById("use-gps").addEventListener("click", function () {
      document.getElementById("lon").value = "";
      locate();
    });
    locate();

    // The photo is shrunk before it is sent; the form then carries the smaller file.
    var input = document.getElementById("public-photo");
    input.addEventListener("change", function () {
      var file = input.files[0];
      if (!file || !window.DataTransfer) return;
      window.JingwuPhoto.shrink(file, PHOTO, here).then(function (f) {
        var dt = new DataTransfer();
        dt.items.add(new File([f.blob], f.name, {type: f.blob.type || "image/jpeg"}));
        input.files = dt.files;
        document.getElementById("photo-meta").value = JSON.stringify([f.meta]);
        input.dataset.shrunk = String(f.blob.size);
      });
    });

    // Voice to text, where the browser offers it.
    var Speech = window.SpeechRecognition || window.webkitSpeechRecognition;
    var voice = document.getElementById("voice");
    if (Speech && voice) {
      voice.hidden = false;
      var label = voice.innerHTML;  // our own markup: the icon and the word
      voice.addEventListener("click", function () {
        var rec = new Speech();
        rec.lang = document.documentElement.lang === "en" ? "en-US" : "zh-CN";
        rec.onresult = function (e) {
          var box = document.getElementById("public-description");
          box.value = (box.value ? box.value + " " : "") + e.results[0][0].transcript;
        };
        rec.onend = function () { voice.innerHTML = label; };
        voice.textContent = voice.dataset.listening;
        rec.start();
      });
    }

    form.addEventListener("submit", function () {
      var button = document.getElementById("public-submit");
      setTimeout(function () { button.disabled = true; }, 0);  // one tap, one report
    });
  }

  // --- the receipt remembers the report on this device ------------------------------------------------
  var receipt = document.getElementById("receipt");
  if (receipt) {
    var list = remembered().filter(function (r) { return r.number !== receipt.dataset.number; });
    list.unshift({number: receipt.dataset.number, code: receipt.dataset.code, category: receipt.dataset.category,
                  at: receipt.dataset.at});
    try { localStorage.setItem(KEY, JSON.stringify(list.slice(0, 50))); } catch (e) { /* private mode: no memory */ }
  }

  // --- 我的反映 ----------------------------------------------------------------------------------------
  var mine = document.getElementById("my-reports");
  if (mine) {
    var reports = remembered();
    if (!reports.length) {
      mine.appendChild(el("div", "weui-cell jw-hint", mine.dataset.empty));
      return;
    }
    var rows = {};
    reports.forEach(function (r) {
      var a = el("a", "weui-cell weui-cell_access my-report");
      a.href = "/public/track/?number=" + encodeURIComponent(r.number) + "&code=" + encodeURIComponent(r.code);
      a.dataset.number = r.number;
      var bd = el("div", "weui-cell__bd");
      bd.appendChild(el("div", "", r.number + (r.category ? " · " + r.category : "")));
      bd.appendChild(el("div", "jw-hint p-0", (r.at || "").slice(0, 16).replace("T", " ")));
      var ft = el("div", "weui-cell__ft status", "…");
      a.appendChild(bd);
      a.appendChild(ft);
      mine.appendChild(a);
      rows[r.number] = ft;
    });
    var q = reports.slice(0, 20).map(function (r) { return r.number + ":" + r.code; }).join(",");
    fetch("/public/status.json?q=" + encodeURIComponent(q)).then(function (r) { return r.json(); }).then(function (d) {
      d.cases.forEach(function (c) {
        var ft = rows[c.number];
        if (!ft) return;
        ft.textContent = c.status + (c.closed && !c.rated ? " · " + mine.dataset.rate : "");
      });
      mine.dataset.loaded = "1";
    }).catch(function () {});
  }
})();
