// A Leaflet map of Kota Bengkulu drawn from the kelurahan boundaries (works without tile servers).
(function () {
  "use strict";
  const CENTRE = [-3.8, 102.29];
  // Leaflet reads a string tooltip or popup as HTML; text from the data goes in as a text node.
  function text(value) {
    const span = document.createElement("span");
    span.textContent = value;
    return span;
  }
  function cityMap(element, options) {
    options = options || {};
    const map = L.map(element, { zoomControl: true, attributionControl: true }).setView(CENTRE, options.zoom || 12);
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
    }
    const ready = fetch(element.dataset.geojson, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geojson) {
        const layer = L.geoJSON(geojson, {
          style: options.style || function () { return { color: "#3b6ea8", weight: 1, fillOpacity: 0.05 }; },
          onEachFeature: function (feature, l) { l.bindTooltip(text(feature.properties.name + " (" + feature.properties.kecamatan + ")")); },
        }).addTo(map);
        map.fitBounds(layer.getBounds());
        return layer;
      });
    return { map: map, ready: ready };
  }
  cityMap.text = text;
  window.CityMap = cityMap;
})();
