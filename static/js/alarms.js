// Alarms on every live screen: one sound per kind, repeating while its condition lasts, with a
// visual twin (a red badge with a count in the top bar, and the rows concerned flashing).
//
// Kinds: a ringing call, an escalated dispatch not yet accepted, a P1 incident not dispatched
// after P1_UNDISPATCHED_ALARM_SECONDS, an overdue call-back (floor); a dispatch not yet accepted
// (agency console). The state comes from GET /api/v1/alarms/, read again on every live change;
// the timed kinds run on this page's clock (set from the server's), so they start on time
// between sweeps. Nothing here depends on the page's own script: rows are found by the data
// attributes the pages already carry (data-call-id, data-dispatch-id, data-incident-id,
// data-callback-id).
//
// Sound: browsers keep an AudioContext suspended until a click or key. "Aktifkan suara" unlocks
// it, asks for desktop notifications, and is remembered per browser (localStorage); later loads
// unlock on the first click or key anywhere. Mute is remembered per screen.
(function () {
  "use strict";
  const bar = document.getElementById("alarm-bar");
  if (!bar || document.body.dataset.live !== "on") return;

  const ENABLED_KEY = "d112.alarms.sound";
  const screenPath = window.location.pathname.replace(/\/\d+(?=\/|$)/g, "/*");
  const MUTE_KEY = "d112.alarms.mute:" + screenPath;
  const REFRESH_MS = 30000;
  const P1_AFTER_DEFAULT = parseInt(bar.dataset.p1AfterSeconds, 10) || 60;

  // Priority order: the first kind due sounds first when several are due at once.
  const KINDS = {
    ringing: {
      label: gettext("Berdering"), every: 3000,
      rows: function (item) { return "#ringing-list [data-call-id=\"" + item.id + "\"], tr[data-call-id=\"" + item.id + "\"]"; },
      notice: function (n) { return interpolate(ngettext("%(n)s panggilan berdering", "%(n)s panggilan berdering", n), { n: n }, true); },
    },
    new_dispatch: {
      label: gettext("Pengiriman baru"), every: 3000,
      rows: function (item) { return "article[data-dispatch-id=\"" + item.id + "\"]"; },
      notice: function (n) { return interpolate(ngettext("%(n)s pengiriman belum diterima", "%(n)s pengiriman belum diterima", n), { n: n }, true); },
    },
    p1_undispatched: {
      label: gettext("P1 belum dikirim"), every: 4000,
      rows: function (item) { return "tr[data-incident-id=\"" + item.id + "\"], #incident[data-incident-id=\"" + item.id + "\"] #incident-status"; },
      notice: function (n) { return interpolate(ngettext("%(n)s kejadian P1 belum dikirim", "%(n)s kejadian P1 belum dikirim", n), { n: n }, true); },
    },
    escalated: {
      label: gettext("Eskalasi"), every: 5000,
      rows: function (item) { return "tr[data-dispatch-id=\"" + item.id + "\"], .badge[data-dispatch-id=\"" + item.id + "\"]"; },
      notice: function (n) { return interpolate(ngettext("%(n)s eskalasi belum diterima instansi", "%(n)s eskalasi belum diterima instansi", n), { n: n }, true); },
    },
    callback_overdue: {
      label: gettext("Panggilan balik terlambat"), every: 6000,
      rows: function (item) { return "[data-callback-id=\"" + item.id + "\"]"; },
      notice: function (n) { return interpolate(ngettext("%(n)s panggilan balik terlambat", "%(n)s panggilan balik terlambat", n), { n: n }, true); },
    },
  };
  const ORDER = Object.keys(KINDS);

  let state = null;          // the last answer of /api/v1/alarms/
  let clockOffset = 0;       // server time minus this browser's time, in ms
  let audio = null;
  let muted = localStorage.getItem(MUTE_KEY) === "1";
  const nextPlay = {};       // kind -> when (Date.now()) it sounds again
  const lastCounts = {};
  const played = {};         // kind -> tones started (a test hook)
  let oscillatorStarts = 0;  // every oscillator started (a test hook)
  let fetching = false;
  let again = false;
  // Rings and their ends applied from events while a read of the state is under way: that read may
  // have been answered before them, so they are applied again on top of its answer.
  let appliedDuringFetch = [];
  let refreshTimer = null;

  // --- the top bar -------------------------------------------------------------------------
  const badges = {};
  const badgeBox = document.createElement("span");
  badgeBox.className = "alarm-badges";
  ORDER.forEach(function (kind) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "alarm-badge";
    b.dataset.kind = kind;
    b.hidden = true;
    b.addEventListener("click", function () { showFirstRow(kind); });
    badges[kind] = b;
    badgeBox.append(b);
  });
  const enableButton = document.createElement("button");
  enableButton.type = "button";
  enableButton.className = "alarm-enable";
  enableButton.textContent = gettext("Aktifkan suara");
  enableButton.title = gettext("Peramban memblokir suara sampai Anda mengklik: klik untuk mendengar alarm.");
  const hint = document.createElement("span");
  hint.className = "alarm-hint";
  hint.textContent = gettext("Klik di mana saja untuk menyalakan suara");
  hint.hidden = true;
  const muteButton = document.createElement("button");
  muteButton.type = "button";
  muteButton.className = "alarm-mute";
  const live = document.createElement("span");
  live.className = "visually-hidden";
  live.setAttribute("role", "status");
  bar.replaceChildren(badgeBox, enableButton, hint, muteButton, live);

  function enabled() { return localStorage.getItem(ENABLED_KEY) === "on"; }

  // The bar is drawn every second: each write is made only when it changes something, so an idle
  // screen does no layout work (twenty desks share a machine's cores with the frame of a new call).
  function setText(el, text) { if (el.textContent !== text) el.textContent = text; }
  function setHidden(el, hidden) { if (el.hidden !== hidden) el.hidden = hidden; }
  function setAttr(el, name, value) { if (el.getAttribute(name) !== value) el.setAttribute(name, value); }

  function drawSoundControls() {
    setHidden(enableButton, enabled());
    setHidden(hint, !(enabled() && audio && audio.state !== "running" && !muted));
    setText(muteButton, muted ? gettext("Suara mati") : gettext("Suara aktif"));
    setAttr(muteButton, "aria-pressed", muted ? "true" : "false");
    setAttr(muteButton, "title", muted ? gettext("Alarm layar ini dibisukan: klik untuk menyalakan suara")
      : gettext("Klik untuk membisukan alarm di layar ini"));
    muteButton.classList.toggle("off", muted);
    setAttr(bar, "data-sound", muted ? "muted" : (audio && audio.state === "running" ? "on" : "blocked"));
  }

  // --- sound ---------------------------------------------------------------------------------
  function context() {
    if (audio) return audio;
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    audio = new Ctx();
    audio.addEventListener("statechange", drawSoundControls);
    return audio;
  }

  function unlock() {
    const ctx = context();
    if (ctx && ctx.state !== "running") ctx.resume().then(drawSoundControls, drawSoundControls);
  }

  // One tone: an oscillator of `type` through `freqs` (Hz, one per step of `step` seconds), from `at`.
  function tone(ctx, at, type, freqs, step, volume) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = type;
    freqs.forEach(function (f, i) { osc.frequency.setValueAtTime(f, at + i * step); });
    const end = at + freqs.length * step;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(volume, at + 0.02);
    gain.gain.setValueAtTime(volume, end - 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, end);
    osc.connect(gain).connect(ctx.destination);
    osc.start(at);
    osc.stop(end + 0.01);
    oscillatorStarts += 1;
  }

  // A distinct pattern per kind.
  const PATTERNS = {
    // a telephone's double ring: two warbling bursts
    ringing: function (ctx, t) {
      tone(ctx, t, "triangle", [880, 660, 880, 660, 880, 660, 880, 660], 0.05, 0.25);
      tone(ctx, t + 0.6, "triangle", [880, 660, 880, 660, 880, 660, 880, 660], 0.05, 0.25);
    },
    // three rising beeps: something for this agency
    new_dispatch: function (ctx, t) {
      [700, 900, 1100].forEach(function (f, i) { tone(ctx, t + i * 0.22, "square", [f], 0.16, 0.15); });
    },
    // three short high beeps, twice: a P1 left waiting
    p1_undispatched: function (ctx, t) {
      [0, 0.15, 0.3, 0.7, 0.85, 1.0].forEach(function (d) { tone(ctx, t + d, "square", [1250], 0.09, 0.15); });
    },
    // a falling siren: an agency has not answered
    escalated: function (ctx, t) {
      tone(ctx, t, "sawtooth", [1000, 900, 800, 700, 600], 0.12, 0.12);
      tone(ctx, t + 0.8, "sawtooth", [1000, 900, 800, 700, 600], 0.12, 0.12);
    },
    // a soft two-note chime: a call-back is late
    callback_overdue: function (ctx, t) {
      tone(ctx, t, "sine", [660], 0.35, 0.3);
      tone(ctx, t + 0.4, "sine", [880], 0.5, 0.3);
    },
  };

  function sound(kind) {
    if (muted) return false;
    const ctx = context();
    if (!ctx || ctx.state !== "running") return false;
    PATTERNS[kind](ctx, ctx.currentTime + 0.02);
    played[kind] = (played[kind] || 0) + 1;
    return true;
  }

  // --- what is sounding ----------------------------------------------------------------------
  function serverNow() { return Date.now() + clockOffset; }

  function itemsByKind() {
    const out = {};
    ORDER.forEach(function (k) { out[k] = []; });
    if (!state) return out;
    const now = serverNow();
    const p1After = (state.p1_after_seconds || P1_AFTER_DEFAULT) * 1000;
    out.ringing = state.ringing || [];
    out.escalated = state.escalated || [];
    out.new_dispatch = state.new_dispatches || [];
    out.p1_undispatched = (state.p1_undispatched || []).filter(function (i) { return now - Date.parse(i.created_at) >= p1After; });
    out.callback_overdue = (state.callbacks || []).filter(function (c) { return Date.parse(c.deadline) <= now; });
    return out;
  }

  function markRows(items) {
    const wanted = new Map();
    ORDER.forEach(function (kind) {
      items[kind].forEach(function (item) {
        document.querySelectorAll(KINDS[kind].rows(item)).forEach(function (el) { if (!wanted.has(el)) wanted.set(el, kind); });
      });
    });
    document.querySelectorAll("[data-alarm]").forEach(function (el) {
      if (!wanted.has(el)) { el.classList.remove("alarm-row"); delete el.dataset.alarm; }
    });
    wanted.forEach(function (kind, el) {
      if (!el.classList.contains("alarm-row")) el.classList.add("alarm-row");
      setAttr(el, "data-alarm", kind);
    });
  }

  function showFirstRow(kind) {
    const row = document.querySelector("[data-alarm=\"" + kind + "\"]");
    if (row) row.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  function notify(kind, count) {
    if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") return;
    try {
      new Notification("112 Kota Bengkulu", { body: KINDS[kind].notice(count), tag: "d112-" + kind, renotify: true });
    } catch (e) { /* some browsers only notify from a service worker */ }
  }

  function tick() {
    const items = itemsByKind();
    const now = Date.now();
    const said = [];
    let soundedThisTick = false;
    ORDER.forEach(function (kind) {
      const n = items[kind].length;
      const badge = badges[kind];
      setHidden(badge, n === 0);
      setText(badge, KINDS[kind].label + " " + n);
      setAttr(badge, "data-count", String(n));
      if (n > (lastCounts[kind] || 0)) {
        said.push(KINDS[kind].notice(n));
        notify(kind, n);
      }
      lastCounts[kind] = n;
      if (n === 0) { delete nextPlay[kind]; return; }
      if (nextPlay[kind] === undefined) nextPlay[kind] = now;
      if (!soundedThisTick && now >= nextPlay[kind]) {
        // Several kinds due at once: one a tick, so each stays recognisable.
        soundedThisTick = sound(kind) || muted;
        nextPlay[kind] = now + KINDS[kind].every;
      }
    });
    if (said.length) live.textContent = said.join(". ");
    markRows(items);
    drawSoundControls();
  }

  // --- reading the state ---------------------------------------------------------------------
  function load() {
    if (fetching) { again = true; return; }
    fetching = true;
    const sent = Date.now();
    fetch("/api/v1/alarms/", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (body) {
        const received = Date.now();
        clockOffset = Date.parse(body.server_time) - (sent + received) / 2;
        state = body;
        appliedDuringFetch.forEach(changeRinging);
        tick();
      })
      .catch(function () { /* the next live change or the periodic read tries again */ })
      .finally(function () {
        fetching = false;
        appliedDuringFetch = [];
        if (again) { again = false; refresh(); }
      });
  }

  function refresh() {
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(load, 100);
  }

  // A ring starting or ending changes only the ringing list: applied from the event itself, so the
  // sound starts without a round trip and twenty desks do not all read the whole state again on
  // every ring. Other call changes that can raise an alarm (a ghost call owes a call-back, a
  // call-back recorded) and incident, dispatch and alert events read the state from the server.
  function changeRinging(data) {
    const known = state.ringing.some(function (i) { return i.id === data.id; });
    if (data.status === "ringing" && !known) {
      state.ringing = state.ringing.concat([{ id: data.id, received_at: data.received_at }]);
      return true;
    }
    if (data.status !== "ringing" && known) {
      state.ringing = state.ringing.filter(function (i) { return i.id !== data.id; });
      return true;
    }
    return false;
  }

  function applyRinging(data) {
    if (!state || !state.ringing || !data || !data.id) return false;
    if (fetching) appliedDuringFetch.push(data);
    if (changeRinging(data)) tick();
    return true;
  }

  document.addEventListener("live:event", function (e) {
    const type = e.detail && e.detail.type || "";
    const data = e.detail && e.detail.data || {};
    if (/^call\./.test(type)) {
      if (!applyRinging(data) || data.call_type === "ghost" || data.callback) refresh();
    } else if (/^(incident|dispatch)\./.test(type) || type === "alert") {
      refresh();
    }
  });
  document.addEventListener("live:ready", refresh);
  document.addEventListener("live:resynced", refresh);
  // Boards draw their rows again from the server: mark the new rows at once.
  document.addEventListener("board:rendered", function () { markRows(itemsByKind()); });

  // --- the controls --------------------------------------------------------------------------
  enableButton.addEventListener("click", function () {
    localStorage.setItem(ENABLED_KEY, "on");
    unlock();
    if ("Notification" in window && Notification.permission === "default") {
      try { Notification.requestPermission(); } catch (e) { /* older browsers: callback form only */ }
    }
    drawSoundControls();
    muteButton.focus({ preventScroll: true });
  });
  muteButton.addEventListener("click", function () {
    muted = !muted;
    if (muted) localStorage.setItem(MUTE_KEY, "1"); else localStorage.removeItem(MUTE_KEY);
    if (!muted) unlock();
    drawSoundControls();
  });
  // Once sound was enabled in this browser, the first click or key anywhere unlocks it again.
  function firstGesture() {
    if (enabled()) unlock();
    if (audio && audio.state === "running") {
      document.removeEventListener("pointerdown", firstGesture, true);
      document.removeEventListener("keydown", firstGesture, true);
    }
  }
  document.addEventListener("pointerdown", firstGesture, true);
  document.addEventListener("keydown", firstGesture, true);

  context();
  drawSoundControls();
  window.setInterval(tick, 1000);
  // The marked rows flash twice a second (static/css/alarms.css), only while some row is marked.
  let flashing = false;
  window.setInterval(function () {
    const on = !flashing && !!document.querySelector("[data-alarm]");
    if (on !== flashing) { flashing = on; document.documentElement.classList.toggle("alarm-flash", on); }
  }, 500);
  window.setInterval(load, REFRESH_MS);
  load();

  window.Alarms = {
    // The kinds sounding now (their condition holds), in priority order.
    active: function () {
      const items = itemsByKind();
      return ORDER.filter(function (k) { return items[k].length > 0; });
    },
    counts: function () {
      const items = itemsByKind();
      const out = {};
      ORDER.forEach(function (k) { out[k] = items[k].length; });
      return out;
    },
    get muted() { return muted; },
    get enabled() { return enabled(); },
    audioState: function () { return audio ? audio.state : "none"; },
    played: function () { return Object.assign({}, played); },
    get oscillatorStarts() { return oscillatorStarts; },
    refresh: load,
  };
})();
