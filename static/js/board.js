// Operator board and supervisor wall: re-render the live partial after every live change
// (coalescing bursts, never two fetches at once), and list alerts and escalations.
(function () {
  "use strict";
  const board = document.getElementById("board");
  const alerts = document.getElementById("alerts");
  let timer = null;
  let inFlight = false;
  let again = false;

  function render() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    fetch(board.dataset.url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
      .then(function (html) {
        board.innerHTML = html;
        App.tickTimers();
        board.dataset.renderedSeq = String(window.Live ? window.Live.lastSeq : "");
        document.dispatchEvent(new CustomEvent("board:rendered"));
      })
      .catch(function () { /* the next live event or resync renders again */ })
      .finally(function () {
        inFlight = false;
        if (again) { again = false; refresh(); }
      });
  }

  function refresh() {
    window.clearTimeout(timer);
    timer = window.setTimeout(render, 50);
  }

  function alertText(ev) {
    if (ev.type === "alert") return App.alertMessage(ev.data);
    const template = (alerts && alerts.dataset.escalatedText) || gettext("Eskalasi: pengiriman #%(id)s ke %(agency)s belum diterima.");
    return interpolate(template, { id: ev.data.id, agency: ev.data.agency }, true);
  }

  function addAlert(ev) {
    const p = document.createElement("p");
    p.className = "alert" + (ev.type === "dispatch.escalated" ? " escalated" : "");
    p.dataset.seq = ev.seq;
    p.dataset.type = ev.type;
    const time = document.createElement("time");
    time.textContent = App.wibTime(new Date()) + " ";
    p.appendChild(time);
    p.appendChild(document.createTextNode((ev.type === "dispatch.escalated" ? "⚠ " : "") + alertText(ev)));
    if (ev.type === "dispatch.escalated" || (ev.data && ev.data.incident_id)) {
      const id = ev.type === "dispatch.escalated" ? ev.data.incident && ev.data.incident.id : ev.data.incident_id;
      if (id) {
        const a = document.createElement("a");
        a.href = "/incidents/" + id + "/";
        a.textContent = " #" + id;
        p.appendChild(a);
      }
    }
    alerts.prepend(p);
    while (alerts.children.length > 50) alerts.lastElementChild.remove();
  }

  document.addEventListener("live:event", function (e) {
    const ev = e.detail;
    if (alerts && (ev.type === "alert" || ev.type === "dispatch.escalated")) addAlert(ev);
    refresh();
  });
  document.addEventListener("live:resynced", refresh);
  window.Board = { refresh: refresh };
})();
