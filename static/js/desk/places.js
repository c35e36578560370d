import { $, state, say } from "./state.js";
import { scheduleSave } from "./form.js";

// The map of the city on the desk (map.js), with the call's point on it.
export let city = null;

// Places the notes name (landmarks, kelurahan): offered, set only when the operator picks one.
export function showPlaces(places) {
  state.places = places;
  App.placeButtons($("places"), places, function (place) { usePlace(place); scheduleSave(); });
  const first = $("places").querySelector("button");
  if (first) {
    // The first place offered also takes one key.
    const kbd = document.createElement("kbd");
    kbd.textContent = "Alt+P";
    first.append(" ", kbd);
    first.setAttribute("aria-keyshortcuts", "Alt+P");
  }
}

export function pickFirstPlace() {
  if (!state.call || !state.places.length) return false;
  usePlace(state.places[0]);
  scheduleSave();
  say(interpolate(gettext("Lokasi: %(place)s"), { place: state.places[0].name }, true));
  return true;
}

// The call's point on the map, put there or moved; `show` brings it into view.
export function pin(ll, show) {
  if (!city) return;
  if (state.marker) state.marker.setLatLng(ll); else state.marker = L.marker(ll).addTo(city.map);
  if (show) city.map.setView(ll, Math.max(city.map.getZoom(), 15));
}

function usePlace(place) {
  App.usePlace(place, $("kelurahan"), $("address"), function (lat, lon) {
    pin(L.latLng(lat, lon), true);
    $("location-text").textContent = place.kelurahan ? place.kelurahan.name + ", " + place.kecamatan : place.name;
  });
}

const mapEl = $("map");
if (mapEl && window.CityMap) {
  city = CityMap(mapEl);
  city.map.on("click", async function (e) {
    if (!state.call) return;
    pin(e.latlng, false);
    try {
      const r = await App.api("GET", "/geo/reverse/?lat=" + e.latlng.lat + "&lon=" + e.latlng.lng);
      $("location-text").textContent = r.inside_city ? r.kelurahan.name + ", " + r.kecamatan.name : gettext("Di luar Kota Bengkulu");
      if (r.inside_city) App.setKelurahan($("kelurahan"), r.kelurahan.code);
    } catch (err) { /* the point is kept even if the lookup fails */ }
    scheduleSave();
  });
}
