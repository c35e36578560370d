import { $, state } from "./state.js";
import { classify } from "./form.js";
import { incidentTypeLabel } from "./suggest.js";

// Open incidents near the call's saved place, of a related type: the caller may be reporting
// one already handled (many calls, one fire). "Gabungkan" classifies the call as an emergency of
// that incident.
export async function checkDuplicates() {
  if (!state.call || !state.marker) { showDuplicates([]); return; }
  const id = state.call.id;
  // The type chosen, else the one the suggestion leans to (not sure enough to fill in, enough to compare).
  const type = $("incident-type").value || (state.suggestion && state.suggestion.incident_type) || "";
  try {
    const r = await App.api("GET", "/api/v1/calls/" + id + "/duplicates/" + (type ? "?incident_type=" + encodeURIComponent(type) : ""));
    if (state.call && state.call.id === id) showDuplicates(r.candidates || []);
  } catch (e) { /* a suggestion only */ }
}

export function showDuplicates(candidates) {
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
