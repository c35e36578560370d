// Agency console: new dispatches appear at once with a sound; one click acknowledges;
// progress is reported with an optional note; declining needs a reason.
(function () {
  "use strict";
  const root = document.getElementById("agency");
  let audio = null;
  let maps = [];
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = 880; o.connect(g); g.connect(audio.destination);
      g.gain.setValueAtTime(0.2, audio.currentTime);
      o.start(); o.stop(audio.currentTime + 0.6);
    } catch (e) { /* the browser may refuse sound until the page is clicked */ }
  }
  function drawMaps() {
    maps.forEach(function (m) { m.remove(); });
    maps = [];
    if (!window.L || !window.CityMap) return;
    root.querySelectorAll(".map[data-lat]").forEach(function (el) {
      const point = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
      el.dataset.geojson = root.dataset.geojson;
      const city = window.CityMap(el, { zoom: 15 });
      L.marker(point).addTo(city.map);
      city.ready.then(function () { city.map.setView(point, 16); }).catch(function () { city.map.setView(point, 16); });
      maps.push(city.map);
    });
  }
  function refresh() {
    return fetch(root.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      // Drawn again on every event: a note being typed in a card (a reason to decline) stays.
      App.redrawKeepingTyped(root, html, "[data-note-for]", "noteFor");
      drawMaps();
      App.tickTimers();
      const count = document.getElementById("agency-count");
      if (count) count.textContent = String(root.querySelectorAll("article[data-dispatch-id]").length);
    });
  }
  root.addEventListener("click", async function (e) {
    const button = e.target.closest("[data-action]");
    if (!button) return;
    const id = button.dataset.id, action = button.dataset.action;
    const noteInput = root.querySelector('[data-note-for="' + id + '"]');
    const error = root.querySelector('[data-error-for="' + id + '"]');
    const note = noteInput ? noteInput.value : "";
    if (action === "declined" && !note.trim()) {
      if (error) error.textContent = gettext("Tulis alasan menolak di kolom catatan.");
      if (noteInput) noteInput.focus();
      return;
    }
    button.disabled = true;
    // Acknowledging, or reporting the status a dispatch already has, changes nothing the second
    // time: a request the server did not take is sent again until it is (see App.untilTaken).
    const send = action === "acknowledge"
      ? function () { return App.api("POST", "/api/v1/dispatches/" + id + "/acknowledge/"); }
      : function () { return App.api("POST", "/api/v1/dispatches/" + id + "/status/", { status: action, note: note }); };
    try {
      await App.untilTaken(send, App.retryNotice(error));
    } catch (err) {
      button.disabled = false;
      if (error) error.textContent = err.message;
      return;
    }
    if (action !== "acknowledge") {
      // The note went with the status: the box is emptied, also in a card an event drew meanwhile.
      root.querySelectorAll('[data-note-for="' + id + '"]').forEach(function (input) { input.value = ""; });
    }
    refresh();
  });
  document.addEventListener("live:event", function (e) {
    if (e.detail.type === "dispatch.created" || e.detail.type === "dispatch.escalated") beep();
    refresh();
  });
  drawMaps();
})();
