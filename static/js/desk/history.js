// The caller's history, shown when a call starts: earlier calls, prank risk, a block.
import { $ } from "./state.js";
import { callTypeLabel } from "./suggest.js";

export function renderHistory(caller, call) {
  const box = $("caller-history");
  box.hidden = false;
  box.replaceChildren();
  const head = document.createElement("p");
  if (!call.caller_number) {
    head.textContent = call.caller_number_raw
      ? interpolate(gettext("Nomor tidak valid, disimpan apa adanya: %(number)s"), { number: call.caller_number_raw }, true)
      : gettext("Panggilan tanpa nomor (tanpa SIM).");
    box.appendChild(head);
    return;
  }
  head.innerHTML = "";
  const strong = document.createElement("strong");
  strong.textContent = call.caller_number;
  head.appendChild(strong);
  const c = caller.counts || {};
  const part = function (w) {
    const x = c[w] || {}, all = x.all || 0;
    return interpolate(ngettext("%(all)s panggilan (%(prank)s prank, %(ghost)s ghost, %(emergency)s darurat)",
      "%(all)s panggilan (%(prank)s prank, %(ghost)s ghost, %(emergency)s darurat)", all),
      { all: all, prank: x.prank || 0, ghost: x.ghost || 0, emergency: x.emergency || 0 }, true);
  };
  head.appendChild(document.createTextNode(" · " + interpolate(gettext("24 jam: %(day)s · 7 hari: %(week)s · 30 hari: %(month)s · total %(total)s"),
    { day: part("24h"), week: part("7d"), month: part("30d"), total: caller.calls_total }, true)));
  box.appendChild(head);
  const risk = document.createElement("p");
  const pct = Math.round((caller.prank_risk || 0) * 100);
  risk.className = "risk " + (pct >= 60 ? "high" : pct >= 30 ? "mid" : "low");
  risk.textContent = caller.risk_reasons && caller.risk_reasons.length
    ? interpolate(gettext("Risiko prank %(pct)s%: %(reasons)s (saran saja)"), { pct: pct, reasons: caller.risk_reasons.join("; ") }, true)
    : interpolate(gettext("Risiko prank %(pct)s% (saran saja)"), { pct: pct }, true);
  box.appendChild(risk);
  if (caller.blocked) {
    const b = document.createElement("p");
    b.className = "flag blocked";
    b.textContent = interpolate(gettext("Nomor sedang diblokir (%(level)s) — panggilan tetap dicatat dan dilayani."), { level: caller.block.level }, true);
    box.appendChild(b);
  }
  // The call on the desk is counted above; the list holds the calls before it.
  const earlier = (caller.recent || []).filter(function (r) { return r.id !== call.id; });
  if (earlier.length) {
    const title = document.createElement("p");
    title.className = "history-title";
    title.textContent = gettext("Panggilan sebelumnya:");
    box.appendChild(title);
    const list = document.createElement("ul");
    earlier.forEach(function (r) {
      const li = document.createElement("li");
      li.dataset.callId = r.id;
      const kind = r.call_type ? callTypeLabel(r.call_type) : gettext("belum diklasifikasi");
      li.textContent = [App.wibDateTime(r.received_at), kind, r.notes].filter(Boolean).join(" · ");
      if (r.incident_id) {
        // A caller asking again where the help is: the incident one click away, in its own tab.
        const link = document.createElement("a");
        link.href = "/incidents/" + r.incident_id + "/";
        link.target = "_blank";
        link.rel = "noopener";
        link.textContent = interpolate(gettext("kejadian #%(id)s"), { id: r.incident_id }, true);
        li.append(" · ", link);
      }
      list.appendChild(li);
    });
    box.appendChild(list);
  }
}
