import { $, state, say } from "./state.js";

// Call-backs owed to ghost callers.
const callbacks = $("callbacks");
let callbacksTimer = null;

export async function loadCallbacks() {
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

export function scheduleCallbacks() { window.clearTimeout(callbacksTimer); callbacksTimer = window.setTimeout(loadCallbacks, 200); }

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
