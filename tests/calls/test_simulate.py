"""`manage.py simulate`: the scenario played into a real server, and its client's retries."""

from __future__ import annotations

import asyncio
import io
import json
import os

import pytest
from django.core.management import call_command

from calls.management.commands import simulate
from calls.models import Call
from dispatch.models import Incident
from tests.servers import POOLED, start_server, stop_process


@pytest.mark.parametrize(
    ("retry_after", "attempt", "seconds"),
    [(None, 1, 1), (None, 2, 2), (None, 3, 4), (None, 6, 8), ("3", 1, 3), ("60", 1, 10), ("0", 3, 4), ("soon", 2, 2)],
)
def test_retry_delay_takes_retry_after_else_backs_off_and_is_at_most_ten_seconds(retry_after, attempt, seconds):
    assert simulate.retry_delay(retry_after, attempt) == seconds


class _Answer:
    def __init__(self, status_code: int, headers: dict | None = None):
        self.status_code, self.headers = status_code, headers or {}


class _FlakyServer:
    """No answer, then 503 with Retry-After, then 201: records what each try sent."""

    def __init__(self):
        self.tries: list[tuple[str, dict, dict]] = []

    async def post(self, path, json=None, headers=None):
        self.tries.append((path, json, headers))
        if len(self.tries) == 1:
            raise OSError("connection refused")
        if len(self.tries) == 2:
            return _Answer(503, {"retry-after": "1"})
        return _Answer(201)


def test_a_call_the_server_did_not_take_is_sent_again_with_the_same_body_and_key():
    server = _FlakyServer()
    simulator = simulate.Simulator(base_url="http://unused", token="t", seed=1, think=0.0)
    answer, ms = asyncio.run(simulator._post(server, "/api/v1/calls/", {"notes": "gempa"}, {"Idempotency-Key": "k-1"}))
    assert answer.status_code == 201
    assert [t[1:] for t in server.tries] == [({"notes": "gempa"}, {"Idempotency-Key": "k-1"})] * 3
    assert ms >= 2000  # 1 s after no answer (first backoff), 1 s as the 503 asked


def test_a_refused_call_is_not_sent_again():
    class Refusing:
        tries = 0

        async def post(self, path, json=None, headers=None):
            Refusing.tries += 1
            return _Answer(400)

    simulator = simulate.Simulator(base_url="http://unused", token="t", seed=1, think=0.0)
    answer, _ = asyncio.run(simulator._post(Refusing(), "/api/v1/calls/", {}, {}))
    assert answer.status_code == 400 and Refusing.tries == 1


class _SlowClassifyServer:
    """Creates at once; answers each classification after `seconds`."""

    def __init__(self, seconds: float):
        self.seconds, self.created = seconds, 0

    async def post(self, path, json=None, headers=None):
        if path == "/api/v1/calls/":
            self.created += 1
            answer = _Answer(201)
            answer.json = lambda n=self.created: {"id": n}
            return answer
        await asyncio.sleep(self.seconds)
        return _Answer(200)

    async def get(self, path, params=None):
        answer = _Answer(200)
        answer.json = lambda: {"candidates": []}
        return answer

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return None


def test_calls_ring_in_while_earlier_ones_wait_for_a_desk_and_the_wait_counts_until_classified():
    simulator = simulate.Simulator(base_url="http://unused", token="t", seed=3, think=0.0)
    # Calls arrive together, all in the surge; one desk, each classification takes 0.2 s.
    stats = asyncio.run(simulator.run(rate=1000, duration=0.004, surge_factor=1, surge_at=0, surge_seconds=1,
                                      max_in_flight=1, client=_SlowClassifyServer(0.2)))
    assert stats.created >= 2 and len(stats.surge_classified_after_ms) == stats.created
    # Every call was recorded as it rang, not after the classifications before it.
    assert max(stats.surge_create_ms) < 100
    # The last one classified waited for the desk: the classifications before it, then its own.
    after = sorted(stats.surge_classified_after_ms)
    assert after[0] >= 195 and after[-1] >= 200 * stats.created - 10


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_command_plays_a_normal_mix_then_a_surge_and_every_call_is_stored_and_classified(ref, make_user, tmp_path):
    from dispatch.tokens import token_create

    token = token_create(user=make_user("operator", username="simulator")).key
    proc, base = start_server({"REDIS_URL": os.environ["REDIS_URL"], **POOLED})
    try:
        out = tmp_path / "simulate.json"
        call_command("simulate", rate=3, duration=6, surge_factor=6, base_url=base, token=token, seed=7,
                     json_out=str(out), stdout=io.StringIO())
    finally:
        stop_process(proc)
    result = json.loads(out.read_text())
    assert result["errors"] == {}
    assert result["sent"] == result["created"] == len(result["call_ids"]) > 20
    assert result["surge_calls"] > 0 and result["surge_started"] < result["surge_ended"]
    stored = Call.objects.filter(pk__in=result["call_ids"])
    assert stored.count() == result["sent"]
    assert not stored.exclude(status=Call.Status.CLASSIFIED).exists()
    # The surge's calls report a few incidents: later calls about one are offered it and join it.
    assert result["duplicates_api"] is True and result["duplicate_suggestions"] > 0
    assert result["joined_existing"] == result["duplicate_suggestions"]
    emergencies = stored.filter(call_type="emergency")
    assert emergencies.count() == result["joined_existing"] + result["incidents_opened"]
    assert Incident.objects.filter(calls__in=emergencies).distinct().count() == result["incidents_opened"]
