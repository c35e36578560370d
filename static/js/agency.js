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
  // The cards are drawn again on every event: what staff were typing in a card's note (a reason to
  // decline, a note for the operator) stays, and so does the cursor.
  function typedNotes() {
    const typed = {};
    root.querySelectorAll("[data-note-for]").forEach(function (input) {
      if (input.value) typed[input.dataset.noteFor] = input.value;
    });
    const active = document.activeElement;
    const focused = active && root.contains(active) && active.dataset.noteFor
      ? { id: active.dataset.noteFor, start: active.selectionStart, end: active.selectionEnd } : null;
    return { typed: typed, focused: focused };
  }
  function restoreNotes(saved) {
    root.querySelectorAll("[data-note-for]").forEach(function (input) {
      if (saved.typed[input.dataset.noteFor] !== undefined) input.value = saved.typed[input.dataset.noteFor];
      if (saved.focused && saved.focused.id === input.dataset.noteFor) {
        input.focus();
        input.setSelectionRange(saved.focused.start, saved.focused.end);
      }
    });
  }
  function refresh() {
    return fetch(root.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      const saved = typedNotes();
      root.innerHTML = html;
      restoreNotes(saved);
      drawMaps();
      App.tickTimers();
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
