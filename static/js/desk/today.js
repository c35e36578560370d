import { $ } from "./state.js";

// Today's calls are folded away: read again only while open (and when opened after changes), so
// a ring does not make every desk on the floor fetch a table nobody is looking at.
let todayStale = false;
const todayBox = $("today").closest("details");
const todayList = App.partialRefresher($("today").dataset.url, function (html) { $("today").innerHTML = html; }, { delay: 150 });
function loadToday() {
  todayStale = false;
  todayList.request();
}
if (todayBox) todayBox.addEventListener("toggle", function () { if (todayBox.open && todayStale) loadToday(); });
document.addEventListener("live:event", function (e) {
  if (!e.detail.type.startsWith("call.")) return;
  todayStale = true;
  if (todayBox && !todayBox.open) return;
  loadToday();
});
