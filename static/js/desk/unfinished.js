import { $, state, say } from "./state.js";
import { reset } from "./form.js";
import { closePanel } from "./panel.js";
import { ringing, takeCall } from "./ringing.js";

// Calls left unfinished: this operator's own (the page was reloaded or closed mid-call, another
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

export function dropUnfinished(id) {
  const li = unfinishedRows.get(id);
  if (li) { li.remove(); unfinishedRows.delete(id); unfinishedCount(); }
}

// Every call being handled that this desk knows of (the list read at start, then the live
// events): a colleague's comes up for taking over as time passes, with no event to tell.
const handled = new Map();
export function track(call) {
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
export function takenFromMe(data) {
  if (!state.call || state.call.id !== data.id || data.status !== "active" || !data.operator || data.operator === me) return;
  if (data.version <= state.call.version) return;  // from before this desk had the call
  window.clearTimeout(state.saveTimer);
  state.pendingSave = false;
  const id = data.id;
  reset();
  say(interpolate(gettext("Panggilan #%(id)s diambil alih oleh %(who)s."), { id: id, who: data.operator }, true), true);
}

export async function loadUnfinished() {
  if (!unfinished) return;
  try {
    const page = await App.api("GET", "/api/v1/calls/?status=active&limit=500");
    const open = new Set(page.results.map(function (c) { return c.id; }));
    Array.from(handled.keys()).forEach(function (id) { if (!open.has(id)) { handled.delete(id); dropUnfinished(id); } });
    page.results.slice().reverse().forEach(track);
  } catch (e) { /* the live events still fill the list */ }
}
