"""Two separate server processes on one database and one Redis: events cross between them."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from tests.servers import POOLED, start_server, stop_process

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_servers(ref):
    import os

    first = start_server({"REDIS_URL": os.environ["REDIS_URL"], **POOLED})
    try:
        second = start_server({"REDIS_URL": os.environ["REDIS_URL"], **POOLED})
    except Exception:
        stop_process(first[0])
        raise
    yield first[1], second[1]
    stop_process(first[0])
    stop_process(second[0])


def test_socket_on_server_a_receives_in_order_the_events_of_changes_posted_to_server_b(two_servers, make_user):
    import httpx
    import websockets
    from dispatch.tokens import token_create

    from calls.models import Call

    server_a, server_b = two_servers
    token = token_create(user=make_user("operator")).key
    headers = {"Authorization": f"Token {token}"}
    n_calls = 12

    async def scenario():
        async with websockets.connect(server_a.replace("http", "ws") + "/ws/live/", additional_headers=headers, origin=server_a) as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert hello["type"] == "hello"
            ids = []
            async with httpx.AsyncClient(base_url=server_b, headers=headers, timeout=10) as client:
                for i in range(n_calls):
                    r = await client.post("/api/v1/calls/", json={"caller_number": f"0812555{i:05d}"},
                                          headers={"Idempotency-Key": uuid.uuid4().hex})
                    assert r.status_code == 201, r.text
                    ids.append(r.json()["id"])
                r = await client.post(f"/api/v1/calls/{ids[0]}/classify/", json={"call_type": "information"})
                assert r.status_code == 200, r.text
            received = []
            while len(received) < n_calls + 1:
                received.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
            return hello["seq"], ids, received

    start, ids, received = asyncio.run(scenario())
    seqs = [m["seq"] for m in received]
    assert seqs == list(range(start + 1, start + n_calls + 2))  # in order, no gaps, nothing extra
    assert [m["data"]["id"] for m in received[:n_calls]] == ids
    assert [m["type"] for m in received] == ["call.created"] * n_calls + ["call.updated"]
    assert received[-1]["data"]["call_type"] == "information"
    assert Call.objects.filter(pk__in=ids).count() == n_calls
