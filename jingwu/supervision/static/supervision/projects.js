/* Livelihood projects on the map: a point or an area each, coloured by progress, linking to the project. */
(function () {
  "use strict";
  var el = document.getElementById("project-map");
  if (!el) return;
  var data = JSON.parse(document.getElementById("project-map-data").textContent);
  var map = JingwuMap.base("project-map");
  var ll = function (c) { return map.jw.ll(c[1], c[0]); };
  var colour = function (p) { return p >= 100 ? "#2fb344" : p >= 50 ? "#206bc4" : p > 0 ? "#f59f00" : "#868e96"; };
  var layer = L.geoJSON(data, {
    coordsToLatLng: ll,
    style: function (f) { return {color: colour(f.properties.progress), weight: 2, fillOpacity: 0.25}; },
    pointToLayer: function (f, at) {
      return L.circleMarker(at, {radius: 8, color: colour(f.properties.progress), weight: 2, fillOpacity: 0.7});
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      var box = document.createElement("div");
      var a = document.createElement("a");
      a.href = p.url;
      a.textContent = p.name;
      box.appendChild(a);
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(p.category + " · " + p.progress + "% · " + p.budget + " " + el.dataset.unit));
      layer.bindPopup(box);
    }
  }).addTo(map);
  if (data.features.length) map.fitBounds(layer.getBounds(), {animate: false, padding: [20, 20], maxZoom: 16});
  el.dataset.features = String(data.features.length);
})();
