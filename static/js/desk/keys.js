// The desk's keyboard: F2, Alt+1..5, Alt+P, 1/2/3, J, Ctrl+Enter and Esc.
import { $, state } from "./state.js";
import { startCall, classify } from "./form.js";
import { askType } from "./suggest.js";
import { pickFirstPlace } from "./places.js";
import { closePanel, sendDispatch } from "./panel.js";

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
