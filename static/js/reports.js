// Report charts (Chart.js) and the kelurahan choropleth (Leaflet), from JSON endpoints; no inline scripts.
(function () {
  "use strict";
  const COLOURS = {
    emergency: "#c0392b", information: "#2e86c1", complaint: "#b9770e", ghost: "#7f8c8d", prank: "#8e44ad", unclassified: "#bdc3c7",
  };

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  function sum(values) { return values.reduce(function (a, b) { return a + (b || 0); }, 0); }

  // Nothing to draw: a sentence in the chart's place, in the page's language.
  function showEmpty(canvas, message) {
    const p = document.createElement("p");
    p.className = "chart-empty";
    p.textContent = message;
    canvas.parentNode.replaceWith(p);
  }

  const FIXED = { maintainAspectRatio: false };

  function drawCharts(root) {
    getJSON(root.dataset.url).then(function (data) {
      const hourly = data.calls_per_hour;
      const callTypes = Object.keys(hourly.series);
      const hourlyCanvas = document.getElementById("chart-hourly");
      if (sum(callTypes.map(function (type) { return sum(hourly.series[type]); })) === 0) {
        showEmpty(hourlyCanvas, root.dataset.emptyCalls);
      } else {
        new Chart(hourlyCanvas, {
          type: "bar",
          data: {
            labels: hourly.labels,
            datasets: callTypes.map(function (type) {
              return { label: (data.names && data.names.call_types[type]) || type, data: hourly.series[type], backgroundColor: COLOURS[type] || "#999", stack: "calls" };
            }),
          },
          options: Object.assign({ scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }, FIXED),
        });
      }
      const types = Object.keys(data.incidents_by_type);
      const incidentsCanvas = document.getElementById("chart-incidents");
      if (sum(types.map(function (t) { return data.incidents_by_type[t]; })) === 0) {
        showEmpty(incidentsCanvas, root.dataset.emptyIncidents);
      } else {
        new Chart(incidentsCanvas, {
          type: "bar",
          data: { labels: types.map(function (t) { return (data.names && data.names.incident_types[t]) || t; }), datasets: [{ label: root.dataset.labelIncidents, data: types.map(function (t) { return data.incidents_by_type[t]; }), backgroundColor: COLOURS.emergency, maxBarThickness: 36 }] },
          // One series, named by the card's heading: no legend to repeat it.
          options: Object.assign({ indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }, FIXED),
        });
      }
      const ack = data.ack_by_agency;
      const ackCanvas = document.getElementById("chart-ack");
      if (!ack.median.some(function (v) { return v !== null && v !== undefined; })) {
        showEmpty(ackCanvas, root.dataset.emptyAck);
      } else {
        new Chart(ackCanvas, {
          data: {
            labels: ack.labels,
            datasets: [
              { type: "bar", label: root.dataset.labelMedian, data: ack.median, backgroundColor: "#2e86c1", maxBarThickness: 48 },
              { type: "bar", label: root.dataset.labelP90, data: ack.p90, backgroundColor: "#85c1e9", maxBarThickness: 48 },
              { type: "line", label: root.dataset.labelTarget, data: ack.target, borderColor: "#c0392b", pointStyle: "line", showLine: false, pointRadius: 14 },
            ],
          },
          options: Object.assign({ scales: { y: { beginAtZero: true } } }, FIXED),
        });
      }
    }).catch(function (error) { root.insertAdjacentText("afterbegin", String(error)); });
  }

  const NONE = "#f4f6f7";
  const STEPS = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];

  // The colour classes for counts up to `max`: 0, then at most five ranges of whole numbers.
  function colourClasses(max) {
    const classes = [{ from: 0, to: 0, colour: NONE }];
    const k = Math.min(STEPS.length, max);
    for (let i = 0; i < k; i++) {
      classes.push({
        from: Math.floor((i * max) / k) + 1,
        to: Math.floor(((i + 1) * max) / k),
        colour: k === 1 ? STEPS[3] : STEPS[Math.round((i * (STEPS.length - 1)) / (k - 1))],
      });
    }
    return classes;
  }

  function classOf(classes, n) {
    return classes.find(function (c) { return n >= c.from && n <= c.to; }) || classes[0];
  }

  // The legend beside the map: each class's colour, its range and how many kelurahan fall in it.
  function drawLegend(legend, measure, classes, perClass) {
    legend.textContent = "";
    const title = document.createElement("p");
    title.className = "map-legend-title";
    title.textContent = measure === "prank" ? legend.dataset.titlePrank : legend.dataset.titleIncidents;
    legend.appendChild(title);
    if (classes.length === 1) {
      const none = document.createElement("p");
      none.className = "muted";
      none.textContent = measure === "prank" ? legend.dataset.nonePrank : legend.dataset.noneIncidents;
      legend.appendChild(none);
    }
    const list = document.createElement("ul");
    classes.forEach(function (c, i) {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = c.colour;
      const words = document.createElement("span");
      words.textContent = (c.from === c.to ? String(c.from) : c.from + "–" + c.to) + " · " + perClass[i] + " kelurahan";
      item.append(swatch, words);
      list.appendChild(item);
    });
    legend.appendChild(list);
  }

  function drawMap(element) {
    // Quarter zoom steps: the city fills the map instead of the next whole step down.
    const city = window.CityMap(element, { zoomSnap: 0.25 });
    const legend = document.getElementById("map-legend");
    Promise.all([city.ready, getJSON(element.dataset.url)]).then(function (results) {
      const layer = results[0], counts = results[1].kelurahan;
      function paint(measure) {
        let max = 0;
        Object.keys(counts).forEach(function (code) { max = Math.max(max, counts[code][measure] || 0); });
        const classes = colourClasses(max);
        const perClass = classes.map(function () { return 0; });
        layer.eachLayer(function (l) {
          const c = counts[l.feature.properties.code] || {};
          const n = c[measure] || 0;
          const cls = classOf(classes, n);
          perClass[classes.indexOf(cls)] += 1;
          l.setStyle({ color: "#444", weight: 1, fillOpacity: 0.85, fillColor: cls.colour });
          l.setTooltipContent(window.CityMap.text(l.feature.properties.name + ": " + n));
        });
        if (legend) drawLegend(legend, measure, classes, perClass);
        element.dataset.painted = measure;
      }
      document.querySelectorAll("input[name=map-measure]").forEach(function (input) {
        input.addEventListener("change", function () { paint(input.value); });
      });
      // The whole city in view at the map's first zoom, whatever the card's width.
      city.map.invalidateSize();
      city.map.fitBounds(layer.getBounds(), { padding: [12, 12] });
      paint("incidents");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const charts = document.getElementById("report-charts");
    if (charts && window.Chart) drawCharts(charts);
    const map = document.getElementById("report-map");
    if (map && window.L) drawMap(map);
  });
})();
