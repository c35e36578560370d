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

  function drawCharts(root) {
    getJSON(root.dataset.url).then(function (data) {
      const hourly = data.calls_per_hour;
      new Chart(document.getElementById("chart-hourly"), {
        type: "bar",
        data: {
          labels: hourly.labels,
          datasets: Object.keys(hourly.series).map(function (type) {
            return { label: (data.names && data.names.call_types[type]) || type, data: hourly.series[type], backgroundColor: COLOURS[type] || "#999", stack: "calls" };
          }),
        },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
      });
      const types = Object.keys(data.incidents_by_type);
      new Chart(document.getElementById("chart-incidents"), {
        type: "bar",
        data: { labels: types.map(function (t) { return (data.names && data.names.incident_types[t]) || t; }), datasets: [{ label: root.dataset.labelIncidents, data: types.map(function (t) { return data.incidents_by_type[t]; }), backgroundColor: COLOURS.emergency }] },
        options: { indexAxis: "y", scales: { x: { beginAtZero: true } } },
      });
      const ack = data.ack_by_agency;
      new Chart(document.getElementById("chart-ack"), {
        data: {
          labels: ack.labels,
          datasets: [
            { type: "bar", label: root.dataset.labelMedian, data: ack.median, backgroundColor: "#2e86c1" },
            { type: "bar", label: root.dataset.labelP90, data: ack.p90, backgroundColor: "#85c1e9" },
            { type: "line", label: root.dataset.labelTarget, data: ack.target, borderColor: "#c0392b", pointStyle: "line", showLine: false, pointRadius: 14 },
          ],
        },
        options: { scales: { y: { beginAtZero: true } } },
      });
    }).catch(function (error) { root.insertAdjacentText("afterbegin", String(error)); });
  }

  function colour(value, max) {
    if (!value) return "#f4f6f7";
    const steps = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
    return steps[Math.min(steps.length - 1, Math.floor((value / Math.max(max, 1)) * steps.length))];
  }

  function drawMap(element) {
    const city = window.CityMap(element);
    Promise.all([city.ready, getJSON(element.dataset.url)]).then(function (results) {
      const layer = results[0], counts = results[1].kelurahan;
      function paint(measure) {
        let max = 0;
        Object.keys(counts).forEach(function (code) { max = Math.max(max, counts[code][measure] || 0); });
        layer.eachLayer(function (l) {
          const c = counts[l.feature.properties.code] || {};
          const n = c[measure] || 0;
          l.setStyle({ color: "#555", weight: 1, fillOpacity: 0.7, fillColor: colour(n, max) });
          l.setTooltipContent(window.CityMap.text(l.feature.properties.name + ": " + n));
        });
      }
      document.querySelectorAll("input[name=map-measure]").forEach(function (input) {
        input.addEventListener("change", function () { paint(input.value); });
      });
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
