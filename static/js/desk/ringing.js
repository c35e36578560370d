import { $, state, say, enable } from "./state.js";
import { renderHistory } from "./history.js";
import { suggestNow } from "./suggest.js";
import { checkDuplicates } from "./duplicates.js";
import { city, pin } from "./places.js";
import { closePanel } from "./panel.js";
import { dropUnfinished } from "./unfinished.js";
import { showAml } from "./aml.js";

// Calls from the phone system: the ringing queue (every operator sees it; the first to take a call gets it).
export const ringing = $("ringing");
export const ringingRows = new Map();

function ringingCount() {
  const open = Array.from(ringingRows.values()).filter(function (li) { return !li.dataset.gone; }).length;
  const count = String(open), empty = ringingRows.size === 0;
  if ($("ringing-count").textContent !== count) $("ringing-count").textContent = count;
  if ($("ringing-empty").hidden === empty) $("ringing-empty").hidden = !empty;
}

export function showRinging(call) {
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

export function markGone(id, text) {
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

export async function loadRinging() {
  if (!ringing) return;
  try {
    const page = await App.api("GET", "/api/v1/calls/?status=ringing&limit=100");
    page.results.slice().reverse().forEach(showRinging);
  } catch (e) { /* the live events still fill the queue */ }
}

// A call put on the desk after it started: claimed from the ringing queue, or resumed. What it
// already holds (notes, place) is shown to go on with.
export function takeCall(call, message) {
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
export function firstRinging() {
  for (const [id, li] of ringingRows) { if (!li.dataset.gone) return id; }
  return null;
}

export async function claim(id) {
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
