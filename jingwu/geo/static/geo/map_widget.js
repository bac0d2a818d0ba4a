/* The admin's boundary editor: Leaflet + Geoman over the town's base map and the other grids. The GeoJSON text
   box below the map is the form's value; every edit on the map rewrites it. */
(function () {
  "use strict";

  function geometryOf(group, kind) {
    var shapes = [];
    group.eachLayer(function (l) { if (l.toGeoJSON) shapes.push(l.toGeoJSON().geometry); });
    if (!shapes.length) return null;
    if (kind !== "polygon") return shapes[0];
    var polys = [];
    shapes.forEach(function (g) {
      if (g.type === "Polygon") polys.push(g.coordinates);
      else if (g.type === "MultiPolygon") polys = polys.concat(g.coordinates);
    });
    return polys.length === 1 ? {type: "Polygon", coordinates: polys[0]} : {type: "MultiPolygon", coordinates: polys};
  }

  function init(box) {
    var text = document.getElementById(box.dataset.for);
    var kind = box.dataset.kind;
    var map = L.map(box.querySelector(".jw-map-widget-map"), {maxZoom: 20}).setView([39.04, 117.125], 12);
    var editable = L.featureGroup().addTo(map);
    var value = null;
    try { value = text.value.trim() ? JSON.parse(text.value) : null; } catch (e) { value = null; }
    fetch("/api/basemap").then(function (r) { return r.json(); }).then(function (fc) {
      L.geoJSON(fc, {interactive: false, pmIgnore: true, style: {color: "#c8b98a", weight: 2},
                     pointToLayer: function (f, ll) { return L.circleMarker(ll, {radius: 3, pmIgnore: true}); }})
        .addTo(map).bringToBack();
    }).catch(function () {});
    fetch("/api/grids").then(function (r) { return r.json(); }).then(function (fc) {
      var others = L.geoJSON(fc, {interactive: false, pmIgnore: true, style: {color: "#9e9e9e", weight: 1, fillOpacity: 0.03},
        onEachFeature: function (f, l) { l.bindTooltip(f.properties.code, {sticky: true}); }}).addTo(map);
      if (!value && others.getBounds().isValid()) map.fitBounds(others.getBounds(), {animate: false});
    }).catch(function () {});
    if (value) {
      L.geoJSON(value, {style: {color: "#d32f2f", weight: 2}}).eachLayer(function (l) { editable.addLayer(l); });
      if (editable.getBounds().isValid()) map.fitBounds(editable.getBounds(), {animate: false, padding: [20, 20]});
    }
    map.pm.setGlobalOptions({snappable: true, snapDistance: 15, layerGroup: editable});
    // The tools' titles and hints in the page's language, set before the toolbar is built.
    map.pm.setLang((document.documentElement.lang || "zh").toLowerCase().indexOf("zh") === 0 ? "zh" : "en");
    map.pm.addControls({
      position: "topleft",
      drawMarker: kind === "feature", drawCircleMarker: false, drawPolyline: kind === "feature", drawRectangle: false,
      drawPolygon: true, drawCircle: false, drawText: false, cutPolygon: false, rotateMode: false
    });
    function save() {
      var g = geometryOf(editable, kind);
      text.value = g ? JSON.stringify(g) : "";
      box.dataset.edited = "1";
    }
    map.on("pm:create", function (e) { editable.addLayer(e.layer); e.layer.on("pm:edit", save); save(); });
    map.on("pm:remove", save);
    editable.eachLayer(function (l) { l.on("pm:edit", save); l.on("pm:dragend", save); });
    (window.JingwuAdminMaps = window.JingwuAdminMaps || []).push({map: map, editable: editable});
    box.dataset.ready = "1";
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".jw-map-widget").forEach(init);
  });
})();
