// The live socket for every screen: reconnect with backoff and jitter, a visible
// "live updates paused" banner while disconnected, and resync by sequence number.
// Pages listen for `live:event` on document; `detail` is {seq, type, data}.
(function () {
  "use strict";
  const banner = document.getElementById("live-banner");
  let lastSeq = null;
  let socket = null;
  let attempt = 0;
  let resyncing = false;
  const pending = [];

  function setPaused(paused) {
    if (!banner) return;
    banner.hidden = !paused;
    document.body.classList.toggle("live-paused", paused);
  }

  function deliver(event) {
    if (lastSeq !== null && event.seq <= lastSeq) return;
    lastSeq = event.seq;
    document.dispatchEvent(new CustomEvent("live:event", { detail: event }));
  }

  async function resync() {
    resyncing = true;
    try {
      for (;;) {
        const response = await fetch("/api/v1/events/?after=" + (lastSeq || 0), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (!response.ok) throw new Error("resync failed: " + response.status);
        const events = await response.json();
        events.forEach(deliver);
        if (events.length < 500) break;
      }
    } finally {
      resyncing = false;
    }
    pending.sort((a, b) => a.seq - b.seq).splice(0).forEach(deliver);
  }

  function scheduleReconnect() {
    setPaused(true);
    const base = Math.min(30000, 500 * Math.pow(2, attempt));
    const delay = base / 2 + Math.random() * (base / 2);
    attempt += 1;
    window.setTimeout(connect, delay);
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/live/");
    socket.addEventListener("message", function (message) {
      const event = JSON.parse(message.data);
      if (event.type === "hello") {
        attempt = 0;
        setPaused(false);
        if (lastSeq === null) {
          lastSeq = event.seq;
          document.dispatchEvent(new CustomEvent("live:ready", { detail: event }));
        } else {
          resync().catch(function () { socket.close(); });
        }
        return;
      }
      if (event.type === "pong") return;
      if (resyncing) { pending.push(event); return; }
      if (lastSeq !== null && event.seq > lastSeq + 1) {
        pending.push(event);
        resync().catch(function () { socket.close(); });
        return;
      }
      deliver(event);
    });
    socket.addEventListener("close", function (event) {
      if (event.code === 4401 || event.code === 4403) {
        window.location.href = "/login/?next=" + encodeURIComponent(window.location.pathname);
        return;
      }
      scheduleReconnect();
    });
  }

  window.Live = {
    get lastSeq() { return lastSeq; },
    get socket() { return socket; },
    disconnectForTest: function () { if (socket) socket.close(); },
  };
  if (document.body.dataset.live === "on") connect();
})();
