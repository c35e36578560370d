// Operator board and supervisor wall: refresh the partial on every live change; show alerts.
(function () {
  "use strict";
  const board = document.getElementById("board");
  const alerts = document.getElementById("alerts");
  let timer = null;
  function refresh() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      fetch(board.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
        board.innerHTML = html;
        App.tickTimers();
      });
    }, 100);
  }
  document.addEventListener("live:event", function (e) {
    const ev = e.detail;
    if (alerts && (ev.type === "alert" || ev.type === "dispatch.escalated")) {
      const p = document.createElement("p");
      p.className = "alert";
      p.textContent = ev.type === "alert" ? ev.data.message : "Eskalasi: pengiriman #" + ev.data.id + " ke " + ev.data.agency + " belum diterima.";
      alerts.prepend(p);
    }
    refresh();
  });
})();
