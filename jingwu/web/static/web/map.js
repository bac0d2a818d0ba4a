/* Jingwu maps (Leaflet). The base map comes from the server's settings (geo/basemaps.py): 天地图 or 高德 tiles
   with their annotation layers, any intranet XYZ server, or the town's own vector base map (roads, rivers,
   landmarks) where no tile server is reachable. Positions are stored in WGS-84; on GCJ-02 tiles (高德) every
   position is shifted onto the tiles for drawing and every click shifted back, so points stay right. */
(function () {
  "use strict";
  var CENTER = [39.04, 117.125];

  function settings() {
    var el = document.getElementById("tiles");
    var s = el ? JSON.parse(el.textContent) : {};
    s.bases = s.bases || [];
    s.text = s.text || {};
    return s;
  }

  // --- WGS-84 ⇄ GCJ-02 (the published offset; the inverse by iteration), as lib/coords.py ---------------
  var A = 6378245.0, EE = 0.00669342162296594323;
  function outside(lon, lat) { return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271); }
  function tLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
    return r + (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
  }
  function tLon(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
    return r + (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
  }
  function toGcj(lon, lat) {
    if (outside(lon, lat)) return [lon, lat];
    var dLat = tLat(lon - 105, lat - 35), dLon = tLon(lon - 105, lat - 35);
    var rad = lat / 180 * Math.PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    dLat = (dLat * 180) / ((A * (1 - EE)) / (magic * sq) * Math.PI);
    dLon = (dLon * 180) / (A / sq * Math.cos(rad) * Math.PI);
    return [lon + dLon, lat + dLat];
  }
  function fromGcj(lon, lat) {
    if (outside(lon, lat)) return [lon, lat];
    var w = [lon, lat];
    for (var i = 0; i < 30; i++) {
      var g = toGcj(w[0], w[1]), dx = g[0] - lon, dy = g[1] - lat;
      w = [w[0] - dx, w[1] - dy];
      if (Math.abs(dx) < 1e-9 && Math.abs(dy) < 1e-9) break;
    }
    return w;
  }

  // A map knows its datum: ll(lat, lon) gives where a stored WGS-84 point is drawn, wgs(latlng) the reverse.
  function datum(crs) {
    if (crs === "gcj02") {
      return {
        ll: function (lat, lon) { var g = toGcj(lon, lat); return L.latLng(g[1], g[0]); },
        wgs: function (latlng) { var w = fromGcj(latlng.lng, latlng.lat); return L.latLng(w[1], w[0]); }
      };
    }
    return {ll: function (lat, lon) { return L.latLng(lat, lon); }, wgs: function (latlng) { return latlng; }};
  }

  // --- the town's own base map -----------------------------------------------------------------------
  var ROAD = {1: {color: "#f2b134", weight: 5}, 2: {color: "#d9c27a", weight: 3}, 3: {color: "#c8c2b4", weight: 2}};

  function localLayer(map, s) {
    var group = L.featureGroup();
    if (!s.local) return group;
    fetch(s.local).then(function (r) { return r.json(); }).then(function (fc) {
      L.geoJSON(fc, {
        coordsToLatLng: function (c) { return map.jw.ll(c[1], c[0]); },
        style: function (f) {
          var p = f.properties;
          if (p.kind === "river" || p.kind === "water") return {color: "#5aa9e6", weight: 4, opacity: 0.9, fillColor: "#a8d4f5"};
          var road = ROAD[p.rank] || ROAD[2];
          return {color: road.color, weight: road.weight, opacity: 0.95};
        },
        pointToLayer: function (f, latlng) {
          if (f.properties.kind === "place") return L.circleMarker(latlng, {radius: 0, opacity: 0, fillOpacity: 0, interactive: false});
          return L.circleMarker(latlng, {radius: 4, color: "#6d4c41", weight: 1, fillColor: "#8d6e63", fillOpacity: 0.9});
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          if (!p.name) return;
          if (p.kind === "landmark") l.bindTooltip(p.name, {permanent: true, direction: "right", className: "jw-landmark"});
          else if (p.kind === "place") l.bindTooltip(p.name, {permanent: true, direction: "center", className: "jw-place"});
          else l.bindTooltip(p.name, {sticky: true});
        }
      }).addTo(group);
      group.bringToBack();
      map.getContainer().dataset.base = String(fc.features.length);
    }).catch(function () {});
    return group;
  }

  function legend(map, items) {
    if (!items || !items.length) return;
    var control = L.control({position: "bottomleft"});
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "jw-legend");
      items.forEach(function (it) {
        var row = L.DomUtil.create("div", "", div);
        var sw = L.DomUtil.create("span", "jw-sw " + (it.shape || "box"), row);
        sw.style.background = it.color;
        if (it.border) sw.style.borderColor = it.border;
        row.appendChild(document.createTextNode(it.text));
      });
      return div;
    };
    control.addTo(map);
    map.getContainer().dataset.legend = String(items.length);
  }

  function base(id, legendItems) {
    var el = document.getElementById(id);
    var s = settings();
    var map = L.map(el, {preferCanvas: true, maxZoom: 19, zoomControl: false}).setView(CENTER, 12);
    L.control.zoom({zoomInTitle: s.text.zoom_in || "+", zoomOutTitle: s.text.zoom_out || "−"}).addTo(map);
    map.jw = datum(s.crs);
    map.jw.settings = s;
    if (s.attribution) map.attributionControl.addAttribution(s.attribution);
    var bases = {}, overlays = {}, first = null;
    s.bases.forEach(function (b) {
      var group = L.layerGroup([L.tileLayer(b.url, {subdomains: s.subdomains, maxZoom: 19})]);
      if (b.labels) group.addLayer(L.tileLayer(b.labels, {subdomains: s.subdomains, maxZoom: 19}));
      bases[b.label || b.name] = group;
      first = first || group;
    });
    var local = localLayer(map, s);
    if (first) {
      first.addTo(map);
      overlays[s.text.local || "local"] = local;  // offered, off: the tiles already show roads and rivers
    } else {
      el.classList.add("no-tiles");
      local.addTo(map);
    }
    map.jw.control = L.control.layers(Object.keys(bases).length > 1 ? bases : {}, overlays, {collapsed: true});
    if (first) map.jw.control.addTo(map);  // otherwise added with the first overlay (grids, cases)
    el.dataset.preset = s.preset || "local";
    legend(map, legendItems);
    window.JingwuMap.maps[id] = map;
    return map;
  }

  // Grid outlines; their codes appear as labels from zoom 15 on, where they no longer crowd.
  function grids(map, features, style) {
    var codes = L.layerGroup();
    var layer = L.geoJSON(features, {
      coordsToLatLng: function (c) { return map.jw.ll(c[1], c[0]); },
      style: style || function () { return {color: "#666", weight: 1, fillOpacity: 0.05}; },
      onEachFeature: function (f, l) {
        var p = f.properties || {};
        var text = (p.name || "") + " " + (p.code || "");
        var t = map.jw.settings.text;
        if (p.open !== undefined) text += " · " + (t.open || "open") + " " + p.open + (p.overdue ? " · " + (t.overdue || "overdue") + " " + p.overdue : "");
        l.bindTooltip(text);
        if (p.code && l.getBounds) {
          codes.addLayer(L.tooltip({permanent: true, direction: "center", className: "jw-grid-code", interactive: false})
            .setLatLng(l.getBounds().getCenter()).setContent(p.code));
        }
      }
    }).addTo(map);
    function showCodes() {
      if (map.getZoom() >= 15) map.addLayer(codes); else map.removeLayer(codes);
    }
    map.on("zoomend", showCodes);
    showCodes();
    if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), {animate: false});  // the first view: no animation
    map.getContainer().dataset.grids = String(layer.getLayers().length);
    addOverlay(map, layer, map.jw.settings.text.grids || "grids");
    return layer;
  }

  function addOverlay(map, layer, name) {
    if (!map.jw.control._map) map.jw.control.addTo(map);
    map.jw.control.addOverlay(layer, name);
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

  function dot(map, lat, lon, late) {
    return L.circleMarker(map.jw.ll(lat, lon), {radius: 6, color: late ? "#b71c1c" : "#1565c0", weight: 2, fillOpacity: 0.7});
  }

  function caseLink(number) {
    var a = document.createElement("a");
    a.href = "/cases/" + encodeURIComponent(number) + "/";
    a.textContent = number;
    return a;
  }

  var T = function (key, fallback) { var s = settings(); return (s.text && s.text[key]) || fallback; };

  window.JingwuMap = {
    maps: {},
    base: base,
    grids: grids,
    toGcj: toGcj,
    fromGcj: fromGcj,
    centre: function (id, opts) {
      opts = opts || {};
      var el = document.getElementById(id);
      var items = [
        {color: "#fb8c00", text: T("open_grid", "有在办案件的网格")},
        {color: "#e53935", text: T("late_grid", "有超时案件的网格")}
      ];
      if (opts.markers !== false) {
        items.push({color: "#1565c0", shape: "dot", text: T("open_case", "在办案件")});
        items.push({color: "#b71c1c", shape: "dot", text: T("late_case", "超时案件")});
      }
      var map = base(id, items);
      fetch(el.dataset.source, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
        grids(map, d.grids, shade);
        if (opts.markers === false) return;
        var group = cluster();
        d.cases.forEach(function (c) {
          group.addLayer(dot(map, c.lat, c.lon, c.o).bindPopup(caseLink(c.n)));
        });
        map.addLayer(group);
        addOverlay(map, group, T("cases", "cases"));
        el.dataset.loaded = String(d.cases.length);
      });
      return map;
    },
    // The case page: the case, its grid outlined, and the open cases around it.
    point: function (id) {
      var el = document.getElementById(id);
      var map = base(id, [
        {color: "#d32f2f", shape: "dot", text: T("this_case", "本案")},
        {color: "#1565c0", shape: "dot", text: T("nearby", "附近在办案件")},
        {color: "transparent", border: "#1565c0", text: T("its_grid", "所在网格")}
      ]);
      var here = map.jw.ll(parseFloat(el.dataset.lat), parseFloat(el.dataset.lon));
      var near = document.getElementById(id + "-near");
      var extra = near ? JSON.parse(near.textContent) : {};
      var outline = null;
      if (extra.grid) {
        outline = L.geoJSON(extra.grid, {
          coordsToLatLng: function (c) { return map.jw.ll(c[1], c[0]); },
          style: {color: "#1565c0", weight: 2, dashArray: "4 3", fillOpacity: 0.04}, interactive: false
        }).addTo(map);
      }
      (extra.cases || []).forEach(function (c) {
        L.circleMarker(map.jw.ll(c.lat, c.lon), {radius: 5, color: "#1565c0", weight: 2, fillOpacity: 0.6})
          .bindPopup(caseLink(c.n)).addTo(map);
      });
      L.circleMarker(here, {radius: 8, color: "#d32f2f", weight: 3, fillColor: "#ef5350", fillOpacity: 0.9}).addTo(map);
      if (outline && outline.getBounds().isValid()) {
        map.fitBounds(outline.getBounds().extend(here), {animate: false, padding: [12, 12], maxZoom: 17});
      } else {
        map.setView(here, 16, {animate: false});
      }
      el.dataset.nearby = String((extra.cases || []).length);
      return map;
    },
    picker: function (id, lonId, latId, textId, onMove) {
      var map = base(id, [{color: "#1565c0", shape: "dot", text: T("picked", "问题位置（可拖动）")}]);
      var marker = null;
      var lon = document.getElementById(lonId), lat = document.getElementById(latId);
      var text = textId ? document.getElementById(textId) : null;
      // ``wgs`` is the stored position (WGS-84); the marker is drawn where that lies on the tiles.
      function place(wgs) {
        var drawn = map.jw.ll(wgs.lat, wgs.lng);
        if (!marker) {
          marker = L.marker(drawn, {draggable: true}).addTo(map);
          marker.on("dragend", function () { place(map.jw.wgs(marker.getLatLng())); });
        } else {
          marker.setLatLng(drawn);
        }
        lon.value = wgs.lng.toFixed(6);
        lat.value = wgs.lat.toFixed(6);
        if (text) text.textContent = lat.value + ", " + lon.value;
        if (onMove) onMove(wgs);
      }
      map.on("click", function (e) { place(map.jw.wgs(e.latlng)); });
      fetch("/api/grids").then(function (r) { return r.json(); }).then(function (fc) {
        grids(map, fc);
        if (lon.value && lat.value) place(L.latLng(parseFloat(lat.value), parseFloat(lon.value)));
      }).catch(function () {});
      return {map: map, place: place};
    },
    // The registry's map: each place a dot in its risk colour, ringed dark when a hazard there is overdue.
    places: function (id) {
      var el = document.getElementById(id);
      var colors = {red: "#d32f2f", orange: "#f57c00", yellow: "#fbc02d", blue: "#1976d2"};
      var map = base(id, [
        {color: colors.red, shape: "dot", text: T("risk_red", "红（重大风险）")},
        {color: colors.orange, shape: "dot", text: T("risk_orange", "橙（较大风险）")},
        {color: colors.yellow, shape: "dot", text: T("risk_yellow", "黄（一般风险）")},
        {color: colors.blue, shape: "dot", text: T("risk_blue", "蓝（低风险）")},
        {color: "transparent", border: "#212121", shape: "dot", text: T("overdue_hazard", "有逾期隐患")}
      ]);
      fetch("/api/grids").then(function (r) { return r.json(); }).then(function (fc) { grids(map, fc); });
      fetch(el.dataset.source, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
        var group = cluster();
        d.places.forEach(function (p) {
          var m = L.circleMarker(map.jw.ll(p.lat, p.lon), {radius: 6, color: p.l ? "#212121" : colors[p.r],
            weight: p.l ? 3 : 1, fillColor: colors[p.r] || colors.blue, fillOpacity: 0.85});
          var a = document.createElement("a");
          a.href = "/safety/" + p.id + "/";
          a.textContent = p.n;
          m.bindPopup(a);
          group.addLayer(m);
        });
        map.addLayer(group);
        addOverlay(map, group, T("places", "企业与场所"));
        el.dataset.loaded = String(d.places.length);
      });
      return map;
    },
    devices: function (id) {
      var el = document.getElementById(id);
      var colors = {online: "#2e7d32", offline: "#9e9e9e", fault: "#f57c00", disabled: "#424242", alarm: "#d32f2f"};
      var map = base(id, [
        {color: colors.alarm, shape: "dot", text: T("device_alarm", "告警中")},
        {color: colors.online, shape: "dot", text: T("device_online", "在线")},
        {color: colors.fault, shape: "dot", text: T("device_fault", "故障")},
        {color: colors.offline, shape: "dot", text: T("device_offline", "离线")}
      ]);
      fetch("/api/grids").then(function (r) { return r.json(); }).then(function (fc) { grids(map, fc); });
      fetch(el.dataset.source, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
        // Devices in alarm are never folded into a cluster: they stay on top, red, at every zoom.
        var group = cluster(), alarmed = L.layerGroup();
        d.devices.forEach(function (p) {
          var m = L.circleMarker(map.jw.ll(p.lat, p.lon), {radius: p.a ? 10 : 6, color: p.a ? "#7f0000" : "#212121",
            weight: p.a ? 3 : 1, fillColor: p.a ? colors.alarm : (colors[p.s] || colors.offline), fillOpacity: 0.9});
          var a = document.createElement("a");
          a.href = "/iot/devices/" + p.id + "/";
          a.textContent = p.n;
          m.bindPopup(a);
          (p.a ? alarmed : group).addLayer(m);
        });
        map.addLayer(group);
        map.addLayer(alarmed);
        addOverlay(map, group, T("devices", "监测设备"));
        el.dataset.loaded = String(d.devices.length);
        el.dataset.alarmed = String(alarmed.getLayers().length);
      });
      return map;
    },
    publicMap: function (id) {
      var el = document.getElementById(id);
      var map = base(id, [
        {color: "#e65100", shape: "dot", text: T("open_case", "办理中")},
        {color: "#2e7d32", shape: "dot", text: T("closed_case", "已办结")}
      ]);
      fetch("/api/grids").then(function (r) { return r.json(); }).then(function (fc) { grids(map, fc); });
      fetch(el.dataset.source).then(function (r) { return r.json(); }).then(function (d) {
        var group = cluster();
        d.cases.forEach(function (c) {
          var m = L.circleMarker(map.jw.ll(c.lat, c.lon), {radius: 6, color: c.closed ? "#2e7d32" : "#e65100", fillOpacity: 0.7});
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
