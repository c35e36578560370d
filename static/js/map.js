// A Leaflet map of Kota Bengkulu drawn from the kelurahan boundaries, over street tiles when the
// element carries data-tiles (works without a tile server).
(function () {
  "use strict";
  const CENTRE = [-3.8, 102.29];
  // Leaflet reads a string tooltip or popup as HTML; text from the data goes in as a text node.
  function text(value) {
    const span = document.createElement("span");
    span.textContent = value;
    return span;
  }
  // Leaflet shows the attribution as HTML: the setting's text is escaped to show as written.
  function escaped(value) {
    const span = document.createElement("span");
    span.textContent = value;
    return span.innerHTML;
  }
  const FAILURES_BEFORE_FALLBACK = 3;
  // Street tiles under the outlines (MAP_TILE_URL). When the tile server cannot be reached (a few
  // errors before any tile loaded) the layer is removed: the outline map stays readable on its own.
  // data-tiles-state says which: "loading", "loaded" or "failed".
  function addTiles(map, element) {
    const layer = L.tileLayer(element.dataset.tiles, {
      maxZoom: 19,
      attribution: escaped(element.dataset.tilesAttribution || ""),
      // The site sends no Referer across origins; a tile server is told the site's origin (some,
      // OpenStreetMap's among them, refuse anonymous requests), never the page's path.
      referrerPolicy: "strict-origin",
    });
    let failures = 0;
    element.dataset.tilesState = "loading";
    layer.on("tileload", function () {
      if (element.dataset.tilesState === "loading") element.dataset.tilesState = "loaded";
    });
    layer.on("tileerror", function () {
      failures += 1;
      if (element.dataset.tilesState === "loading" && failures >= FAILURES_BEFORE_FALLBACK) {
        element.dataset.tilesState = "failed";
        map.removeLayer(layer);
      }
    });
    layer.addTo(map);
    return layer;
  }
  function cityMap(element, options) {
    options = options || {};
    const map = L.map(element, { zoomControl: true, attributionControl: true, zoomSnap: options.zoomSnap || 1 }).setView(CENTRE, options.zoom || 12);
    if (element.dataset.tiles) addTiles(map, element);
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
