"""A local stand-in for a Nominatim server: answers /search in jsonv2, records what it was asked, and can
be told to answer garbage, an error, slowly, with a redirect or too much."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def result(lat: float, lon: float, name: str = "Jalan Letjend Suprapto") -> dict:
    """One jsonv2 search result, as Nominatim writes it (coordinates as strings)."""
    return {
        "place_id": 1, "osm_type": "way", "osm_id": 2, "lat": str(lat), "lon": str(lon), "category": "highway",
        "type": "secondary", "place_rank": 26, "importance": 0.1, "addresstype": "road", "name": name,
        "display_name": f"{name}, Kota Bengkulu, Bengkulu, Sumatera, Indonesia",
        "boundingbox": [str(lat - 0.001), str(lat + 0.001), str(lon - 0.001), str(lon + 0.001)],
    }


class NominatimServer:
    def __init__(self) -> None:
        self.results: list[dict] = []
        self.status = 200
        self.body: bytes | None = None  # overrides the JSON of `results`
        self.delay = 0.0
        self.location: str | None = None  # answer a redirect there
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                server.requests.append({
                    "path": parts.path,
                    "params": {k: v[0] for k, v in parse_qs(parts.query).items()},
                    "user_agent": self.headers.get("User-Agent"),
                    "at": time.monotonic(),
                })
                if server.delay:
                    time.sleep(server.delay)
                body = server.body if server.body is not None else json.dumps(server.results).encode()
                try:
                    self.send_response(server.status)
                    if server.location:
                        self.send_header("Location", server.location)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
