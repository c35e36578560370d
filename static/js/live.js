// The live socket for every screen: reconnect with backoff and jitter, a visible
// "live updates paused" banner while disconnected, and resync by sequence number.
// Pages listen for `live:event` on document; `detail` is {seq, type, data}.
//
// Never missing an event: floor screens see every seq, so a gap means a lost
// broadcast and triggers a resync; agency screens see only their own agency's
// events (gaps are normal), so they rely on the heartbeat: every PING_MS the
// server answers with the newest seq this user may see, and a page behind it
// resyncs. A reconnect always resyncs from the last seq delivered.
(function () {
  "use strict";
  const PING_MS = 20000;
  const banner = document.getElementById("live-banner");
  let lastSeq = null;
  let socket = null;
  let attempt = 0;
  let resyncing = false;
  let scoped = false;
  let held = false;
  let pingTimer = null;
  let reconnectTimer = null;
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
    if (resyncing) return;
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
    pending.sort(function (a, b) { return a.seq - b.seq; }).splice(0).forEach(deliver);
    document.dispatchEvent(new CustomEvent("live:resynced", { detail: { seq: lastSeq } }));
  }

  function failResync() {
    if (socket) socket.close();
  }

  function scheduleReconnect() {
    setPaused(true);
    if (held) return;
    const base = Math.min(30000, 500 * Math.pow(2, attempt));
    const delay = base / 2 + Math.random() * (base / 2);
    attempt += 1;
    window.clearTimeout(reconnectTimer);
    reconnectTimer = window.setTimeout(connect, delay);
  }

  function onMessage(message) {
    const event = JSON.parse(message.data);
    if (event.type === "hello") {
      attempt = 0;
      scoped = event.role === "agency";
      setPaused(false);
      if (lastSeq === null) {
        lastSeq = event.seq;
        document.dispatchEvent(new CustomEvent("live:ready", { detail: event }));
      } else {
        resync().catch(failResync);
      }
      return;
    }
    if (event.type === "pong") {
      if (lastSeq !== null && event.seq > lastSeq) resync().catch(failResync);
      return;
    }
    if (resyncing) { pending.push(event); return; }
    if (!scoped && lastSeq !== null && event.seq > lastSeq + 1) {
      pending.push(event);
      resync().catch(failResync);
      return;
    }
    deliver(event);
  }

  function connect() {
    if (held) return;
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + window.location.host + "/ws/live/");
    socket = ws;
    ws.addEventListener("message", onMessage);
    ws.addEventListener("close", function (event) {
      if (ws !== socket) return;
      window.clearInterval(pingTimer);
      if (event.code === 4401 || event.code === 4403) {
        window.location.href = "/login/?next=" + encodeURIComponent(window.location.pathname);
        return;
      }
      scheduleReconnect();
    });
    window.clearInterval(pingTimer);
    pingTimer = window.setInterval(function () {
      if (ws.readyState === WebSocket.OPEN) ws.send("ping");
    }, PING_MS);
  }

  window.Live = {
    get lastSeq() { return lastSeq; },
    get socket() { return socket; },
    get connected() { return !!socket && socket.readyState === WebSocket.OPEN; },
    // Tests: drop the socket; with {hold: true} stay disconnected until resumeForTest().
    disconnectForTest: function (options) {
      held = !!(options && options.hold);
      if (socket) socket.close();
    },
    resumeForTest: function () {
      held = false;
      attempt = 0;
      window.clearTimeout(reconnectTimer);
      connect();
    },
    ping: function () { if (socket && socket.readyState === WebSocket.OPEN) socket.send("ping"); },
  };
  if (document.body.dataset.live === "on") connect();
})();
