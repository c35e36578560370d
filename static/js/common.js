// Small helpers shared by every page (no inline scripts: the CSP forbids them).
(function () {
  "use strict";
  // Django's script catalog (/jsi18n/, loaded before this file by base.html) defines gettext,
  // ngettext and interpolate, which every page script uses as globals. Should it fail to load,
  // these stand-ins keep the scripts working, in Bahasa Indonesia.
  window.gettext = window.gettext || function (s) { return s; };
  window.ngettext = window.ngettext || function (s, p, n) { return n === 1 ? s : p; };
  window.interpolate = window.interpolate || function (fmt, obj, named) { return named ? fmt.replace(/%\(\w+\)s/g, function (m) { return String(obj[m.slice(2, -2)]); }) : fmt; };
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  function cookie(name) {
    const match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }
  // `keepalive`: the browser still delivers the request after the page is left or reloaded.
  async function api(method, url, body, idempotencyKey, keepalive) {
    const headers = { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": cookie("csrftoken") };
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    const response = await fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      keepalive: !!keepalive,
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const error = new Error((data && data.detail) || ("HTTP " + response.status));
      error.status = response.status;
      error.data = data;
      error.retryAfter = response.headers.get("Retry-After");
      throw error;
    }
    return data;
  }
  // A request the server did not take (no answer, or 502/503/504: busy or restarting) is sent
  // again after its Retry-After (or a backoff of 1, 2, 4, 8 s), up to RETRY_LIMIT tries; other
  // errors are thrown at once. Only for requests that are safe to repeat. `onRetry(seconds, attempt)`
  // tells the user; if `wanted()` turns false while waiting, it stops and resolves to undefined.
  const RETRY_LIMIT = 30;
  function transient(error) {
    return !error.status || error.status === 502 || error.status === 503 || error.status === 504;
  }
  function retryDelay(error, attempt) {
    const asked = parseInt(error.retryAfter, 10);
    const seconds = Number.isFinite(asked) && asked > 0 ? asked : Math.min(2 ** (attempt - 1), 8);
    return Math.min(seconds, 10);
  }
  async function untilTaken(send, onRetry, wanted) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (e) {
        if (!transient(e) || attempt >= RETRY_LIMIT) throw e;
        const seconds = retryDelay(e, attempt);
        onRetry(seconds, attempt + 1);
        await new Promise(function (resolve) { window.setTimeout(resolve, seconds * 1000); });
        if (wanted && !wanted()) return undefined;
      }
    }
  }
  // An onRetry for untilTaken that says in `el` what is happening.
  function retryNotice(el) {
    return function (seconds, attempt) {
      if (!el) return;
      el.textContent = interpolate(ngettext(
        "Server sibuk atau tidak terjangkau; dikirim ulang dalam %(seconds)s detik (percobaan %(attempt)s).",
        "Server sibuk atau tidak terjangkau; dikirim ulang dalam %(seconds)s detik (percobaan %(attempt)s).", seconds),
      { seconds: seconds, attempt: attempt }, true);
    };
  }
  // An alert is stored with its message in Bahasa Indonesia (as it goes to Telegram and the audit
  // log); the screen tells a known kind in its own language from the alert's data.
  function wibTime(iso) {
    return new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Asia/Jakarta" });
  }
  // Day and time in WIB whatever the browser's own time zone (a date, or an ISO string).
  function wibDateTime(iso) {
    return new Date(iso).toLocaleString("en-GB", {
      day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Asia/Jakarta",
    }) + " WIB";
  }
  function alertMessage(data) {
    switch (data.kind) {
      case "callback_overdue":
        return interpolate(gettext("Panggilan balik untuk ghost call #%(id)s melewati batas waktu."), { id: data.call_id }, true);
      case "blocked_caller_burst":
        return interpolate(gettext("Nomor diblokir %(number)s menelepon %(calls)s kali dalam %(minutes)s menit: mungkin darurat sungguhan."),
          { number: data.caller_number, calls: data.calls, minutes: data.minutes }, true);
      case "sweep_stand_in":
        if (!data.last_task_sweep) {
          return gettext("Antrean tugas (Redis, Celery beat atau worker) tidak menjalankan sweep sejak server web berjalan; server web mengambil alih eskalasi dan notifikasi.");
        }
        return interpolate(gettext("Antrean tugas (Redis, Celery beat atau worker) tidak menjalankan sweep sejak %(time)s WIB; server web mengambil alih eskalasi dan notifikasi."),
          { time: wibTime(data.last_task_sweep) }, true);
      case "p1_undispatched":
        return interpolate(gettext("Kejadian P1 #%(id)s belum dikirim ke instansi setelah %(waited)s."),
          { id: data.incident_id, waited: Math.floor(data.seconds / 60) + ":" + String(data.seconds % 60).padStart(2, "0") }, true);
      case "sweep_task_queue_back":
        return gettext("Antrean tugas menjalankan sweep lagi; server web berhenti mengambil alih.");
      default:
        return data.message;
    }
  }
  // The places a text names (the `places` of /desk/suggest/), one button each; `pick(place)` on a click.
  function placeButtons(box, places, pick) {
    box.replaceChildren();
    box.hidden = !places.length;
    if (!places.length) return;
    const label = document.createElement("span");
    label.textContent = gettext("Lokasi disebut:");
    box.append(label);
    places.forEach(function (place) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.place = place.name;
      // A landmark or a street is a point, named with its kelurahan; a kelurahan is an area.
      button.textContent = place.kind !== "kelurahan"
        ? (place.kelurahan ? interpolate(gettext("%(name)s (Kel. %(kelurahan)s)"), { name: place.name, kelurahan: place.kelurahan.name }, true) : place.name)
        : interpolate(gettext("Kel. %(name)s"), { name: place.name }, true);
      button.addEventListener("click", function () { pick(place); });
      box.append(button);
    });
  }
  // A kelurahan <input> and its <datalist> (options "name — kecamatan" with data-code): the code of
  // the option typed or picked ("" for none), and picking the option of a code.
  function kelurahanCode(input) {
    const option = Array.from(input.list.options).find(function (o) { return o.value === input.value; });
    return option ? option.dataset.code : "";
  }
  function setKelurahan(input, code) {
    const option = code && Array.from(input.list.options).find(function (o) { return o.dataset.code === code; });
    if (option) input.value = option.value;
  }
  // A place offered by placeButtons, put into a location form: its kelurahan, and for a landmark or a
  // street its name as the address (unless one was typed) and its point, handed to `pin(lat, lon)`.
  function usePlace(place, kelurahanInput, addressInput, pin) {
    setKelurahan(kelurahanInput, place.kelurahan && place.kelurahan.code);
    if (place.kind === "kelurahan") return;  // an area: no point on the map for it
    if (!addressInput.value.trim()) addressInput.value = place.name;
    pin(place.lat, place.lon);
  }
  function since(iso) {
    const seconds = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 1000));
    const m = Math.floor(seconds / 60), s = seconds % 60;
    if (m >= 60) return interpolate(gettext("%(hours)sj %(minutes)sm"), { hours: Math.floor(m / 60), minutes: m % 60 }, true);
    return m + ":" + String(s).padStart(2, "0");
  }
  function tickTimers() {
    // Written only when the text changed: twenty desks redrawing unchanged clocks every second
    // compete with the frame that shows a ringing call.
    document.querySelectorAll("[data-since]").forEach(function (el) {
      const text = since(el.dataset.since);
      if (el.textContent !== text) el.textContent = text;
      // data-late-after="S": marked late once S seconds have passed since data-late-from (else data-since).
      if (el.dataset.lateAfter) {
        const from = Date.parse(el.dataset.lateFrom || el.dataset.since);
        el.classList.toggle("late", Date.now() - from >= parseInt(el.dataset.lateAfter, 10) * 1000);
      }
    });
  }
  // Draw part of a page again from the server's HTML without losing what is being typed there:
  // the inputs matching `selector`, matched old to new by their data attribute `key`, keep their
  // text, and the one with the cursor keeps it.
  function redrawKeepingTyped(container, html, selector, key) {
    const typed = {};
    container.querySelectorAll(selector).forEach(function (input) {
      if (input.value) typed[input.dataset[key]] = input.value;
    });
    const active = document.activeElement;
    const focused = active && container.contains(active) && active.matches(selector)
      ? { id: active.dataset[key], start: active.selectionStart, end: active.selectionEnd } : null;
    container.innerHTML = html;
    container.querySelectorAll(selector).forEach(function (input) {
      const id = input.dataset[key];
      if (typed[id] !== undefined) input.value = typed[id];
      if (focused && focused.id === id) {
        input.focus();
        input.setSelectionRange(focused.start, focused.end);
      }
    });
  }
  // The session is gone (logged out, timed out, or no longer allowed here): the screen stops
  // refreshing and says so, with a link to sign in again, instead of showing stale data as live.
  let signedOut = false;
  function showSignedOut() {
    signedOut = true;
    const notice = document.getElementById("signed-out");
    if (notice) notice.hidden = false;
    document.body.classList.add("session-ended");
  }
  // Part of a page drawn again from the server (a partial), on every live change. A burst of
  // requests within COALESCE_MS is one fetch; one asked for while a fetch is under way is one more
  // fetch after it. The answer is used only if it is the partial itself: a 401/403, or a redirect
  // (to the login or two-step page), shows the signed-out notice and inserts nothing.
  // `url`: a string or a function returning one; `apply(html)` puts the answer in place.
  // `request()` asks for a refresh; `now()` fetches at once (after a change this page made),
  // dropping a fetch under way, whose answer may predate the change, and resolves to whether it applied.
  const COALESCE_MS = 100;
  const STALE_MS = 15000;
  const PARTIAL_HEADER = "X-Partial";
  function partialRefresher(url, apply, options) {
    const delay = options && options.delay !== undefined ? options.delay : COALESCE_MS;
    let timer = null;
    let controller = null;
    let again = false;
    let waiting = [];

    function settle(applied) {
      waiting.splice(0).forEach(function (resolve) { resolve(applied); });
    }

    async function run() {
      timer = null;
      if (signedOut) { settle(false); return; }
      const mine = new AbortController();
      controller = mine;
      const staleTimer = window.setTimeout(function () { mine.abort(); }, STALE_MS);
      const target = typeof url === "function" ? url() : url;
      let applied = false;
      try {
        const response = await fetch(target, {
          credentials: "same-origin",
          headers: { Accept: "text/html", [PARTIAL_HEADER]: "1" },
          signal: mine.signal,
        });
        const asked = new URL(target, window.location.href);
        const landed = new URL(response.url || asked.href);
        const type = response.headers.get("Content-Type") || "";
        if (response.status === 401 || response.status === 403 || (response.redirected && landed.pathname !== asked.pathname)) {
          showSignedOut();
        } else if (response.ok && type.indexOf("text/html") === 0) {
          const html = await response.text();
          if (controller === mine && !signedOut) {
            apply(html);
            tickTimers();
            applied = true;
          }
        }
        // Anything else (a 5xx, a database outage): the page keeps what it shows; the next change refreshes it.
      } catch (e) {
        // Aborted (stale, or dropped for a newer one) or no answer: the same.
      } finally {
        window.clearTimeout(staleTimer);
      }
      if (controller !== mine) return;  // dropped for a newer fetch, which settles the waiting
      controller = null;
      settle(applied);
      if (again) { again = false; request(); }
    }

    function request() {
      if (signedOut) return;
      if (controller) { again = true; return; }
      if (timer === null) timer = window.setTimeout(run, delay);
    }

    function now() {
      return new Promise(function (resolve) {
        waiting.push(resolve);
        window.clearTimeout(timer);
        again = false;
        if (controller) controller.abort();
        controller = null;
        run();
      });
    }

    return { request: request, now: now };
  }
  window.setInterval(tickTimers, 1000);
  document.addEventListener("DOMContentLoaded", tickTimers);
  window.App = {
    api: api, untilTaken: untilTaken, retryNotice: retryNotice, cookie: cookie, since: since, tickTimers: tickTimers,
    alertMessage: alertMessage, wibTime: wibTime, wibDateTime: wibDateTime, placeButtons: placeButtons,
    kelurahanCode: kelurahanCode, setKelurahan: setKelurahan, usePlace: usePlace, redrawKeepingTyped: redrawKeepingTyped,
    partialRefresher: partialRefresher, showSignedOut: showSignedOut, get signedOut() { return signedOut; },
  };
})();
