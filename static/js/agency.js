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
      if (root.dataset.tiles) {
        el.dataset.tiles = root.dataset.tiles;
        el.dataset.tilesAttribution = root.dataset.tilesAttribution || "";
      }
      const city = window.CityMap(el, { zoom: 15 });
      L.marker(point).addTo(city.map);
      city.ready.then(function () { city.map.setView(point, 16); }).catch(function () { city.map.setView(point, 16); });
      maps.push(city.map);
    });
  }
  // Drawn again on every event (a burst is one fetch): a note being typed in a card (a reason to
  // decline) stays.
  const cards = App.partialRefresher(root.dataset.url, function (html) {
    App.redrawKeepingTyped(root, html, "[data-note-for]", "noteFor");
    drawMaps();
    const count = document.getElementById("agency-count");
    if (count) count.textContent = String(root.querySelectorAll("article[data-dispatch-id]").length);
  });
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
    cards.now();
  });
  document.addEventListener("live:event", function (e) {
    if (e.detail.type === "dispatch.created" || e.detail.type === "dispatch.escalated") beep();
    cards.request();
  });
  drawMaps();

  // Web Push: the phone is woken for a new or escalated dispatch even with its screen off, where the
  // browser supports it. The button shows only then, and until this browser has subscribed.
  const pushButton = document.getElementById("push-enable");
  const pushStatus = document.getElementById("push-status");
  function keyBytes(base64url) {
    const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), function (c) { return c.charCodeAt(0); });
  }
  function sendSubscription(subscription) {
    const json = subscription.toJSON();
    return App.api("POST", "/api/v1/push/subscriptions/", { endpoint: json.endpoint, keys: json.keys });
  }
  if (pushButton && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function (registration) {
      return registration.pushManager.getSubscription().then(function (existing) {
        if (existing && Notification.permission === "granted") return sendSubscription(existing);  // keeps the server's copy current
        pushButton.hidden = false;
        pushButton.addEventListener("click", async function () {
          pushButton.disabled = true;
          try {
            if ((await Notification.requestPermission()) !== "granted") throw new Error(gettext("Izin notifikasi ditolak di browser ini."));
            const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(pushButton.dataset.key) });
            await sendSubscription(subscription);
            pushButton.hidden = true;
            pushStatus.textContent = gettext("Notifikasi aktif di perangkat ini.");
          } catch (err) {
            pushButton.disabled = false;
            pushStatus.textContent = err.message;
          }
        });
      });
    }).catch(function () { /* no service worker here (plain http on another host): the console still sounds */ });
  }
})();
