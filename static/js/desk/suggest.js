// Suggestions while typing: the call and incident type the notes point to, and the likeliest
// incident types to pick from when the suggestion is not sure.
import { $, state } from "./state.js";
import { classify } from "./form.js";
import { checkDuplicates } from "./duplicates.js";
import { showPlaces } from "./places.js";

export async function suggestNow() {
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

// The likeliest incident types when the suggestion is not sure: keys 1/2/3 (outside a text
// field) or a click. After Alt+1 with no type chosen, picking one classifies the call at once.
export function showCandidates(candidates) {
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

export function askType(on) {
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
export function callTypeLabel(code) {
  const button = code && document.querySelector("button[data-call-type='" + code + "']");
  return button ? button.dataset.label : (code || "—");
}

export function incidentTypeLabel(code) {
  const option = Array.from($("incident-type").options).find(function (o) { return o.value === code; });
  return option ? option.textContent.trim() : code;
}
