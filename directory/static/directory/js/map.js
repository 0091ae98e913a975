// Draws the groups on a Leaflet map from the page's #map-data. The list is the primary output;
// the map is an extra, and without a tile server it still shows the markers on a plain background.
(function () {
  "use strict";

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function init() {
    var element = document.querySelector("[data-map]");
    var source = document.getElementById("map-data");
    if (!element || !source || !window.L) return;
    var config = JSON.parse(source.textContent);
    element.replaceChildren();
    element.classList.add("map--ready");
    var map = L.map(element, { scrollWheelZoom: false });
    if (config.tiles) {
      L.tileLayer(config.tiles, { maxZoom: 18, attribution: config.attribution }).addTo(map);
    } else {
      element.classList.add("map--no-tiles");
    }
    var layer = L.layerGroup().addTo(map);

    function update(data) {
      layer.clearLayers();
      var points = [];
      (data.markers || []).forEach(function (marker) {
        var point = [marker.lat, marker.lng];
        points.push(point);
        var label = marker.url
          ? '<a href="' + escapeHtml(marker.url) + '">' + escapeHtml(marker.name) + "</a>"
          : escapeHtml(marker.name);
        L.circleMarker(point, { radius: 8, weight: 2, className: "map__marker" })
          .bindPopup(label)
          .bindTooltip(escapeHtml(marker.name))
          .addTo(layer);
      });
      if (points.length) {
        map.fitBounds(points, { padding: [24, 24], maxZoom: 12 });
      } else {
        map.setView([39.5, -98.35], 3);
      }
      element.dataset.markers = String(points.length);
    }

    update(config);
    window.orgsiteMap = { map: map, update: update };
  }

  document.addEventListener("DOMContentLoaded", init);
})();
