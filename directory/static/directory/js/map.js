// Draws the groups on a Leaflet map from the page's #map-data. The list is the primary output;
// the map is an extra, and without a tile server it still shows the markers on a plain background.
//
// Leaflet (about 150 KB with its stylesheet) is fetched only when the map is wanted: this script's
// data-map-load says when. "visible" (the search page) loads it once the map scrolls into view,
// "click" (a group page, one marker) once the reader asks for the map, and anything else at once.
(function () {
  "use strict";

  var script = document.currentScript;
  // Django's JavaScript catalog (jsi18n) defines gettext; without it, English.
  var gettext = window.gettext || function (text) { return text; };

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function loadLeaflet(done) {
    if (window.L) return done();
    var css = script.dataset.leafletCss;
    if (css && !document.querySelector('link[href="' + css + '"]')) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = css;
      document.head.appendChild(link);
    }
    var tag = document.createElement("script");
    tag.src = script.dataset.leafletJs;
    tag.onload = done;
    document.head.appendChild(tag);
  }

  function draw(element, config) {
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

  function init() {
    var element = document.querySelector("[data-map]");
    var source = document.getElementById("map-data");
    if (!element || !source) return;
    var config = JSON.parse(source.textContent);
    // Until Leaflet is here, live results only replace what the map will draw.
    window.orgsiteMap = {
      update: function (data) {
        config = data;
      },
    };
    var start = function () {
      loadLeaflet(function () {
        draw(element, config);
      });
    };
    var when = script.dataset.mapLoad;
    if (when === "click") {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button--secondary map__show";
      button.textContent = gettext("Show on a map");
      button.addEventListener("click", function () {
        button.disabled = true;
        start();
      });
      element.replaceChildren(button);
    } else if (when === "visible" && "IntersectionObserver" in window) {
      var observer = new IntersectionObserver(
        function (entries) {
          if (entries.some(function (entry) { return entry.isIntersecting; })) {
            observer.disconnect();
            start();
          }
        },
        { rootMargin: "200px" },
      );
      observer.observe(element);
    } else {
      start();
    }
  }

  document.addEventListener("DOMContentLoaded", init);
})();
