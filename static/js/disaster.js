// Disaster mode on every screen: the banner (state rendered by the server on load, then live from
// `disaster.*` events), the desk's surge intake (script, Alt+6 "asks about the quake", quick tags),
// the epicentre with distance rings on the wall map, and the disaster board's refresh.
(function () {
  "use strict";
  const banner = document.getElementById("disaster-banner");
  if (!banner) return;
  const stateEl = document.getElementById("disaster-state");
  let state = stateEl ? JSON.parse(stateEl.textContent) : { active: false };
  const RINGS_KM = [50, 100, 150];

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function tsunamiText(a) {
    if (a.tsunami_level) return banner.dataset.tsunami + " " + a.tsunami_level.toUpperCase();
    return a.tsunami || banner.dataset.noWarning;
  }

  function renderBanner() {
    const alarm = document.getElementById("disaster-alarm");
    banner.className = "disaster-banner" + (state.kind ? " kind-" + state.kind : "");
    alarm.replaceChildren();
    if (!state.active || !state.alert) { banner.hidden = true; return; }
    const a = state.alert;
    alarm.appendChild(el("strong", "", banner.dataset.mode));
    if (state.kind === "tsunami") alarm.appendChild(el("span", "tsunami", banner.dataset.tsunami + (a.tsunami_level ? " " + a.tsunami_level.toUpperCase() : "")));
    if (a.magnitude !== null) alarm.appendChild(el("span", "mag", banner.dataset.quake + " M" + Number(a.magnitude).toFixed(1)));
    if (a.distance_km !== null) alarm.appendChild(el("span", "dist", Math.round(a.distance_km) + " " + banner.dataset.fromCity));
    alarm.appendChild(el("span", "time", a.sent_wib));
    if (a.mmi_bengkulu) alarm.appendChild(el("span", "felt", banner.dataset.felt + " " + a.mmi_bengkulu));
    alarm.appendChild(el("span", "tsunami-status", tsunamiText(a)));
    banner.hidden = false;
  }

  // The desk ----------------------------------------------------------------------------------
  const desk = document.getElementById("disaster-desk");
  const notes = document.getElementById("notes");

  function addTag(code) {
    if (!notes || notes.disabled) return false;
    const tag = "#" + code;
    if (notes.value.indexOf(tag) === -1) {
      notes.value = (notes.value.replace(/\s+$/, "") + (notes.value.trim() ? " " : "") + tag).slice(0, Number(notes.maxLength) > 0 ? notes.maxLength : 4000);
      notes.dispatchEvent(new Event("input", { bubbles: true }));
    }
    return true;
  }

  function askedAboutQuake() {
    if (!state.active || !addTag("tanya_gempa")) return;
    const info = document.querySelector("button[data-call-type='information']");
    if (info && !info.disabled) info.click();
  }

  function syncDeskButtons() {
    if (!desk) return;
    const open = !!notes && !notes.disabled;
    desk.querySelectorAll("button[data-tag]").forEach(function (b) {
      b.disabled = !open;
      b.setAttribute("aria-pressed", String(open && notes.value.indexOf("#" + b.dataset.tag) !== -1));
    });
  }

  function renderDesk() {
    if (!desk) return;
    desk.hidden = !state.active;
    desk.classList.toggle("kind-tsunami", state.kind === "tsunami");
    document.getElementById("disaster-script").textContent = state.script || "";
    syncDeskButtons();
  }

  if (desk) {
    desk.querySelectorAll("button[data-tag]").forEach(function (b) {
      b.addEventListener("click", function () {
        if (b.id === "disaster-info") askedAboutQuake(); else addTag(b.dataset.tag);
        syncDeskButtons();
      });
    });
    document.addEventListener("keydown", function (e) {
      if (e.altKey && e.key === "6" && state.active) { e.preventDefault(); askedAboutQuake(); }
    });
    if (notes) {
      notes.addEventListener("input", syncDeskButtons);
      // The desk enables and clears the notes as calls start and end.
      new MutationObserver(syncDeskButtons).observe(notes, { attributes: true, attributeFilter: ["disabled"] });
    }
  }

  // The wall map: the epicentre and rings around it, the view widened to show it with the city ----
  let epicentre = null;
  let widened = false;
  function ringLabel(text) {
    const span = el("span", "", text);
    return L.divIcon({ className: "ring-label", html: span, iconSize: null });
  }
  function renderMap() {
    const wall = window.WallMap;
    if (!wall || !window.L) return;
    if (epicentre) { epicentre.remove(); epicentre = null; }
    const container = wall.map.getContainer();
    const a = state.alert;
    if (!state.active || !a || a.lat === null || a.lon === null) {
      delete container.dataset.epicentre;
      if (widened) {  // back to the city alone
        widened = false;
        wall.ready.then(function (layer) { if (!epicentre) wall.map.fitBounds(layer.getBounds()); }).catch(function () {});
      }
      return;
    }
    epicentre = L.layerGroup().addTo(wall.map);
    L.circleMarker([a.lat, a.lon], { radius: 10, color: "#7a0b0b", weight: 3, fillColor: "#c0392b", fillOpacity: 0.9, className: "epicentre" })
      .bindTooltip(CityMap.text("M" + Number(a.magnitude).toFixed(1) + " · " + a.sent_wib), { permanent: true, direction: "right", className: "epicentre-label" })
      .addTo(epicentre);
    RINGS_KM.forEach(function (km) {
      L.circle([a.lat, a.lon], { radius: km * 1000, color: "#c0392b", weight: 2, fill: false, dashArray: "6 6", className: "epicentre-ring" })
        .addTo(epicentre);
      // The ring's distance written on it, due north of the epicentre (1 degree of latitude ~ 111.32 km).
      L.marker([a.lat + km / 111.32, a.lon], { icon: ringLabel(km + " km"), interactive: false, keyboard: false }).addTo(epicentre);
    });
    container.dataset.epicentre = a.lat + "," + a.lon;
    // Once the city's outline is drawn: the view holds the city and the epicentre together.
    wall.ready.then(function (layer) {
      if (!epicentre) return;
      widened = true;
      wall.map.fitBounds(layer.getBounds().extend([a.lat, a.lon]), { padding: [30, 30] });
    }).catch(function () {});
  }

  // The disaster board ---------------------------------------------------------------------------
  const board = document.getElementById("disaster-board");
  const boardView = board ? App.partialRefresher(board.dataset.url, function (html) { board.innerHTML = html; }, { delay: 300 }) : null;
  function refreshBoard() {
    if (boardView) boardView.request();
  }

  function render() {
    renderBanner();
    renderDesk();
    renderMap();
  }

  document.addEventListener("live:event", function (event) {
    const e = event.detail;
    if (e.type.indexOf("disaster.") === 0) {
      state = e.data;
      render();
      refreshBoard();
    } else if (board && e.type.indexOf("call.") === 0) {
      refreshBoard();
    }
  });
  // After a reconnect the page may have missed the end of disaster mode: ask once more.
  document.addEventListener("live:resynced", function () {
    fetch("/api/v1/disaster/", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { state = data; render(); } })
      .catch(function () {});
  });
  document.addEventListener("wallmap:ready", renderMap);
  window.Disaster = { get state() { return state; } };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render); else render();
})();
