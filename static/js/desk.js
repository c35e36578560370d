// The operator's call desk: a call is saved the moment it starts, notes autosave,
// suggestions come while typing, one key classifies.
(function () {
  "use strict";
  const $ = function (id) { return document.getElementById(id); };
  const state = { call: null, saveTimer: null, suggestTimer: null, marker: null };
  const fields = ["notes", "kelurahan", "address", "incident-type"];
  const statusEl = $("form-status");

  function say(text, isError) {
    statusEl.textContent = text;
    statusEl.classList.toggle("error", !!isError);
  }

  function kelurahanCode() {
    const value = $("kelurahan").value;
    const option = Array.from($("kelurahan-list").options).find(function (o) { return o.value === value; });
    return option ? option.dataset.code : "";
  }

  function renderHistory(caller, call) {
    const box = $("caller-history");
    box.hidden = false;
    box.replaceChildren();
    const head = document.createElement("p");
    if (!call.caller_number) {
      head.textContent = call.caller_number_raw ? "Nomor tidak valid, disimpan apa adanya: " + call.caller_number_raw : "Panggilan tanpa nomor (tanpa SIM).";
      box.appendChild(head);
      return;
    }
    head.innerHTML = "";
    const strong = document.createElement("strong");
    strong.textContent = call.caller_number;
    head.appendChild(strong);
    const c = caller.counts || {};
    const part = function (w) { const x = c[w] || {}; return (x.all || 0) + " panggilan (" + (x.prank || 0) + " prank, " + (x.ghost || 0) + " ghost, " + (x.emergency || 0) + " darurat)"; };
    head.appendChild(document.createTextNode(" · 24 jam: " + part("24h") + " · 7 hari: " + part("7d") + " · 30 hari: " + part("30d") + " · total " + caller.calls_total));
    box.appendChild(head);
    const risk = document.createElement("p");
    const pct = Math.round((caller.prank_risk || 0) * 100);
    risk.className = "risk " + (pct >= 60 ? "high" : pct >= 30 ? "mid" : "low");
    risk.textContent = "Risiko prank " + pct + "%" + (caller.risk_reasons && caller.risk_reasons.length ? ": " + caller.risk_reasons.join("; ") : "") + " (saran saja)";
    box.appendChild(risk);
    if (caller.blocked) {
      const b = document.createElement("p");
      b.className = "flag blocked";
      b.textContent = "Nomor sedang diblokir (" + caller.block.level + ") — panggilan tetap dicatat dan dilayani.";
      box.appendChild(b);
    }
    if (caller.recent && caller.recent.length) {
      const list = document.createElement("ul");
      caller.recent.forEach(function (r) {
        const li = document.createElement("li");
        li.textContent = new Date(r.received_at).toLocaleString("id-ID", { timeZone: "Asia/Jakarta" }) + " · " + (r.call_type || "—") + " · " + (r.notes || "");
        list.appendChild(li);
      });
      box.appendChild(list);
    }
  }

  function enable(on) {
    fields.forEach(function (id) { $(id).disabled = !on; });
    document.querySelectorAll("[data-call-type]").forEach(function (b) { b.disabled = !on; });
    $("start-call").disabled = on;
    $("caller-number").readOnly = on;
  }

  async function startCall() {
    if (state.call) return;
    const key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
    say("Menyimpan panggilan…");
    try {
      const call = await App.api("POST", "/api/v1/calls/", { caller_number: $("caller-number").value || null, notes: "" }, key);
      state.call = call;
      $("call-id").textContent = "#" + call.id;
      renderHistory(call.caller, call);
      enable(true);
      $("notes").focus();
      say("Panggilan #" + call.id + " tersimpan.");
    } catch (e) {
      say(e.message, true);
    }
  }

  function location() {
    const loc = { address: $("address").value, kelurahan_code: kelurahanCode() };
    if (state.marker) { const p = state.marker.getLatLng(); loc.lat = p.lat; loc.lon = p.lng; }
    return loc;
  }

  async function save() {
    if (!state.call) return;
    try {
      await App.api("PATCH", "/api/v1/calls/" + state.call.id + "/", { notes: $("notes").value, location: location() });
      say("Tersimpan.");
    } catch (e) { say(e.message, true); }
  }

  function scheduleSave() { window.clearTimeout(state.saveTimer); state.saveTimer = window.setTimeout(save, 600); }

  async function suggestNow() {
    const text = $("notes").value;
    const box = $("suggestion");
    if (!text.trim()) { box.hidden = true; return; }
    try {
      const s = await App.api("GET", "/desk/suggest/?text=" + encodeURIComponent(text));
      box.hidden = false;
      box.dataset.callType = s.call_type || "";
      box.dataset.incidentType = s.incident_type || "";
      box.textContent = "Saran: " + (s.call_type || "—") + (s.incident_type ? " · " + s.incident_type : "") +
        (s.agencies && s.agencies.length ? " → " + s.agencies.join(", ") : "") + " (" + Math.round(s.confidence * 100) + "%)";
      if (s.incident_type && !$("incident-type").dataset.touched) $("incident-type").value = s.incident_type;
    } catch (e) { box.hidden = true; }
  }

  async function classify(callType) {
    if (!state.call) return;
    const body = { call_type: callType, notes: $("notes").value };
    if (callType === "emergency") {
      body.incident_type = $("incident-type").value;
      if (!body.incident_type) { say("Pilih jenis kejadian untuk panggilan darurat.", true); $("incident-type").focus(); return; }
    }
    window.clearTimeout(state.saveTimer);
    try {
      await App.api("PATCH", "/api/v1/calls/" + state.call.id + "/", { notes: $("notes").value, location: location() });
      const call = await App.api("POST", "/api/v1/calls/" + state.call.id + "/classify/", body);
      say("Panggilan #" + call.id + " diklasifikasi: " + callType + (call.incident ? " · kejadian #" + call.incident.id : ""));
      reset();
    } catch (e) { say(e.message, true); }
  }

  function reset() {
    state.call = null;
    $("call-form").reset();
    $("call-id").textContent = "";
    $("caller-history").hidden = true;
    $("suggestion").hidden = true;
    delete $("incident-type").dataset.touched;
    if (state.marker) { state.marker.remove(); state.marker = null; }
    $("location-text").textContent = "";
    enable(false);
    $("caller-number").focus();
  }

  $("start-call").addEventListener("click", startCall);
  $("caller-number").addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); startCall(); } });
  $("notes").addEventListener("input", function () {
    scheduleSave();
    window.clearTimeout(state.suggestTimer);
    state.suggestTimer = window.setTimeout(suggestNow, 250);
  });
  ["kelurahan", "address"].forEach(function (id) { $(id).addEventListener("change", scheduleSave); });
  $("incident-type").addEventListener("change", function () { $("incident-type").dataset.touched = "1"; });
  document.querySelectorAll("[data-call-type]").forEach(function (b) {
    b.addEventListener("click", function () { classify(b.dataset.callType); });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "F2") { e.preventDefault(); startCall(); return; }
    if (e.altKey && /^[1-5]$/.test(e.key)) {
      e.preventDefault();
      const b = document.querySelector('[data-key="' + e.key + '"]');
      if (b && !b.disabled) classify(b.dataset.callType);
    }
  });

  const mapEl = $("map");
  if (mapEl && window.CityMap) {
    const city = CityMap(mapEl);
    city.map.on("click", async function (e) {
      if (!state.call) return;
      if (state.marker) state.marker.setLatLng(e.latlng); else state.marker = L.marker(e.latlng).addTo(city.map);
      try {
        const r = await App.api("GET", "/geo/reverse/?lat=" + e.latlng.lat + "&lon=" + e.latlng.lng);
        $("location-text").textContent = r.inside_city ? r.kelurahan.name + ", " + r.kecamatan.name : "Di luar Kota Bengkulu";
        if (r.inside_city) {
          const option = Array.from($("kelurahan-list").options).find(function (o) { return o.dataset.code === r.kelurahan.code; });
          if (option) $("kelurahan").value = option.value;
        }
      } catch (err) { /* the point is kept even if the lookup fails */ }
      scheduleSave();
    });
  }

  let refreshTimer = null;
  document.addEventListener("live:event", function (e) {
    if (!e.detail.type.startsWith("call.")) return;
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(function () {
      fetch($("today").dataset.url, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) { $("today").innerHTML = html; });
    }, 150);
  });
  enable(false);
})();
