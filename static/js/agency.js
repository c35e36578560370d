// Agency console: new dispatches appear at once with a sound; one click acknowledges.
(function () {
  "use strict";
  const root = document.getElementById("agency");
  let audio = null;
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = 880; o.connect(g); g.connect(audio.destination);
      g.gain.setValueAtTime(0.2, audio.currentTime);
      o.start(); o.stop(audio.currentTime + 0.6);
    } catch (e) { /* the browser may refuse sound until the page is clicked */ }
  }
  function refresh() {
    return fetch(root.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      root.innerHTML = html;
      App.tickTimers();
    });
  }
  root.addEventListener("click", async function (e) {
    const button = e.target.closest("[data-action]");
    if (!button) return;
    button.disabled = true;
    const id = button.dataset.id, action = button.dataset.action;
    const noteInput = root.querySelector('[data-note-for="' + id + '"]');
    try {
      if (action === "acknowledge") await App.api("POST", "/api/v1/dispatches/" + id + "/acknowledge/");
      else await App.api("POST", "/api/v1/dispatches/" + id + "/status/", { status: action, note: noteInput ? noteInput.value : "" });
    } catch (err) { window.alert(err.message); }
    refresh();
  });
  document.addEventListener("live:event", function (e) {
    if (e.detail.type === "dispatch.created" || e.detail.type === "dispatch.escalated") beep();
    refresh();
  });
})();
