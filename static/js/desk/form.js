// The call form: a call is saved the moment it starts, notes autosave, one key classifies.
import { $, state, say, enable, untilTaken } from "./state.js";
import { renderHistory } from "./history.js";
import { suggestNow, showCandidates, askType } from "./suggest.js";
import { checkDuplicates, showDuplicates } from "./duplicates.js";
import { showPlaces } from "./places.js";
import { openPanel, closePanel } from "./panel.js";
import { firstRinging, claim } from "./ringing.js";
import { dropUnfinished } from "./unfinished.js";
import { clearAml } from "./aml.js";

export async function startCall() {
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

export function scheduleSave() {
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
// `duplicateOf`: an emergency joins that open incident instead of opening one.
export async function classify(callType, duplicateOf) {
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

export function reset() {
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
