// Operator board and supervisor wall: re-render the live partial after every live change (a burst
// of changes is one fetch), and list alerts and escalations.
(function () {
  "use strict";
  const board = document.getElementById("board");
  const alerts = document.getElementById("alerts");
  // Drawn again after live changes: a burst is one fetch (App.partialRefresher).
  const boardView = App.partialRefresher(board.dataset.url, function (html) {
    board.innerHTML = html;
    board.dataset.renderedSeq = String(window.Live ? window.Live.lastSeq : "");
    document.dispatchEvent(new CustomEvent("board:rendered"));
  });
  const refresh = boardView.request;

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
