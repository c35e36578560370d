// The call desk's shared parts: the call on the desk and what the desk is doing, the status line,
// and sending a request until the server takes it.
export const $ = function (id) { return document.getElementById(id); };
export const state = {
  call: null, saveTimer: null, suggestTimer: null, marker: null, aml: null, amlLayer: null, starting: false, classifying: false, saves: 0, pendingSave: false,
  suggestion: null, places: [], askingType: false,
  panel: null, sending: false,  // the dispatch panel: the incident it is for, and a dispatch under way
};
const fields = ["notes", "kelurahan", "address", "incident-type"];
const statusEl = $("form-status");

export function say(text, isError) {
  statusEl.textContent = text;
  statusEl.classList.toggle("error", !!isError);
}
export function enable(on) {
  fields.forEach(function (id) { $(id).disabled = !on; });
  document.querySelectorAll("button[data-call-type]").forEach(function (b) { b.disabled = !on; });
  $("start-call").disabled = on;
  $("caller-number").readOnly = on;
}

// A call that reached the server is never dropped: a request the server did not take (see
// App.untilTaken) is sent again with the same body (and, for a new call, the same
// Idempotency-Key), so the call is stored once however many times it is sent. Saving notes and
// classifying are safe to send again too: the same notes, or the classification the call already
// has, change nothing. Other errors (bad input) are shown at once.

// One whole sentence per kind of request (not a noun spliced in), so each language orders its own words.
export const RETRY_TEXT = {
  call: function (n) {
    return ngettext("Server sibuk atau tidak terjangkau; panggilan dikirim ulang dalam %(seconds)s detik (percobaan %(attempt)s).",
      "Server sibuk atau tidak terjangkau; panggilan dikirim ulang dalam %(seconds)s detik (percobaan %(attempt)s).", n);
  },
  notes: function (n) {
    return ngettext("Server sibuk atau tidak terjangkau; catatan dikirim ulang dalam %(seconds)s detik (percobaan %(attempt)s).",
      "Server sibuk atau tidak terjangkau; catatan dikirim ulang dalam %(seconds)s detik (percobaan %(attempt)s).", n);
  },
  classify: function (n) {
    return ngettext("Server sibuk atau tidak terjangkau; klasifikasi dikirim ulang dalam %(seconds)s detik (percobaan %(attempt)s).",
      "Server sibuk atau tidak terjangkau; klasifikasi dikirim ulang dalam %(seconds)s detik (percobaan %(attempt)s).", n);
  },
  dispatch: function (n) {
    return ngettext("Server sibuk atau tidak terjangkau; pengiriman ke instansi diulang dalam %(seconds)s detik (percobaan %(attempt)s).",
      "Server sibuk atau tidak terjangkau; pengiriman ke instansi diulang dalam %(seconds)s detik (percobaan %(attempt)s).", n);
  },
};

// Sends until the server takes the request (`retrying` names its RETRY_TEXT); resolves to undefined if `wanted()` turns false
// while waiting (a newer save replaced this one).
export function untilTaken(send, retrying, wanted) {
  return App.untilTaken(send, function (seconds, attempt) {
    say(interpolate(RETRY_TEXT[retrying](seconds), { seconds: seconds, attempt: attempt }, true), true);
  }, wanted);
}
