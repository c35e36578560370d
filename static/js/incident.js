// Operator's incident page: dispatch in one action, cancel with a reason, close and reopen.
// The live part of the page is re-rendered from the server on every event about this incident.
(function () {
  "use strict";
  const root = document.getElementById("incident");
  if (!root) return;
  const id = root.dataset.incidentId;
  const api = "/api/v1/incidents/" + id + "/";
  function say(el, text) { if (el) el.textContent = text; }

  // The page drawn again from the server: on a live event only its live part; after a change made
  // here (`full`) all of it. A burst of events is one fetch (App.partialRefresher).
  let drawAll = false;
  const page = App.partialRefresher(function () { return window.location.href; }, function (html) {
    const full = drawAll;
    drawAll = false;
    const doc = new DOMParser().parseFromString(html, "text/html");
    // A section opened by hand (calls, notes, history) stays open when the page is drawn again.
    root.querySelectorAll("details[data-keep-open][open]").forEach(function (d) {
      const twin = doc.querySelector('details[data-keep-open="' + d.dataset.keepOpen + '"]');
      if (twin) twin.open = true;
    });
    // A reason to cancel being typed stays (an agency's answer redraws the dispatches meanwhile).
    if (full) {
      const fresh = doc.getElementById("incident");
      if (fresh) App.redrawKeepingTyped(root, fresh.innerHTML, "[data-reason-for]", "reasonFor");
    } else {
      const live = doc.getElementById("incident-live");
      const mine = document.getElementById("incident-live");
      if (live && mine) App.redrawKeepingTyped(mine, live.innerHTML, "[data-reason-for]", "reasonFor");
    }
  });
  function refresh(full) {
    if (!full) { page.request(); return Promise.resolve(false); }
    drawAll = true;
    return page.now();
  }

  root.addEventListener("submit", async function (e) {
    if (e.target.id !== "dispatch-form") return;
    e.preventDefault();
    const form = e.target;
    const codes = Array.from(form.querySelectorAll("input[name=agency]:checked:not(:disabled)")).map(function (i) { return i.value; });
    const status = document.getElementById("dispatch-status");
    if (!codes.length) { say(status, gettext("Pilih minimal satu instansi.")); return; }
    const button = document.getElementById("dispatch-submit");
    button.disabled = true;
    try {
      // Sent again if the server did not take it: an agency already dispatched is never dispatched twice.
      const body = { agencies: codes };
      // A P1 incident with no place goes out only with a reason (the server refuses it otherwise).
      const reason = document.getElementById("no-place-reason");
      if (reason) body.no_place_reason = reason.value;
      await App.untilTaken(function () { return App.api("POST", api + "dispatch/", body); }, App.retryNotice(status));
      await refresh(true);
      // The form was drawn again: say it in the new one.
      say(document.getElementById("dispatch-status"), interpolate(gettext("Terkirim ke %(agencies)s"), { agencies: codes.join(", ") }, true));
    } catch (err) {
      say(status, err.message);
      button.disabled = false;
    }
  });

  root.addEventListener("click", async function (e) {
    const target = e.target.closest("button");
    if (!target) return;
    const ticket = document.getElementById("ticket-status");
    try {
      if (target.dataset.action === "cancel") {
        const reason = root.querySelector('[data-reason-for="' + target.dataset.id + '"]');
        if (!reason || !reason.value.trim()) { window.alert(gettext("Alasan pembatalan wajib diisi.")); return; }
        target.disabled = true;
        const note = reason.value;  // cancelling a cancelled dispatch again changes nothing
        await App.untilTaken(function () { return App.api("POST", "/api/v1/dispatches/" + target.dataset.id + "/status/", { status: "cancelled", note: note }); }, App.retryNotice(ticket));
        await refresh(true);
      } else if (target.id === "close-incident") {
        target.disabled = true;
        await App.untilTaken(function () { return App.api("POST", api + "close/", {}); }, App.retryNotice(ticket));  // closing again changes nothing
        await refresh(true);
      } else if (target.id === "reopen-incident") {
        const reason = document.getElementById("reopen-reason");
        if (!reason.value.trim()) { say(ticket, gettext("Alasan membuka kembali wajib diisi.")); return; }
        target.disabled = true;
        const why = reason.value;
        let tries = 0;
        // Sent again if the server did not take it. Reopening an open ticket is refused (409), so a
        // retry that finds the ticket open again means the first try was applied and its answer lost.
        await App.untilTaken(async function () {
          tries += 1;
          try {
            return await App.api("POST", api + "reopen/", { reason: why });
          } catch (err) {
            if (tries > 1 && err.status === 409 && (await App.api("GET", api)).status !== "closed") return null;
            throw err;
          }
        }, App.retryNotice(ticket));
        await refresh(true);
      }
    } catch (err) {
      target.disabled = false;
      say(document.getElementById("ticket-status"), err.message);
    }
  });

  // --- A note for the agencies on the incident. Outside the part drawn again on refresh: a note
  // being written stays. Sent once; if it does not go through, the text stays for another try.
  const noteForm = document.getElementById("note-form");
  if (noteForm) {
    noteForm.addEventListener("submit", async function (e) {
      e.preventDefault();
      const text = document.getElementById("note-text");
      const status = document.getElementById("note-status");
      if (!text.value.trim()) { say(status, gettext("Tulis catatannya dulu.")); text.focus(); return; }
      const button = document.getElementById("note-add");
      button.disabled = true;
      try {
        await App.api("POST", api + "notes/", { text: text.value });
        text.value = "";
        say(status, gettext("Catatan terkirim ke instansi."));
        await refresh(false);
      } catch (err) {
        say(status, err.message);
      } finally {
        button.disabled = false;
      }
    });
  }

  // --- Where the incident is: set or corrected after it opened (the first caller could not say,
  // or said it wrong). Outside the part drawn again on refresh, so an edit in progress stays.
  const locForm = document.getElementById("location-form");
  if (locForm) {
    const $ = function (elementId) { return document.getElementById(elementId); };
    const mapEl = $("loc-map");
    let city = null, marker = null, suggestTimer = null;

    function putMarker(ll) {
      if (!city) return;
      if (marker) marker.setLatLng(ll); else marker = L.marker(ll).addTo(city.map);
    }
    function setKelurahan(code) { App.setKelurahan($("loc-kelurahan"), code); }
    if (mapEl && window.CityMap) {
      city = CityMap(mapEl);
      if (mapEl.dataset.lat) {
        const ll = L.latLng(parseFloat(mapEl.dataset.lat), parseFloat(mapEl.dataset.lon));
        putMarker(ll);
        city.ready.then(function () { city.map.setView(ll, 15); });
      }
      city.map.on("click", async function (e) {
        putMarker(e.latlng);
        try {
          const r = await App.api("GET", "/geo/reverse/?lat=" + e.latlng.lat + "&lon=" + e.latlng.lng);
          if (r.inside_city) setKelurahan(r.kelurahan.code);
        } catch (err) { /* the point is kept even if the lookup fails */ }
      });
    }
    // A place picked from the offers fills in the form; nothing is saved until "Simpan lokasi".
    function usePlace(place) {
      App.usePlace(place, $("loc-kelurahan"), $("loc-address"), function (lat, lon) {
        if (!city) return;
        const ll = L.latLng(lat, lon);
        putMarker(ll);
        city.map.setView(ll, Math.max(city.map.getZoom(), 15));
      });
    }
    // Opened without a place: the places its notes name are offered at once.
    const named = $("places-named");
    if (named) App.placeButtons($("loc-places"), JSON.parse(named.textContent), usePlace);
    $("loc-address").addEventListener("input", function () {
      window.clearTimeout(suggestTimer);
      suggestTimer = window.setTimeout(async function () {
        const text = $("loc-address").value;
        if (!text.trim()) { App.placeButtons($("loc-places"), [], null); return; }
        try {
          const s = await App.api("GET", "/desk/suggest/?text=" + encodeURIComponent(text));
          App.placeButtons($("loc-places"), s.places || [], usePlace);
        } catch (err) { App.placeButtons($("loc-places"), [], null); }
      }, 250);
    });
    $("location-clear-point").addEventListener("click", function () {
      if (marker) { marker.remove(); marker = null; }
    });
    locForm.addEventListener("submit", async function (e) {
      e.preventDefault();
      const status = $("location-status");
      const code = App.kelurahanCode($("loc-kelurahan"));
      if ($("loc-kelurahan").value && !code) { say(status, gettext("Pilih kelurahan dari daftar.")); return; }
      const location = { address: $("loc-address").value, kelurahan_code: code };
      if (marker) { const p = marker.getLatLng(); location.lat = p.lat; location.lon = p.lng; }
      const button = $("location-save");
      button.disabled = true;
      try {
        // The same location sent again changes nothing: safe to retry.
        await App.untilTaken(function () { return App.api("PATCH", api, { location: location }); }, App.retryNotice(status));
        await refresh(true);
        say(status, gettext("Lokasi tersimpan."));
      } catch (err) {
        say(status, err.message);
      } finally {
        button.disabled = false;
      }
    });
  }

  document.addEventListener("live:event", function (e) {
    const data = e.detail.data || {};
    const incident = data.incident || data;
    if (String(incident.id) === String(id) || String(data.incident_id) === String(id)) refresh(false);
  });
})();
