// The operator's call desk: a call is saved the moment it starts, notes autosave,
// suggestions come while typing, one key classifies.
(function () {
  "use strict";
  const $ = function (id) { return document.getElementById(id); };
  const state = {
    call: null, saveTimer: null, suggestTimer: null, marker: null, aml: null, amlLayer: null, starting: false, classifying: false, saves: 0, pendingSave: false,
    suggestion: null, places: [], askingType: false,
    panel: null, sending: false,  // the dispatch panel: the incident it is for, and a dispatch under way
  };
  let city = null;
  const fields = ["notes", "kelurahan", "address", "incident-type"];
  const statusEl = $("form-status");

  function say(text, isError) {
    statusEl.textContent = text;
    statusEl.classList.toggle("error", !!isError);
  }

  function renderHistory(caller, call) {
    const box = $("caller-history");
    box.hidden = false;
    box.replaceChildren();
    const head = document.createElement("p");
    if (!call.caller_number) {
      head.textContent = call.caller_number_raw
        ? interpolate(gettext("Nomor tidak valid, disimpan apa adanya: %(number)s"), { number: call.caller_number_raw }, true)
        : gettext("Panggilan tanpa nomor (tanpa SIM).");
      box.appendChild(head);
      return;
    }
    head.innerHTML = "";
    const strong = document.createElement("strong");
    strong.textContent = call.caller_number;
    head.appendChild(strong);
    const c = caller.counts || {};
    const part = function (w) {
      const x = c[w] || {}, all = x.all || 0;
      return interpolate(ngettext("%(all)s panggilan (%(prank)s prank, %(ghost)s ghost, %(emergency)s darurat)",
        "%(all)s panggilan (%(prank)s prank, %(ghost)s ghost, %(emergency)s darurat)", all),
        { all: all, prank: x.prank || 0, ghost: x.ghost || 0, emergency: x.emergency || 0 }, true);
    };
    head.appendChild(document.createTextNode(" · " + interpolate(gettext("24 jam: %(day)s · 7 hari: %(week)s · 30 hari: %(month)s · total %(total)s"),
      { day: part("24h"), week: part("7d"), month: part("30d"), total: caller.calls_total }, true)));
    box.appendChild(head);
    const risk = document.createElement("p");
    const pct = Math.round((caller.prank_risk || 0) * 100);
    risk.className = "risk " + (pct >= 60 ? "high" : pct >= 30 ? "mid" : "low");
    risk.textContent = caller.risk_reasons && caller.risk_reasons.length
      ? interpolate(gettext("Risiko prank %(pct)s%: %(reasons)s (saran saja)"), { pct: pct, reasons: caller.risk_reasons.join("; ") }, true)
      : interpolate(gettext("Risiko prank %(pct)s% (saran saja)"), { pct: pct }, true);
    box.appendChild(risk);
    if (caller.blocked) {
      const b = document.createElement("p");
      b.className = "flag blocked";
      b.textContent = interpolate(gettext("Nomor sedang diblokir (%(level)s) — panggilan tetap dicatat dan dilayani."), { level: caller.block.level }, true);
      box.appendChild(b);
    }
    // The call on the desk is counted above; the list holds the calls before it.
    const earlier = (caller.recent || []).filter(function (r) { return r.id !== call.id; });
    if (earlier.length) {
      const title = document.createElement("p");
      title.className = "history-title";
      title.textContent = gettext("Panggilan sebelumnya:");
      box.appendChild(title);
      const list = document.createElement("ul");
      earlier.forEach(function (r) {
        const li = document.createElement("li");
        li.dataset.callId = r.id;
        const kind = r.call_type ? callTypeLabel(r.call_type) : gettext("belum diklasifikasi");
        li.textContent = [App.wibDateTime(r.received_at), kind, r.notes].filter(Boolean).join(" · ");
        if (r.incident_id) {
          // A caller asking again where the help is: the incident one click away, in its own tab.
          const link = document.createElement("a");
          link.href = "/incidents/" + r.incident_id + "/";
          link.target = "_blank";
          link.rel = "noopener";
          link.textContent = interpolate(gettext("kejadian #%(id)s"), { id: r.incident_id }, true);
          li.append(" · ", link);
        }
        list.appendChild(li);
      });
      box.appendChild(list);
    }
  }

  function enable(on) {
    fields.forEach(function (id) { $(id).disabled = !on; });
    document.querySelectorAll("button[data-call-type]").forEach(function (b) { b.disabled = !on; });
    $("start-call").disabled = on;
    $("caller-number").readOnly = on;
  }

  // A call that reached the server is never dropped: a request the server did not take (see
  // App.untilTaken) is sent again with the same body (and, for a new call, the same
  // Idempotency-Key), so the call is stored once however many times it is sent. Saving notes and
  // classifying are safe to send again too: the same notes, or the classification the call already
  // has, change nothing. Other errors (bad input) are shown at once.

  // One whole sentence per kind of request (not a noun spliced in), so each language orders its own words.
  const RETRY_TEXT = {
    call: function (n) {
      return ngettext("Server sibuk atau tidak terjangkau; panggilan dikirim ulang dalam %(seconds)s detik (percobaan %(attempt)s).",
        "Server sibuk atau tidak terjangkau; panggilan dikirim ulang dalam %(seconds)s detik (percobaan %(attempt)s).", n);
    },
    notes: function (n) {
      return ngettext("Server sibuk atau tidak terjangkau; catatan dikirim ulang dalam %(seconds)s detik (percobaan %(attempt)s).",
        "Server sibuk atau tidak terjangkau; catatan dikirim ulang dalam %(seconds)s detik (percobaan %(attempt)s).", n);
    },
    classify: function (n) {
      return ngettext("Server sibuk atau tidak terjangkau; klasifikasi dikirim ulang dalam %(seconds)s detik (percobaan %(attempt)s).",
        "Server sibuk atau tidak terjangkau; klasifikasi dikirim ulang dalam %(seconds)s detik (percobaan %(attempt)s).", n);
    },
    dispatch: function (n) {
      return ngettext("Server sibuk atau tidak terjangkau; pengiriman ke instansi diulang dalam %(seconds)s detik (percobaan %(attempt)s).",
        "Server sibuk atau tidak terjangkau; pengiriman ke instansi diulang dalam %(seconds)s detik (percobaan %(attempt)s).", n);
    },
  };

  // Sends until the server takes the request (`retrying` names its RETRY_TEXT); resolves to undefined if `wanted()` turns false
  // while waiting (a newer save replaced this one).
  function untilTaken(send, retrying, wanted) {
    return App.untilTaken(send, function (seconds, attempt) {
      say(interpolate(RETRY_TEXT[retrying](seconds), { seconds: seconds, attempt: attempt }, true), true);
    }, wanted);
  }

  async function startCall() {
    if (state.call || state.starting || state.sending) return;
    if (state.panel) closePanel(true);
    state.starting = true;
    const key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
    const body = { caller_number: $("caller-number").value || null, notes: "" };
    say(gettext("Menyimpan panggilan…"));
    try {
      const call = await untilTaken(function () { return App.api("POST", "/api/v1/calls/", body, key); }, "call");
      state.call = call;
      dropUnfinished(call.id);
      $("call-id").textContent = "#" + call.id;
      renderHistory(call.caller, call);
      enable(true);
      $("notes").focus();
      say(interpolate(gettext("Panggilan #%(id)s tersimpan."), { id: call.id }, true));
    } catch (e) {
      say(e.message, true);
    } finally {
      state.starting = false;
    }
  }

  function location() {
    const loc = { address: $("address").value, kelurahan_code: App.kelurahanCode($("kelurahan")) };
    if (state.marker) { const p = state.marker.getLatLng(); loc.lat = p.lat; loc.lon = p.lng; }
    return loc;
  }

  async function save() {
    state.pendingSave = false;
    if (!state.call || state.classifying) return;
    const mine = ++state.saves;
    const url = "/api/v1/calls/" + state.call.id + "/";
    const body = { notes: $("notes").value, location: location() };
    try {
      const saved = await untilTaken(function () { return App.api("PATCH", url, body); }, "notes", function () { return mine === state.saves; });
      if (saved) { say(gettext("Tersimpan.")); checkDuplicates(); }
    } catch (e) { say(e.message, true); }
  }

  function scheduleSave() {
    state.pendingSave = true;
    window.clearTimeout(state.saveTimer);
    state.saveTimer = window.setTimeout(save, 600);
  }

  // Leaving or reloading the page mid-call sends the edit still waiting for its save; the call then
  // waits under the operator's unfinished calls with everything typed.
  window.addEventListener("pagehide", function () {
    if (!state.call || !state.pendingSave || state.classifying) return;
    window.clearTimeout(state.saveTimer);
    state.pendingSave = false;
    App.api("PATCH", "/api/v1/calls/" + state.call.id + "/", { notes: $("notes").value, location: location() }, null, true)
      .catch(function () { /* the page is gone: nobody to tell */ });
  });

  async function suggestNow() {
    const text = $("notes").value;
    const box = $("suggestion");
    if (!text.trim()) { box.hidden = true; showPlaces([]); return; }
    try {
      const s = await App.api("GET", "/desk/suggest/?text=" + encodeURIComponent(text));
      if (!state.call || $("notes").value !== text) return;  // the notes changed meanwhile: a newer suggestion follows
      state.suggestion = s;
      box.hidden = false;
      box.dataset.callType = s.call_type || "";
      box.dataset.incidentType = s.incident_type || "";
      box.textContent = interpolate(gettext("Saran: %(suggestion)s"), {
        suggestion: callTypeLabel(s.call_type) + (s.incident_type ? " · " + incidentTypeLabel(s.incident_type) : "") +
          (s.agencies && s.agencies.length ? " → " + s.agencies.join(", ") : "") + " (" + Math.round(s.confidence * 100) + "%)",
      }, true);
      // The type is filled in only when the suggestion is sure enough; below that the operator picks.
      const sure = s.prefill !== undefined ? s.prefill : !!s.incident_type;
      if (!$("incident-type").dataset.touched) $("incident-type").value = sure ? s.incident_type : "";
      showCandidates(sure || $("incident-type").dataset.touched ? [] : (s.candidates || []));
      showPlaces(s.places || []);
    } catch (e) { box.hidden = true; showPlaces([]); }
  }

  // --- The likeliest incident types when the suggestion is not sure: keys 1/2/3 (outside a text
  // field) or a click. After Alt+1 with no type chosen, picking one classifies the call at once.
  function showCandidates(candidates) {
    const box = $("candidates");
    box.querySelectorAll("button").forEach(function (b) { b.remove(); });
    box.hidden = !candidates.length;
    if (!candidates.length) { askType(false); return; }
    candidates.slice(0, 3).forEach(function (c, i) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.candidate = c.incident_type;
      button.dataset.key = String(i + 1);
      const kbd = document.createElement("kbd");
      kbd.textContent = String(i + 1);
      button.append(kbd, " " + c.label + " (" + Math.round(c.confidence * 100) + "%)");
      button.addEventListener("click", function () { pickCandidate(c.incident_type); });
      box.append(button);
    });
  }

  function askType(on) {
    state.askingType = on;
    $("candidates").classList.toggle("asking", on);
  }

  function pickCandidate(code) {
    $("incident-type").value = code;
    $("incident-type").dataset.touched = "1";
    $("candidates").querySelectorAll("button").forEach(function (b) { b.classList.toggle("chosen", b.dataset.candidate === code); });
    checkDuplicates();
    if (state.askingType) { askType(false); classify("emergency"); }
  }

  // The suggestion in the words of the form: the classify buttons' and the incident types' own labels.
  function callTypeLabel(code) {
    const button = code && document.querySelector("button[data-call-type='" + code + "']");
    return button ? button.dataset.label : (code || "—");
  }

  function incidentTypeLabel(code) {
    const option = Array.from($("incident-type").options).find(function (o) { return o.value === code; });
    return option ? option.textContent.trim() : code;
  }

  // --- Open incidents near the call's saved place, of a related type: the caller may be reporting
  // one already handled (many calls, one fire). "Gabungkan" classifies the call as an emergency of
  // that incident.
  async function checkDuplicates() {
    if (!state.call || !state.marker) { showDuplicates([]); return; }
    const id = state.call.id;
    // The type chosen, else the one the suggestion leans to (not sure enough to fill in, enough to compare).
    const type = $("incident-type").value || (state.suggestion && state.suggestion.incident_type) || "";
    try {
      const r = await App.api("GET", "/api/v1/calls/" + id + "/duplicates/" + (type ? "?incident_type=" + encodeURIComponent(type) : ""));
      if (state.call && state.call.id === id) showDuplicates(r.candidates || []);
    } catch (e) { /* a suggestion only */ }
  }

  function showDuplicates(candidates) {
    const box = $("duplicates");
    box.replaceChildren();
    box.hidden = !candidates.length;
    if (!candidates.length) return;
    const title = document.createElement("p");
    title.textContent = gettext("Mungkin kejadian yang sudah ditangani:");
    const list = document.createElement("ul");
    candidates.forEach(function (c) {
      const li = document.createElement("li");
      li.dataset.incidentId = c.id;
      const link = document.createElement("a");
      link.href = "/incidents/" + c.id + "/";
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = "#" + c.id + " " + incidentTypeLabel(c.incident_type);
      const where = [interpolate(gettext("%(m)s m dari sini"), { m: Math.round(c.distance_m) }, true),
        interpolate(gettext("dibuka %(time)s WIB"), { time: App.wibTime(c.created_at) }, true), c.kelurahan];
      const join = document.createElement("button");
      join.type = "button";
      join.dataset.join = c.id;
      join.textContent = gettext("Gabungkan");
      join.addEventListener("click", function () { classify("emergency", c.id); });
      li.append(link, " · " + where.filter(Boolean).join(" · ") + " ", join);
      list.append(li);
    });
    box.append(title, list);
  }

  // --- Places the notes name (landmarks, kelurahan): offered, set only when the operator picks one.
  function showPlaces(places) {
    state.places = places;
    App.placeButtons($("places"), places, function (place) { usePlace(place); scheduleSave(); });
    const first = $("places").querySelector("button");
    if (first) {
      // The first place offered also takes one key.
      const kbd = document.createElement("kbd");
      kbd.textContent = "Alt+P";
      first.append(" ", kbd);
      first.setAttribute("aria-keyshortcuts", "Alt+P");
    }
  }

  function pickFirstPlace() {
    if (!state.call || !state.places.length) return false;
    usePlace(state.places[0]);
    scheduleSave();
    say(interpolate(gettext("Lokasi: %(place)s"), { place: state.places[0].name }, true));
    return true;
  }

  // The call's point on the map, put there or moved; `show` brings it into view.
  function pin(ll, show) {
    if (!city) return;
    if (state.marker) state.marker.setLatLng(ll); else state.marker = L.marker(ll).addTo(city.map);
    if (show) city.map.setView(ll, Math.max(city.map.getZoom(), 15));
  }

  function usePlace(place) {
    App.usePlace(place, $("kelurahan"), $("address"), function (lat, lon) {
      pin(L.latLng(lat, lon), true);
      $("location-text").textContent = place.kelurahan ? place.kelurahan.name + ", " + place.kecamatan : place.name;
    });
  }

  // `duplicateOf`: an emergency joins that open incident instead of opening one.
  async function classify(callType, duplicateOf) {
    if (!state.call) return;
    const body = { call_type: callType, notes: $("notes").value };
    if (callType === "emergency") {
      if (duplicateOf) body.duplicate_of = duplicateOf;
      else body.incident_type = $("incident-type").value;
      if (!body.incident_type && !duplicateOf) {
        const first = $("candidates").querySelector("button");
        if (first && !$("candidates").hidden) {
          askType(true);
          first.focus();
          say(gettext("Pilih jenis kejadian: tekan 1, 2 atau 3, atau pilih dari daftar."), true);
        } else {
          say(gettext("Pilih jenis kejadian untuk panggilan darurat."), true);
          $("incident-type").focus();
        }
        return;
      }
    }
    if (state.classifying) return;
    state.classifying = true;
    window.clearTimeout(state.saveTimer);
    state.saves++;  // a save still retrying gives way: this sends the same notes
    const id = state.call.id;
    const edit = { notes: $("notes").value, location: location() };
    try {
      await untilTaken(function () { return App.api("PATCH", "/api/v1/calls/" + id + "/", edit); }, "notes");
      const call = await untilTaken(function () { return App.api("POST", "/api/v1/calls/" + id + "/classify/", body); }, "classify");
      const button = document.querySelector("button[data-call-type='" + callType + "']");
      const type = button ? button.dataset.label : callType;
      say(call.incident
        ? interpolate(gettext("Panggilan #%(id)s diklasifikasi: %(type)s · kejadian #%(incident)s"), { id: call.id, type: type, incident: call.incident.id }, true)
        : interpolate(gettext("Panggilan #%(id)s diklasifikasi: %(type)s"), { id: call.id, type: type }, true));
      // The triage's agencies count only for the type it suggested.
      const s = state.suggestion;
      const also = s && call.incident && s.incident_type === call.incident.incident_type ? (s.agencies || []) : [];
      reset();
      if (call.incident) openPanel(call.incident.id, also);
    } catch (e) {
      say(e.message, true);
    } finally {
      state.classifying = false;
    }
  }

  function reset() {
    state.call = null;
    $("call-form").reset();
    $("call-id").textContent = "";
    $("caller-history").hidden = true;
    $("suggestion").hidden = true;
    showPlaces([]);
    showDuplicates([]);
    showCandidates([]);
    state.suggestion = null;
    delete $("incident-type").dataset.touched;
    if (state.marker) { state.marker.remove(); state.marker = null; }
    $("location-text").textContent = "";
    clearAml();
    enable(false);
    $("caller-number").focus();
  }

  $("start-call").addEventListener("click", startCall);
  $("caller-number").addEventListener("keydown", function (e) {
    if (e.key !== "Enter") return;
    e.preventDefault();
    // Enter with no number typed takes the call that has rung longest, if one is ringing.
    const waiting = !$("caller-number").value.trim() && firstRinging();
    if (waiting) claim(waiting); else startCall();
  });
  $("notes").addEventListener("input", function () {
    scheduleSave();
    window.clearTimeout(state.suggestTimer);
    state.suggestTimer = window.setTimeout(suggestNow, 250);
  });
  ["kelurahan", "address"].forEach(function (id) { $(id).addEventListener("change", scheduleSave); });
  $("incident-type").addEventListener("change", function () { $("incident-type").dataset.touched = "1"; askType(false); checkDuplicates(); });
  document.querySelectorAll("button[data-call-type]").forEach(function (b) {
    b.addEventListener("click", function () { classify(b.dataset.callType); });
  });
  function typingInField(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) && target.type !== "checkbox");
  }

  document.addEventListener("keydown", function (e) {
    if (e.key === "F2") { e.preventDefault(); startCall(); return; }
    if (state.panel) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); sendDispatch(); return; }
      if (e.key === "Escape") { e.preventDefault(); closePanel(true); return; }
      return;
    }
    if (e.altKey && !e.ctrlKey && /^[1-5]$/.test(e.key)) {
      e.preventDefault();
      const b = document.querySelector('button[data-call-type][data-key="' + e.key + '"]');
      if (b && !b.disabled) classify(b.dataset.callType);
      return;
    }
    if (e.altKey && !e.ctrlKey && (e.key === "p" || e.key === "P" || e.code === "KeyP")) {
      if (pickFirstPlace()) e.preventDefault();
      return;
    }
    if (e.key === "Escape" && state.call) {
      // Out of the text field, so that 1/2/3 pick a type and J joins the incident offered.
      if (state.askingType) askType(false);
      if (typingInField(e.target)) e.target.blur();
      return;
    }
    if (e.altKey || e.ctrlKey || e.metaKey || typingInField(e.target) || !state.call) return;
    if (/^[1-3]$/.test(e.key)) {
      const b = $("candidates").hidden ? null : $("candidates").querySelector('button[data-key="' + e.key + '"]');
      if (b) { e.preventDefault(); b.click(); }
    } else if (e.key === "j" || e.key === "J") {
      const join = $("duplicates").hidden ? null : $("duplicates").querySelector("[data-join]");
      if (join) { e.preventDefault(); join.click(); }
    }
  });

  const mapEl = $("map");
  if (mapEl && window.CityMap) {
    city = CityMap(mapEl);
    city.map.on("click", async function (e) {
      if (!state.call) return;
      pin(e.latlng, false);
      try {
        const r = await App.api("GET", "/geo/reverse/?lat=" + e.latlng.lat + "&lon=" + e.latlng.lng);
        $("location-text").textContent = r.inside_city ? r.kelurahan.name + ", " + r.kecamatan.name : gettext("Di luar Kota Bengkulu");
        if (r.inside_city) App.setKelurahan($("kelurahan"), r.kelurahan.code);
      } catch (err) { /* the point is kept even if the lookup fails */ }
      scheduleSave();
    });
  }

  // Today's calls are folded away: read again only while open (and when opened after changes), so
  // a ring does not make every desk on the floor fetch a table nobody is looking at.
  let refreshTimer = null;
  let todayStale = false;
  const todayBox = $("today").closest("details");
  function loadToday() {
    todayStale = false;
    fetch($("today").dataset.url, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) { $("today").innerHTML = html; });
  }
  if (todayBox) todayBox.addEventListener("toggle", function () { if (todayBox.open && todayStale) loadToday(); });
  document.addEventListener("live:event", function (e) {
    if (!e.detail.type.startsWith("call.")) return;
    todayStale = true;
    if (todayBox && !todayBox.open) return;
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(loadToday, 150);
  });

  // --- The dispatch panel: the call just became an emergency (Alt+1, or joined to an incident).
  // It names the incident (a link to its page), its type, priority and place, and the agencies to
  // send, the routing rule's primary checked; Ctrl+Enter sends the checked ones, Esc goes back to
  // intake leaving the incident open. A dispatch the server did not take is sent again with the
  // same Idempotency-Key, so it is made once however often it is sent.
  const panelEl = $("dispatch-panel");

  function formatDistance(m) {
    return m >= 1000 ? interpolate(gettext("%(km)s km"), { km: (m / 1000).toFixed(1) }, true) : interpolate(gettext("%(m)s m"), { m: m }, true);
  }

  async function openPanel(incidentId, also) {
    const key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
    state.panel = { id: incidentId, key: key, data: null };
    $("call-form").hidden = true;
    panelEl.hidden = false;
    $("last-dispatch").hidden = true;
    $("last-dispatch").replaceChildren();
    const link = $("dispatch-incident");
    link.textContent = interpolate(gettext("Kejadian #%(id)s"), { id: incidentId }, true);
    link.href = "/incidents/" + incidentId + "/";
    link.target = "_blank";
    link.rel = "noopener";
    $("dispatch-summary").textContent = gettext("Memuat…");
    $("dispatch-agencies").replaceChildren();
    $("no-place").hidden = true;
    $("no-place-reason").value = "";
    $("dispatch-status").textContent = "";
    $("dispatch-send").disabled = false;
    $("dispatch-send").focus();
    const url = "/desk/incidents/" + incidentId + "/panel/" + (also && also.length ? "?also=" + encodeURIComponent(also.join(",")) : "");
    try {
      const data = await untilTaken(function () { return App.api("GET", url); }, "dispatch", function () { return state.panel && state.panel.id === incidentId; });
      if (data && state.panel && state.panel.id === incidentId) renderPanel(data);
    } catch (e) {
      panelStatus(e.message, true);
    }
  }

  function renderPanel(data) {
    state.panel.data = data;
    const summary = $("dispatch-summary");
    summary.replaceChildren();
    const priority = document.createElement("span");
    priority.className = "badge" + (data.priority === 1 ? " p1" : "");
    priority.textContent = "P" + data.priority;
    const place = document.createElement("span");
    place.className = data.place ? "" : "error";
    place.textContent = data.place || gettext("lokasi belum diketahui");
    summary.append(priority, data.label + " · ", place);
    $("no-place").hidden = !data.needs_place_reason;
    const list = $("dispatch-agencies");
    list.replaceChildren();
    data.agencies.forEach(function (a) {
      const li = document.createElement("li");
      li.dataset.agency = a.code;
      li.classList.toggle("live", a.live);
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = a.code;
      box.checked = a.primary && !a.live;
      box.disabled = a.live;
      const code = document.createElement("span");
      code.className = "code";
      code.textContent = a.code;
      const role = document.createElement("span");
      role.className = "badge role" + (a.primary ? " primary" : "");
      role.textContent = a.live ? gettext("sudah dikirim") : a.primary ? gettext("utama") : gettext("pendukung");
      const post = document.createElement("span");
      post.className = "post";
      const words = [a.name];
      if (a.station) {
        let where = interpolate(gettext("pos terdekat: %(name)s"), { name: a.station.name }, true);
        if (a.station.distance_m !== null) where += " " + formatDistance(a.station.distance_m);
        if (a.station.approximate) where += " (" + gettext("perkiraan") + ")";
        words.push(where);
      }
      post.textContent = words.join(" · ");
      label.append(box, code, role, post);
      li.append(label);
      list.append(li);
    });
    if (!data.agencies.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = gettext("Tidak ada aturan rute untuk jenis ini; pilih instansi di halaman kejadian.");
      list.append(li);
    }
    const first = data.needs_place_reason ? $("no-place-reason") : list.querySelector("input:not(:disabled)");
    (first || $("dispatch-send")).focus();
  }

  function panelStatus(text, isError) {
    const el = $("dispatch-status");
    el.textContent = text;
    el.classList.toggle("error", !!isError);
  }

  // Back to intake. `leftOpen`: without dispatching (the incident stays open, on the board).
  function closePanel(leftOpen) {
    if (!state.panel || state.sending) return;
    const id = state.panel.id;
    state.panel = null;
    panelEl.hidden = true;
    $("call-form").hidden = false;
    if (leftOpen) {
      showResult(interpolate(gettext("Kejadian #%(id)s belum dikirim ke instansi; tetap terbuka di papan operator."), { id: id }, true), id, true);
    }
    $("caller-number").focus();
  }

  function showResult(text, incidentId, isWarning) {
    const box = $("last-dispatch");
    box.replaceChildren();
    box.classList.toggle("error", !!isWarning);
    const link = document.createElement("a");
    link.href = "/incidents/" + incidentId + "/";
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = interpolate(gettext("Kejadian #%(id)s"), { id: incidentId }, true);
    box.append(text + " ", link);
    box.hidden = false;
  }

  async function sendDispatch() {
    const panel = state.panel;
    if (!panel || state.sending) return;
    if (!panel.data) { panelStatus(gettext("Tunggu, data kejadian sedang dimuat."), true); return; }
    const codes = Array.from($("dispatch-agencies").querySelectorAll("input[type=checkbox]:checked:not(:disabled)")).map(function (b) { return b.value; });
    if (!codes.length) {
      panelStatus(gettext("Tidak ada instansi yang dicentang: centang minimal satu instansi, lalu tekan Ctrl+Enter."), true);
      const first = $("dispatch-agencies").querySelector("input:not(:disabled)");
      if (first) first.focus();
      return;
    }
    const body = { agencies: codes };
    if (!$("no-place").hidden) {
      const reason = $("no-place-reason").value.trim();
      if (!reason) {
        panelStatus(gettext("Tulis alasan mengirim tanpa lokasi, atau tentukan lokasinya di halaman kejadian."), true);
        $("no-place-reason").focus();
        return;
      }
      body.no_place_reason = reason;
    }
    state.sending = true;
    $("dispatch-send").disabled = true;
    panelStatus(gettext("Mengirim…"));
    const url = "/api/v1/incidents/" + panel.id + "/dispatch/";
    try {
      const answer = await App.untilTaken(function () { return App.api("POST", url, body, panel.key); }, function (seconds, attempt) {
        const text = interpolate(RETRY_TEXT.dispatch(seconds), { seconds: seconds, attempt: attempt }, true);
        panelStatus(text, true);
        say(text, true);
      });
      state.sending = false;
      const sent = (answer.dispatches || []).map(function (d) { return d.agency; });
      state.panel = null;
      panelEl.hidden = true;
      $("call-form").hidden = false;
      showResult(sent.length
        ? interpolate(gettext("Dikirim ke %(agencies)s:"), { agencies: sent.join(", ") }, true)
        : gettext("Tidak ada yang dikirim: instansi yang dipilih sudah dikirim sebelumnya."), panel.id, !sent.length);
      say(sent.length ? interpolate(gettext("Kejadian #%(id)s dikirim ke %(agencies)s."), { id: panel.id, agencies: sent.join(", ") }, true) : "");
      $("caller-number").focus();
    } catch (e) {
      state.sending = false;
      $("dispatch-send").disabled = false;
      panelStatus(e.message, true);
      if (e.data && e.data.field === "no_place_reason") { $("no-place").hidden = false; $("no-place-reason").focus(); }
    }
  }

  $("dispatch-send").addEventListener("click", sendDispatch);
  $("dispatch-back").addEventListener("click", function () { closePanel(true); });

  // --- Calls from the phone system: the ringing queue (every operator sees it; the first to take a call gets it).
  const ringing = $("ringing");
  const ringingRows = new Map();

  function ringingCount() {
    const open = Array.from(ringingRows.values()).filter(function (li) { return !li.dataset.gone; }).length;
    const count = String(open), empty = ringingRows.size === 0;
    if ($("ringing-count").textContent !== count) $("ringing-count").textContent = count;
    if ($("ringing-empty").hidden === empty) $("ringing-empty").hidden = !empty;
  }

  function showRinging(call) {
    if (!ringing || ringingRows.has(call.id) || call.status !== "ringing") return;
    const li = $("ringing-row").content.firstElementChild.cloneNode(true);
    li.dataset.callId = call.id;
    li.querySelector(".number").textContent = call.caller_number || call.caller_number_raw || gettext("tanpa nomor");
    li.querySelector(".flag").hidden = !call.caller_blocked;
    const since = li.querySelector(".since");
    since.dataset.since = call.received_at;
    since.textContent = App.since(call.received_at);  // its own clock only; the page's tick keeps it going
    li.querySelector("[data-claim]").addEventListener("click", function () { claim(call.id); });
    ringingRows.set(call.id, li);
    $("ringing-list").appendChild(li);
    ringingCount();
  }

  function dropRinging(id) {
    const li = ringingRows.get(id);
    if (li) { li.remove(); ringingRows.delete(id); ringingCount(); }
  }

  function markGone(id, text) {
    const li = ringingRows.get(id);
    if (!li || li.dataset.gone) return;
    li.dataset.gone = "1";
    li.classList.add("taken");
    const button = li.querySelector("[data-claim]");
    button.disabled = true;
    button.hidden = true;
    li.querySelector(".taken").textContent = text;
    ringingCount();
    window.setTimeout(function () { dropRinging(id); }, 8000);
  }

  async function loadRinging() {
    if (!ringing) return;
    try {
      const page = await App.api("GET", "/api/v1/calls/?status=ringing&limit=100");
      page.results.slice().reverse().forEach(showRinging);
    } catch (e) { /* the live events still fill the queue */ }
  }

  // A call put on the desk after it started: claimed from the ringing queue, or resumed. What it
  // already holds (notes, place) is shown to go on with.
  function takeCall(call, message) {
    state.call = call;
    dropUnfinished(call.id);
    $("call-id").textContent = "#" + call.id;
    $("caller-number").value = call.caller_number || call.caller_number_raw || "";
    renderHistory(call.caller || {}, call);
    enable(true);
    $("notes").value = call.notes || "";
    const loc = call.location || {};
    $("address").value = loc.address || "";
    if (loc.kelurahan_code) App.setKelurahan($("kelurahan"), loc.kelurahan_code);
    if (city && loc.lat !== null && loc.lat !== undefined) pin(L.latLng(loc.lat, loc.lon), true);
    if (loc.kelurahan) $("location-text").textContent = loc.kelurahan + ", " + loc.kecamatan;
    if (call.notes) suggestNow();
    checkDuplicates();
    $("notes").focus();
    say(message + " #" + call.id + ".");
    if (call.aml) showAml(call.aml);
  }

  // The call that has rung longest and nobody has taken yet.
  function firstRinging() {
    for (const [id, li] of ringingRows) { if (!li.dataset.gone) return id; }
    return null;
  }

  async function claim(id) {
    if (state.call || state.sending) { say(ringing.dataset.busy, true); return; }
    if (state.panel) closePanel(true);
    try {
      const call = await App.api("POST", "/api/v1/calls/" + id + "/claim/");
      dropRinging(id);
      takeCall(call, ringing.dataset.claimed);
    } catch (e) {
      if (e.status === 409) markGone(id, e.message);
      say(e.message, true);
    }
  }

  // --- Calls left unfinished: this operator's own (the page was reloaded or closed mid-call, another
  // tab or machine), resumed with one click; and a colleague's that nobody has changed for
  // data-take-over-after seconds (a crashed browser, a break, the end of a shift), taken over.
  const unfinished = $("unfinished");
  const unfinishedRows = new Map();
  const me = unfinished ? unfinished.dataset.me : "";
  const takeOverAfterMs = unfinished ? parseInt(unfinished.dataset.takeOverAfter, 10) * 1000 : Infinity;

  function unfinishedCount() {
    $("unfinished-count").textContent = String(unfinishedRows.size);
    unfinished.hidden = unfinishedRows.size === 0;
  }

  function offered(call) {
    if (call.status !== "active" || (state.call && state.call.id === call.id)) return false;
    // A colleague's: once nobody has changed it for that long (an operator still typing keeps it).
    return call.operator === me || Date.now() - Date.parse(call.touched_at || call.received_at) >= takeOverAfterMs;
  }

  // Drawn afresh from the newest state of the call (its operator may have changed).
  function showUnfinished(call) {
    if (!unfinished) return;
    dropUnfinished(call.id);
    if (!offered(call)) return;
    const mine = call.operator === me;
    const li = $("unfinished-row").content.firstElementChild.cloneNode(true);
    li.dataset.callId = call.id;
    li.classList.toggle("colleague", !mine);
    li.querySelector(".number").textContent = call.caller_number || call.caller_number_raw || gettext("tanpa nomor");
    li.querySelector(".at").textContent = App.wibTime(call.received_at);
    li.querySelector(".operator").textContent = mine ? "" : "· " + (call.operator || "—");
    li.querySelector(".notes").textContent = (call.notes || "").slice(0, 80);
    li.querySelector("[data-resume]").hidden = !mine;
    li.querySelector("[data-take-over]").hidden = mine;
    li.querySelector("[data-resume]").addEventListener("click", function () { resume(call.id); });
    li.querySelector("[data-take-over]").addEventListener("click", function () { takeOver(call.id, call.operator); });
    unfinishedRows.set(call.id, li);
    $("unfinished-list").appendChild(li);
    unfinishedCount();
  }

  function dropUnfinished(id) {
    const li = unfinishedRows.get(id);
    if (li) { li.remove(); unfinishedRows.delete(id); unfinishedCount(); }
  }

  // Every call being handled that this desk knows of (the list read at start, then the live
  // events): a colleague's comes up for taking over as time passes, with no event to tell.
  const handled = new Map();
  function track(call) {
    // An event carries no notes: what the list read of the call is kept.
    const known = Object.assign({}, handled.get(call.id) || {}, call);
    if (known.status === "active") handled.set(known.id, known); else handled.delete(known.id);
    showUnfinished(known);
  }
  window.setInterval(function () {
    handled.forEach(function (call) { if (!unfinishedRows.has(call.id) && offered(call)) showUnfinished(call); });
  }, 15000);

  async function resume(id) {
    if (state.call || state.sending) { say(ringing.dataset.busy, true); return; }
    if (state.panel) closePanel(true);
    try {
      const call = await App.api("GET", "/api/v1/calls/" + id + "/");
      if (call.status !== "active") { dropUnfinished(id); say(unfinished.dataset.done, true); return; }
      takeCall(call, unfinished.dataset.resumed);
    } catch (e) { say(e.message, true); }
  }

  async function takeOver(id, fromOperator) {
    if (state.call || state.sending) { say(ringing.dataset.busy, true); return; }
    if (state.panel) closePanel(true);
    try {
      const call = await App.api("POST", "/api/v1/calls/" + id + "/take-over/", { from_operator: fromOperator || "-" });
      takeCall(call, unfinished.dataset.takenOver);
    } catch (e) {
      if (e.status === 409) dropUnfinished(id);
      say(e.message, true);
    }
  }

  // The call on this desk was taken over by a colleague: it is theirs now.
  function takenFromMe(data) {
    if (!state.call || state.call.id !== data.id || data.status !== "active" || !data.operator || data.operator === me) return;
    if (data.version <= state.call.version) return;  // from before this desk had the call
    window.clearTimeout(state.saveTimer);
    state.pendingSave = false;
    const id = data.id;
    reset();
    say(interpolate(gettext("Panggilan #%(id)s diambil alih oleh %(who)s."), { id: id, who: data.operator }, true), true);
  }

  async function loadUnfinished() {
    if (!unfinished) return;
    try {
      const page = await App.api("GET", "/api/v1/calls/?status=active&limit=500");
      const open = new Set(page.results.map(function (c) { return c.id; }));
      Array.from(handled.keys()).forEach(function (id) { if (!open.has(id)) { handled.delete(id); dropUnfinished(id); } });
      page.results.slice().reverse().forEach(track);
    } catch (e) { /* the live events still fill the list */ }
  }

  // --- AML: the handset's own location, drawn with its accuracy circle; the operator chooses to use it.
  function clearAml() {
    state.aml = null;
    if (state.amlLayer) { state.amlLayer.remove(); state.amlLayer = null; }
    $("aml-info").hidden = true;
    $("use-aml").hidden = true;
  }

  function useAml() {
    const aml = state.aml;
    if (!aml || !city) return;
    pin(L.latLng(aml.lat, aml.lon), false);
    App.setKelurahan($("kelurahan"), aml.kelurahan_code);
    $("location-text").textContent = aml.kelurahan || gettext("Di luar Kota Bengkulu");
  }

  function showAml(aml) {
    state.aml = aml;
    const info = $("aml-info");
    const parts = [info.dataset.label];
    if (aml.radius_m !== null && aml.radius_m !== undefined) parts.push("±" + Math.round(aml.radius_m) + " m");
    parts.push(aml.kelurahan || gettext("di luar Kota Bengkulu"));
    if (aml.method) parts.push(aml.method.toUpperCase());
    if (aml.confidence !== null && aml.confidence !== undefined) parts.push(aml.confidence + "%");
    info.textContent = parts.join(" · ");
    info.hidden = false;
    $("use-aml").hidden = false;
    if (city) {
      if (state.amlLayer) state.amlLayer.remove();
      const ll = L.latLng(aml.lat, aml.lon);
      const circle = L.circle(ll, { radius: aml.radius_m || 10, color: "#c0392b", weight: 2, fillOpacity: 0.15 });
      state.amlLayer = L.layerGroup([circle, L.circleMarker(ll, { radius: 4, color: "#c0392b", fillOpacity: 1 })]).addTo(city.map);
      state.amlLayer.amlCircle = circle;
      city.map.fitBounds(circle.getBounds(), { maxZoom: 17 });
    }
    // The server copied the fix into a call that had no location: show it in the form so autosave keeps it.
    if (aml.applied && !state.marker) useAml();
  }

  $("use-aml").addEventListener("click", function () { useAml(); scheduleSave(); });

  // --- Call-backs owed to ghost callers.
  const callbacks = $("callbacks");
  let callbacksTimer = null;

  async function loadCallbacks() {
    if (!callbacks) return;
    let page;
    try { page = await App.api("GET", "/api/v1/callbacks/"); } catch (e) { return; }
    const list = $("callbacks-list");
    list.replaceChildren();
    page.results.forEach(function (cb) {
      const li = $("callback-row").content.firstElementChild.cloneNode(true);
      li.dataset.callbackId = cb.id;
      const number = li.querySelector(".number");
      number.textContent = cb.caller_number;
      number.href = "tel:" + cb.caller_number;
      li.querySelector(".deadline").textContent = callbacks.dataset.deadline + " " +
        App.wibTime(cb.deadline) + " · #" + cb.call_id;
      const overdue = li.querySelector(".overdue");
      overdue.hidden = !cb.overdue;
      overdue.textContent = callbacks.dataset.overdue;
      li.querySelectorAll("[data-outcome]").forEach(function (b) {
        b.addEventListener("click", function () { recordOutcome(cb, b.dataset.outcome); });
      });
      list.appendChild(li);
    });
    $("callbacks-count").textContent = String(page.count);
    $("callbacks-empty").hidden = page.count > 0;
  }

  function scheduleCallbacks() { window.clearTimeout(callbacksTimer); callbacksTimer = window.setTimeout(loadCallbacks, 200); }

  async function recordOutcome(cb, outcome) {
    try {
      await App.api("POST", "/api/v1/callbacks/" + cb.id + "/outcome/", { outcome: outcome });
      if (outcome === "emergency" && !state.call) {
        $("caller-number").value = cb.caller_number;
        $("caller-number").focus();
        say(callbacks.dataset.emergencyHint);
      }
    } catch (e) { say(e.message, true); }
    loadCallbacks();
  }

  document.addEventListener("live:event", function (e) {
    const type = e.detail.type;
    const data = e.detail.data || {};
    if (type === "call.created" && data.status === "ringing") showRinging(data);
    else if (type.startsWith("call.") && data.status !== "ringing" && ringingRows.has(data.id)) {
      markGone(data.id, data.status === "abandoned" ? ringing.dataset.abandoned : ringing.dataset.taken + " " + (data.operator || "PBX"));
    }
    if (type.startsWith("call.") && data.id) { takenFromMe(data); track(data); }
    if (type === "call.updated" && data.aml && state.call && state.call.id === data.id) showAml(data.aml);
    // The call-back queue changes when a call is classified as a ghost call, when a call-back's
    // outcome is recorded (the event carries it) and when one goes overdue (an alert).
    if ((type === "call.updated" && (data.call_type === "ghost" || data.callback)) || type === "alert") scheduleCallbacks();
  });
  document.addEventListener("live:ready", function () { loadRinging(); loadCallbacks(); loadUnfinished(); });
  loadRinging();
  loadCallbacks();
  loadUnfinished();
  enable(false);
})();
