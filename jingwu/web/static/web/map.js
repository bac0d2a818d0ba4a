/* Jingwu maps (Leaflet). Tiles come from a configured URL template; with none, grids and cases are drawn
   on a plain background, as on a government intranet without a tile server. */
(function () {
  "use strict";
  var CENTER = [39.04, 117.125];

  function settings() {
    var el = document.getElementById("tiles");
    return el ? JSON.parse(el.textContent) : {};
  }

  function base(id) {
    var el = document.getElementById(id);
    var map = L.map(el, {preferCanvas: true, maxZoom: 19}).setView(CENTER, 12);
    var t = settings();
    if (t.url) {
      L.tileLayer(t.url, {attribution: t.attribution || "", subdomains: t.subdomains || "abc", maxZoom: 19}).addTo(map);
    } else {
      el.classList.add("no-tiles");
    }
    return map;
  }

  function grids(map, features, style) {
    var layer = L.geoJSON(features, {
      style: style || function () { return {color: "#666", weight: 1, fillOpacity: 0.05}; },
      onEachFeature: function (f, l) {
        var p = f.properties || {};
        var text = (p.name || "") + " " + (p.code || "");
        if (p.open !== undefined) text += " · 在办 " + p.open + (p.overdue ? " · 超时 " + p.overdue : "");
        l.bindTooltip(text);
      }
    }).addTo(map);
    if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds());
    map.getContainer().dataset.grids = String(layer.getLayers().length);
    return layer;
  }

  function shade(f) {
    var p = f.properties;
    if (p.overdue) return {color: "#b71c1c", weight: 1, fillColor: "#e53935", fillOpacity: 0.45};
    if (p.open) return {color: "#e65100", weight: 1, fillColor: "#fb8c00", fillOpacity: Math.min(0.15 + 0.08 * p.open, 0.5)};
    return {color: "#888", weight: 1, fillOpacity: 0.03};
  }

  function cluster() {
    return L.markerClusterGroup ? L.markerClusterGroup({disableClusteringAtZoom: 17}) : L.layerGroup();
  }

  function dot(lat, lon, late) {
    return L.circleMarker([lat, lon], {radius: 6, color: late ? "#b71c1c" : "#1565c0", weight: 2, fillOpacity: 0.7});
  }

  window.JingwuMap = {
    base: base,
    grids: grids,
    centre: function (id, opts) {
      opts = opts || {};
      var el = document.getElementById(id);
      var map = base(id);
      fetch(el.dataset.source, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
        grids(map, d.grids, shade);
        if (opts.markers === false) return;
        var group = cluster();
        d.cases.forEach(function (c) {
          var m = dot(c.lat, c.lon, c.o);
          var a = document.createElement("a");
          a.href = "/cases/" + encodeURIComponent(c.n) + "/";
          a.textContent = c.n;
          m.bindPopup(a);
          group.addLayer(m);
        });
        map.addLayer(group);
        el.dataset.loaded = String(d.cases.length);
      });
      return map;
    },
    point: function (id) {
      var el = document.getElementById(id);
      var map = base(id);
      var ll = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
      L.marker(ll).addTo(map);
      map.setView(ll, 16);
      return map;
    },
    picker: function (id, lonId, latId, textId, onMove) {
      var map = base(id);
      var marker = null;
      var lon = document.getElementById(lonId), lat = document.getElementById(latId);
      var text = textId ? document.getElementById(textId) : null;
      function place(ll) {
        if (!marker) {
          marker = L.marker(ll, {draggable: true}).addTo(map);
          marker.on("dragend", function () { place(marker.getLatLng()); });
        } else {
          marker.setLatLng(ll);
        }
        lon.value = ll.lng.toFixed(6);
        lat.value = ll.lat.toFixed(6);
        if (text) text.textContent = lat.value + ", " + lon.value;
        if (onMove) onMove(ll);
      }
      map.on("click", function (e) { place(e.latlng); });
      fetch("/api/grids").then(function (r) { return r.json(); }).then(function (fc) {
        grids(map, fc);
        if (lon.value && lat.value) place(L.latLng(parseFloat(lat.value), parseFloat(lon.value)));
      }).catch(function () {});
      return {map: map, place: place};
    },
    publicMap: function (id) {
      var el = document.getElementById(id);
      var map = base(id);
      fetch("/api/grids").then(function (r) { return r.json(); }).then(function (fc) { grids(map, fc); });
      fetch(el.dataset.source).then(function (r) { return r.json(); }).then(function (d) {
        var group = cluster();
        d.cases.forEach(function (c) {
          var m = L.circleMarker([c.lat, c.lon], {radius: 6, color: c.closed ? "#2e7d32" : "#e65100", fillOpacity: 0.7});
          var box = document.createElement("div");
          box.textContent = c.n + " · " + c.c + " · " + c.s;
          m.bindPopup(box);
          group.addLayer(m);
        });
        map.addLayer(group);
        el.dataset.loaded = String(d.cases.length);
      });
      return map;
    }
  };
})();
