// The operator's call desk, one module per feature; this one starts them and routes the live
// events to them. Loaded as <script type="module"> after common.js, live.js and map.js. The
// modules import one another by their plain names (they call each other both ways, which a
// content hash in the name cannot follow), so they are served with the short cache lifetime.
import { state, enable } from "./state.js";
import { ringing, ringingRows, showRinging, markGone, loadRinging } from "./ringing.js";
import { track, takenFromMe, loadUnfinished } from "./unfinished.js";
import { showAml } from "./aml.js";
import { loadCallbacks, scheduleCallbacks } from "./callbacks.js";
import "./form.js";
import "./keys.js";
import "./today.js";

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
