"""Reading an outside URL (the geocoder, the hazard feeds): one GET that cannot hold a worker or its
memory hostage. It follows no redirect, gives up after a timeout, stops reading past a byte cap,
and says who is asking (GEOCODER_USER_AGENT names the deployment and a contact; a deploy check
warns when it names none).

httpx's own errors (connection refused, timeouts) are raised as they are; an answer that is not a
200, too large, or (with `whole_answer_within`) too slow raises FetchRefused. Each caller turns
both into its own error.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import httpx
from django.conf import settings


class FetchRefused(Exception):
    """The server answered, but not with something to read: not a 200, too large, too slow."""


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit % (1024 * 1024) == 0 else f"{limit // 1024} KB"


def fetch_capped(
    url: str,
    *,
    max_bytes: int,
    timeout: float,
    params: Mapping[str, str] | None = None,
    accept: str = "*/*",
    whole_answer_within: bool = False,
    what: str = "answer",
) -> bytes:
    """The body of `GET url`, at most `max_bytes`. `timeout` bounds each network step; with
    `whole_answer_within` the whole answer must also arrive within it (a server trickling bytes is
    cut off). `what` names the body in the errors ("feed larger than 1 MB")."""
    headers = {"User-Agent": settings.GEOCODER_USER_AGENT, "Accept": accept}
    deadline = time.monotonic() + timeout
    with httpx.stream("GET", url, params=params, headers=headers, timeout=timeout, follow_redirects=False) as response:
        if response.status_code != 200:
            raise FetchRefused(f"HTTP {response.status_code}")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise FetchRefused(f"{what} larger than {_size(max_bytes)}")
            if whole_answer_within and time.monotonic() > deadline:
                raise FetchRefused(f"{what} slower than the timeout")
    return bytes(body)
