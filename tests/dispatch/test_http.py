"""The one way the product reads an outside URL (dispatch.http.fetch_capped): it says who asks,
follows no redirect, stops past its byte cap, and refuses what is not a 200."""

from __future__ import annotations

import httpx
import pytest

from dispatch.http import FetchRefused, fetch_capped
from tests.stub_http import StubServer


@pytest.fixture
def stub():
    seen: list[dict] = []
    answers: dict[str, tuple[int, dict[str, str], bytes]] = {
        "/ok": (200, {}, b'{"ok": true}'),
        "/big": (200, {}, b"x" * 2048),
        "/moved": (302, {"Location": "/ok"}, b""),
        "/down": (503, {}, b"maintenance"),
    }

    def answer(request):
        path = request.path.split("?")[0]
        seen.append({"path": request.path, "user_agent": request.headers.get("User-Agent"), "accept": request.headers.get("Accept")})
        return answers[path]

    server = StubServer(answer)
    server.seen = seen
    yield server
    server.close()


def test_the_body_is_read_with_the_deployments_user_agent_and_the_accept_asked_for(stub, settings):
    settings.GEOCODER_USER_AGENT = "Dispatch112-Test/1.0 (+ops@example.org)"
    body = fetch_capped(f"{stub.base}/ok", params={"q": "jalan"}, accept="application/json", max_bytes=1024, timeout=2)
    assert body == b'{"ok": true}'
    assert stub.seen == [{"path": "/ok?q=jalan", "user_agent": "Dispatch112-Test/1.0 (+ops@example.org)", "accept": "application/json"}]


def test_an_answer_past_the_cap_is_refused_naming_the_cap(stub):
    with pytest.raises(FetchRefused, match="feed larger than 1 KB"):
        fetch_capped(f"{stub.base}/big", max_bytes=1024, timeout=2, what="feed")
    assert fetch_capped(f"{stub.base}/big", max_bytes=2048, timeout=2) == b"x" * 2048


@pytest.mark.parametrize("path, reason", [("/moved", "HTTP 302"), ("/down", "HTTP 503")])
def test_a_redirect_is_not_followed_and_what_is_not_a_200_is_refused(stub, path, reason):
    with pytest.raises(FetchRefused, match=reason):
        fetch_capped(f"{stub.base}{path}", max_bytes=1024, timeout=2)
    assert [s["path"] for s in stub.seen] == [path]


def test_a_server_that_is_not_there_raises_httpxs_own_error():
    with pytest.raises(httpx.ConnectError):
        fetch_capped("http://127.0.0.1:9/nothing", max_bytes=1024, timeout=2)
