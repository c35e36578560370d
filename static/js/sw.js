// Service worker: shows the push a new or escalated dispatch sends, even with the phone's screen off.
/* global self, clients */
self.addEventListener("push", function (event) {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { title: event.data && event.data.text() }; }
  const title = data.title || "112 Kota Bengkulu";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.tag || "dispatch",
    renotify: true,
    requireInteraction: true,
    vibrate: [400, 150, 400, 150, 400, 150, 800],
    data: { url: data.url || "/agency/" },
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/agency/";
  event.waitUntil(clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    for (const w of windows) {
      if (new URL(w.url).pathname === url && "focus" in w) return w.focus();
    }
    return clients.openWindow(url);
  }));
});
