// Agency posts: every post with a point on the map; the selected post's marker moves where the map
// is clicked or where it is dragged, and its coordinates fill the form (which can also be typed).
(function () {
  "use strict";
  const element = document.getElementById("posts-map");
  if (!element || !window.CityMap || !window.L) return;
  const posts = JSON.parse(document.getElementById("posts-on-map").textContent);
  const form = document.getElementById("post-form");
  const selectedId = form ? Number(form.dataset.station) : null;
  const latInput = document.getElementById("post-lat");
  const lonInput = document.getElementById("post-lon");
  const where = document.getElementById("post-where");
  const city = window.CityMap(element, { zoom: 13, zoomSnap: 0.25 });
  window.PostsMap = city;  // the browser tests click on it at a known point

  function label(post) {
    return post.name + " · " + post.agency + " · " + (post.approximate ? gettext("perkiraan") : gettext("sudah dicek"));
  }
  posts.forEach(function (post) {
    if (post.id === selectedId) return;
    const text = label(post);
    const marker = L.marker([post.lat, post.lon], { title: text, alt: text, keyboard: false }).addTo(city.map);
    marker.bindTooltip(window.CityMap.text(text));
    if (post.approximate) marker.getElement().classList.add("post-approximate");
    // A click on another post's marker places the selected post there too (two posts in one building).
    marker.on("click", function (e) { place(e.latlng); });
  });
  element.dataset.markers = String(posts.length);
  if (!form) return;

  let marker = null;
  let lookup = 0;
  function round(value) { return Math.round(value * 1e6) / 1e6; }
  function putMarker(ll) {
    if (marker) { marker.setLatLng(ll); return; }
    const name = form.querySelector("h2").firstChild.textContent.trim();
    marker = L.marker(ll, { draggable: true, title: name, alt: name, autoPan: true }).addTo(city.map);
    marker.getElement().classList.add("post-selected");
    marker.bindTooltip(window.CityMap.text(name), { permanent: true, direction: "top", offset: [0, -36] });
    marker.on("dragend", function () { place(marker.getLatLng(), true); });
  }
  // Where the point is, said in words: the kelurahan, or that it lies outside the city.
  function describe(lat, lon) {
    const ticket = ++lookup;
    fetch(form.dataset.reverse + "?lat=" + encodeURIComponent(lat) + "&lon=" + encodeURIComponent(lon), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (ticket !== lookup) return;
        where.textContent = body.inside_city
          ? interpolate(gettext("Titik baru di kelurahan %s (%s)."), [body.kelurahan.name, body.kecamatan.name])
          : gettext("Titik baru di luar batas kota: pos hanya boleh sedikit di luarnya.");
      })
      .catch(function () { where.textContent = ""; });
  }
  function place(ll, dragged) {
    const lat = round(ll.lat), lon = round(ll.lng);
    latInput.value = String(lat);
    lonInput.value = String(lon);
    if (!dragged) putMarker([lat, lon]);
    element.dataset.placed = lat + "," + lon;
    describe(lat, lon);
  }
  function typed() {
    const lat = Number(latInput.value.replace(",", ".")), lon = Number(lonInput.value.replace(",", "."));
    if (!latInput.value.trim() || !lonInput.value.trim() || !isFinite(lat) || !isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return;
    putMarker([lat, lon]);
    city.map.panTo([lat, lon]);
    describe(lat, lon);
  }
  latInput.addEventListener("change", typed);
  lonInput.addEventListener("change", typed);
  city.map.on("click", function (e) { place(e.latlng); });
  // The point typed before a refused save when it is near the city (else the post's own point), centred.
  city.ready.then(function (outlines) {
    const typedPoint = [Number(latInput.value), Number(lonInput.value)];
    const near = outlines.getBounds().pad(0.05);
    let start = null;
    if (latInput.value && lonInput.value && isFinite(typedPoint[0]) && isFinite(typedPoint[1])
        && Math.abs(typedPoint[0]) <= 90 && Math.abs(typedPoint[1]) <= 180 && near.contains(typedPoint)) start = typedPoint;
    else if (form.dataset.lat && form.dataset.lon) start = [Number(form.dataset.lat), Number(form.dataset.lon)];
    if (start) {
      putMarker(start);
      city.map.setView(start, 16);
    }
    element.dataset.ready = "1";
  });
  const current = document.querySelector(".posts-list li.is-selected");
  if (current) current.scrollIntoView({ block: "nearest" });
})();
