// Supervisor wall: the alerts of the last 24 hours (stored, so a reload keeps them), and open
// incidents on a map of Kota Bengkulu, kept current by the live stream.
(function () {
  "use strict";
  const alerts = document.getElementById("alerts");
  const stored = document.getElementById("wall-recent-alerts");
  if (alerts && stored) {
    // Newest first, as board.js adds the live ones on top.
    JSON.parse(stored.textContent).forEach(function (ev) {
      const p = document.createElement("p");
      p.className = "alert" + (ev.type === "dispatch.escalated" ? " escalated" : "");
      p.dataset.seq = ev.seq;
      p.dataset.type = ev.type;
      const time = document.createElement("time");
      time.dateTime = ev.at;
      time.textContent = App.wibTime(new Date(ev.at)) + " ";
      p.appendChild(time);
      let text;
      if (ev.type === "alert") {
        text = App.alertMessage(ev.data);
      } else {
        text = "⚠ " + interpolate(alerts.dataset.escalatedText, { id: ev.data.id, agency: ev.data.agency }, true);
      }
      p.appendChild(document.createTextNode(text));
      const incident = ev.type === "dispatch.escalated" ? ev.data.incident && ev.data.incident.id : null;
      if (incident) {
        const a = document.createElement("a");
        a.href = "/incidents/" + incident + "/";
        a.textContent = " " + gettext("Kejadian") + " #" + incident;
        p.appendChild(a);
      }
      alerts.appendChild(p);
    });
  }
  const element = document.getElementById("wall-map");
  if (!element || !window.CityMap || !window.L) return;
  const city = window.CityMap(element, { zoom: 12 });
  window.WallMap = city;  // static/js/disaster.js draws the epicentre on it (told when the map is there)
  document.dispatchEvent(new CustomEvent("wallmap:ready"));
  const markers = L.layerGroup().addTo(city.map);
  const COLOURS = { 1: "#c0392b", 2: "#e67e22", 3: "#2c7fb8" };
  let timer = null;

  function popup(incident) {
    const root = document.createElement("div");
    const link = document.createElement("a");
    link.href = incident.url;
    link.textContent = gettext("Kejadian") + " #" + incident.id + " " + incident.label + " (P" + incident.priority + ")";
    root.appendChild(link);
    const where = document.createElement("div");
    where.textContent = [incident.kelurahan, incident.address].filter(Boolean).join(" · ");
    root.appendChild(where);
    incident.agencies.forEach(function (d) {
      const line = document.createElement("div");
      line.textContent = d.agency + ": " + (d.status_label || d.status);
      root.appendChild(line);
    });
    if (incident.priority === 1 && incident.status === "open" && !incident.agencies.length) {
      const late = document.createElement("strong");
      late.className = "p1-undispatched";
      late.textContent = gettext("P1 belum dikirim");
      root.appendChild(late);
    }
    if (incident.escalated) {
      const warn = document.createElement("strong");
      warn.textContent = "⚠ " + gettext("eskalasi");
      root.appendChild(warn);
    }
    return root;
  }

  function load() {
    return fetch(element.dataset.incidents, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        markers.clearLayers();
        body.incidents.forEach(function (incident) {
          const marker = L.circleMarker([incident.lat, incident.lon], {
            radius: incident.escalated ? 12 : 9,
            color: incident.escalated ? "#000" : COLOURS[incident.priority] || "#555",
            weight: incident.escalated ? 4 : 2,
            fillColor: COLOURS[incident.priority] || "#555",
            fillOpacity: 0.8,
          });
          marker.bindTooltip(window.CityMap.text("#" + incident.id + " " + incident.label + (incident.escalated ? " ⚠" : "")));
          marker.bindPopup(popup(incident));
          marker.addTo(markers);
        });
        element.dataset.markers = String(body.incidents.length);
      })
      .catch(function () { /* the next change reloads */ });
  }

  function reload() {
    window.clearTimeout(timer);
    timer = window.setTimeout(load, 200);
  }
  document.addEventListener("live:event", function (e) {
    if (e.detail.type.indexOf("incident.") === 0 || e.detail.type.indexOf("dispatch.") === 0) reload();
  });
  document.addEventListener("live:resynced", reload);
  load();
})();
