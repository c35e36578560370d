import { $, state } from "./state.js";
import { scheduleSave } from "./form.js";
import { city, pin } from "./places.js";

// AML: the handset's own location, drawn with its accuracy circle; the operator chooses to use it.
export function clearAml() {
  state.aml = null;
  if (state.amlLayer) { state.amlLayer.remove(); state.amlLayer = null; }
  $("aml-info").hidden = true;
  $("use-aml").hidden = true;
}

function useAml() {
  const aml = state.aml;
  if (!aml || !city) return;
  pin(L.latLng(aml.lat, aml.lon), false);
  App.setKelurahan($("kelurahan"), aml.kelurahan_code);
  $("location-text").textContent = aml.kelurahan || gettext("Di luar Kota Bengkulu");
}

export function showAml(aml) {
  state.aml = aml;
  const info = $("aml-info");
  const parts = [info.dataset.label];
  if (aml.radius_m !== null && aml.radius_m !== undefined) parts.push("±" + Math.round(aml.radius_m) + " m");
  parts.push(aml.kelurahan || gettext("di luar Kota Bengkulu"));
  if (aml.method) parts.push(aml.method.toUpperCase());
  if (aml.confidence !== null && aml.confidence !== undefined) parts.push(aml.confidence + "%");
  info.textContent = parts.join(" · ");
  info.hidden = false;
  $("use-aml").hidden = false;
  if (city) {
    if (state.amlLayer) state.amlLayer.remove();
    const ll = L.latLng(aml.lat, aml.lon);
    const circle = L.circle(ll, { radius: aml.radius_m || 10, color: "#c0392b", weight: 2, fillOpacity: 0.15 });
    state.amlLayer = L.layerGroup([circle, L.circleMarker(ll, { radius: 4, color: "#c0392b", fillOpacity: 1 })]).addTo(city.map);
    state.amlLayer.amlCircle = circle;
    city.map.fitBounds(circle.getBounds(), { maxZoom: 17 });
  }
  // The server copied the fix into a call that had no location: show it in the form so autosave keeps it.
  if (aml.applied && !state.marker) useAml();
}

$("use-aml").addEventListener("click", function () { useAml(); scheduleSave(); });
