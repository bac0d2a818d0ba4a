/* A patrol's track on the map: the river section or grid it was for, the track, and what was found. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("patrol-map-data").textContent);
  var map = JingwuMap.base("patrol-map");
  var ll = function (c) { return map.jw.ll(c[1], c[0]); };
  var bounds = null;
  if (data.target) {
    var target = L.geoJSON(data.target, {coordsToLatLng: ll, style: {color: data.kind === "river" ? "#1565c0" : "#666",
      weight: data.kind === "river" ? 6 : 2, opacity: 0.6, fillOpacity: 0.05}}).addTo(map);
    bounds = target.getBounds();
  }
  if (data.track.length) {
    var line = L.polyline(data.track.map(ll), {color: "#d32f2f", weight: 3}).addTo(map);
    bounds = bounds ? bounds.extend(line.getBounds()) : line.getBounds();
  }
  data.findings.forEach(function (f) { L.marker(map.jw.ll(f.lat, f.lon)).bindTooltip(f.number).addTo(map); });
  if (bounds) map.fitBounds(bounds, {animate: false, padding: [20, 20]});
  document.getElementById("patrol-map").dataset.points = String(data.track.length);
})();
