import { $, state, say, RETRY_TEXT, untilTaken } from "./state.js";

// The dispatch panel: the call just became an emergency (Alt+1, or joined to an incident).
// It names the incident (a link to its page), its type, priority and place, and the agencies to
// send, the routing rule's primary checked; Ctrl+Enter sends the checked ones, Esc goes back to
// intake leaving the incident open. A dispatch the server did not take is sent again with the
// same Idempotency-Key, so it is made once however often it is sent.
const panelEl = $("dispatch-panel");

function formatDistance(m) {
  return m >= 1000 ? interpolate(gettext("%(km)s km"), { km: (m / 1000).toFixed(1) }, true) : interpolate(gettext("%(m)s m"), { m: m }, true);
}

export async function openPanel(incidentId, also) {
  const key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  state.panel = { id: incidentId, key: key, data: null };
  $("call-form").hidden = true;
  panelEl.hidden = false;
  $("last-dispatch").hidden = true;
  $("last-dispatch").replaceChildren();
  const link = $("dispatch-incident");
  link.textContent = interpolate(gettext("Kejadian #%(id)s"), { id: incidentId }, true);
  link.href = "/incidents/" + incidentId + "/";
  link.target = "_blank";
  link.rel = "noopener";
  $("dispatch-summary").textContent = gettext("Memuat…");
  $("dispatch-agencies").replaceChildren();
  $("no-place").hidden = true;
  $("no-place-reason").value = "";
  $("dispatch-status").textContent = "";
  $("dispatch-send").disabled = false;
  $("dispatch-send").focus();
  const url = "/desk/incidents/" + incidentId + "/panel/" + (also && also.length ? "?also=" + encodeURIComponent(also.join(",")) : "");
  try {
    const data = await untilTaken(function () { return App.api("GET", url); }, "dispatch", function () { return state.panel && state.panel.id === incidentId; });
    if (data && state.panel && state.panel.id === incidentId) renderPanel(data);
  } catch (e) {
    panelStatus(e.message, true);
  }
}

function renderPanel(data) {
  state.panel.data = data;
  const summary = $("dispatch-summary");
  summary.replaceChildren();
  const priority = document.createElement("span");
  priority.className = "badge" + (data.priority === 1 ? " p1" : "");
  priority.textContent = "P" + data.priority;
  const place = document.createElement("span");
  place.className = data.place ? "" : "error";
  place.textContent = data.place || gettext("lokasi belum diketahui");
  summary.append(priority, data.label + " · ", place);
  $("no-place").hidden = !data.needs_place_reason;
  const list = $("dispatch-agencies");
  list.replaceChildren();
  data.agencies.forEach(function (a) {
    const li = document.createElement("li");
    li.dataset.agency = a.code;
    li.classList.toggle("live", a.live);
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = a.code;
    box.checked = a.primary && !a.live;
    box.disabled = a.live;
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = a.code;
    const role = document.createElement("span");
    role.className = "badge role" + (a.primary ? " primary" : "");
    role.textContent = a.live ? gettext("sudah dikirim") : a.primary ? gettext("utama") : gettext("pendukung");
    const post = document.createElement("span");
    post.className = "post";
    const words = [a.name];
    if (a.station) {
      let where = interpolate(gettext("pos terdekat: %(name)s"), { name: a.station.name }, true);
      if (a.station.distance_m !== null) where += " " + formatDistance(a.station.distance_m);
      if (a.station.approximate) where += " (" + gettext("perkiraan") + ")";
      words.push(where);
    }
    post.textContent = words.join(" · ");
    label.append(box, code, role, post);
    li.append(label);
    list.append(li);
  });
  if (!data.agencies.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = gettext("Tidak ada aturan rute untuk jenis ini; pilih instansi di halaman kejadian.");
    list.append(li);
  }
  const first = data.needs_place_reason ? $("no-place-reason") : list.querySelector("input:not(:disabled)");
  (first || $("dispatch-send")).focus();
}

function panelStatus(text, isError) {
  const el = $("dispatch-status");
  el.textContent = text;
  el.classList.toggle("error", !!isError);
}

// Back to intake. `leftOpen`: without dispatching (the incident stays open, on the board).
export function closePanel(leftOpen) {
  if (!state.panel || state.sending) return;
  const id = state.panel.id;
  state.panel = null;
  panelEl.hidden = true;
  $("call-form").hidden = false;
  if (leftOpen) {
    showResult(interpolate(gettext("Kejadian #%(id)s belum dikirim ke instansi; tetap terbuka di papan operator."), { id: id }, true), id, true);
  }
  $("caller-number").focus();
}

function showResult(text, incidentId, isWarning) {
  const box = $("last-dispatch");
  box.replaceChildren();
  box.classList.toggle("error", !!isWarning);
  const link = document.createElement("a");
  link.href = "/incidents/" + incidentId + "/";
  link.target = "_blank";
  link.rel = "noopener";
  link.textContent = interpolate(gettext("Kejadian #%(id)s"), { id: incidentId }, true);
  box.append(text + " ", link);
  box.hidden = false;
}

export async function sendDispatch() {
  const panel = state.panel;
  if (!panel || state.sending) return;
  if (!panel.data) { panelStatus(gettext("Tunggu, data kejadian sedang dimuat."), true); return; }
  const codes = Array.from($("dispatch-agencies").querySelectorAll("input[type=checkbox]:checked:not(:disabled)")).map(function (b) { return b.value; });
  if (!codes.length) {
    panelStatus(gettext("Tidak ada instansi yang dicentang: centang minimal satu instansi, lalu tekan Ctrl+Enter."), true);
    const first = $("dispatch-agencies").querySelector("input:not(:disabled)");
    if (first) first.focus();
    return;
  }
  const body = { agencies: codes };
  if (!$("no-place").hidden) {
    const reason = $("no-place-reason").value.trim();
    if (!reason) {
      panelStatus(gettext("Tulis alasan mengirim tanpa lokasi, atau tentukan lokasinya di halaman kejadian."), true);
      $("no-place-reason").focus();
      return;
    }
    body.no_place_reason = reason;
  }
  state.sending = true;
  $("dispatch-send").disabled = true;
  panelStatus(gettext("Mengirim…"));
  const url = "/api/v1/incidents/" + panel.id + "/dispatch/";
  try {
    const answer = await App.untilTaken(function () { return App.api("POST", url, body, panel.key); }, function (seconds, attempt) {
      const text = interpolate(RETRY_TEXT.dispatch(seconds), { seconds: seconds, attempt: attempt }, true);
      panelStatus(text, true);
      say(text, true);
    });
    state.sending = false;
    const sent = (answer.dispatches || []).map(function (d) { return d.agency; });
    state.panel = null;
    panelEl.hidden = true;
    $("call-form").hidden = false;
    showResult(sent.length
      ? interpolate(gettext("Dikirim ke %(agencies)s:"), { agencies: sent.join(", ") }, true)
      : gettext("Tidak ada yang dikirim: instansi yang dipilih sudah dikirim sebelumnya."), panel.id, !sent.length);
    say(sent.length ? interpolate(gettext("Kejadian #%(id)s dikirim ke %(agencies)s."), { id: panel.id, agencies: sent.join(", ") }, true) : "");
    $("caller-number").focus();
  } catch (e) {
    state.sending = false;
    $("dispatch-send").disabled = false;
    panelStatus(e.message, true);
    if (e.data && e.data.field === "no_place_reason") { $("no-place").hidden = false; $("no-place-reason").focus(); }
  }
}

$("dispatch-send").addEventListener("click", sendDispatch);
$("dispatch-back").addEventListener("click", function () { closePanel(true); });
