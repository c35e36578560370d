"""A local stand-in for a Nominatim server: answers /search in jsonv2, records what it was asked, and can
be told to answer garbage, an error, slowly, with a redirect or too much."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

from tests.stub_http import StubServer


def result(lat: float, lon: float, name: str = "Jalan Letjend Suprapto") -> dict:
    """One jsonv2 search result, as Nominatim writes it (coordinates as strings)."""
    return {
        "place_id": 1, "osm_type": "way", "osm_id": 2, "lat": str(lat), "lon": str(lon), "category": "highway",
        "type": "secondary", "place_rank": 26, "importance": 0.1, "addresstype": "road", "name": name,
        "display_name": f"{name}, Kota Bengkulu, Bengkulu, Sumatera, Indonesia",
        "boundingbox": [str(lat - 0.001), str(lat + 0.001), str(lon - 0.001), str(lon + 0.001)],
    }


class NominatimServer(StubServer):
    def __init__(self) -> None:
        self.results: list[dict] = []
        self.status = 200
        self.body: bytes | None = None  # overrides the JSON of `results`
        self.delay = 0.0
        self.location: str | None = None  # answer a redirect there
        self.requests: list[dict] = []
        super().__init__(self._answer)

    def _answer(self, request) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(request.path)
        self.requests.append({
            "path": parts.path,
            "params": {k: v[0] for k, v in parse_qs(parts.query).items()},
            "user_agent": request.headers.get("User-Agent"),
            "at": time.monotonic(),
        })
        if self.delay:
            time.sleep(self.delay)
        body = self.body if self.body is not None else json.dumps(self.results).encode()
        headers = {"Content-Type": "application/json", **({"Location": self.location} if self.location else {})}
        return self.status, headers, body
