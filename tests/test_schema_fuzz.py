"""Property-based API fuzzing with schemathesis against the served OpenAPI schema.

For each of three roles (operator, supervisor, agency staff of DAMKAR) at least 1,000 generated
requests go to a real uvicorn server on the test database, and every answer must be
* no server error (`not_a_server_error`),
* conform to the schema for its documented status (`response_schema_conformance`),
* free of another agency's data (`no_other_agency_data`, for the agency user): the world holds
  a POLRESTA-only incident and an incident dispatched to both DAMKAR and POLRESTA.

Authentication is `Authorization: Token <key>` with the DRF token row created directly: the token
endpoint would want a TOTP code for the supervisor, and OTPRequiredMiddleware only governs
interactive (session) logins, so token requests of a supervisor are served like any other.
POST /api/v1/auth/token/ is not fuzzed (failed logins would lock accounts out).
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from dispatch.tokens import token_create
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from calls.services import call_classify, call_create
from dispatch import services as dispatch_services
from tests.servers import POOLED, start_server, stop_process

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CASES_PER_ROLE = 1000
# Per operation and generation mode; operations with a small input space run out earlier, the
# total per role is counted and asserted.
MAX_EXAMPLES = {GenerationMode.POSITIVE: 45, GenerationMode.NEGATIVE: 25}
EXCLUDED = {("POST", "/api/v1/auth/token/")}
ID_PARAMS = {"call_id": "calls", "incident_id": "incidents", "dispatch_id": "dispatches", "callback_id": "callbacks"}

# What the agency user must never see; set per run by the test.
_FORBIDDEN: dict = {}


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _sent_text(case) -> str:
    return json.dumps([case.path_parameters, case.query, case.body], default=str)


def _leak(text: str, sent: str = "") -> str | None:
    """What of another agency `text` (an answer to the agency user) shows, or None."""
    for marker in _FORBIDDEN["strings"]:
        if marker in text and marker not in sent:
            return f"other agency's data {marker!r} in the answer"
    try:
        body = json.loads(text)
    except ValueError:
        return None
    for obj in _walk(body):
        for key in ("agency", "agency_code"):
            if isinstance(obj.get(key), str) and obj[key] != _FORBIDDEN["own_agency"]:
                return f"{key}={obj[key]!r} in the answer of {_FORBIDDEN['own_agency']} staff"
        if "incident_id" in obj and obj.get("id") in _FORBIDDEN["dispatch_ids"]:
            return f"another agency's dispatch #{obj['id']} in the answer"
        if "dispatches" in obj and obj.get("id") in _FORBIDDEN["incident_ids"]:
            return f"another agency's incident #{obj['id']} in the answer"
        if obj.get("incident_id") in _FORBIDDEN["incident_ids"]:
            return f"another agency's incident #{obj['incident_id']} in the answer"
    return None


@schemathesis.check
def no_other_agency_data(ctx, response, case):
    """The agency user's answers hold no dispatch, incident, event or caller of another agency."""
    if not _FORBIDDEN:
        return None
    found = _leak((response.content or b"").decode("utf-8", "replace"), _sent_text(case))
    if found:
        raise AssertionError(found)
    return None


def _emergency(operator, number: str):
    from agencies.geo import Location

    # Placed (Pagar Dewa): a P1 incident with no place is dispatched only with a reason.
    call, _ = call_create(operator=operator, caller_number=number, location=Location(lat=-3.84067, lon=102.32073))
    call = call_classify(call_id=call.pk, user=operator, call_type="emergency", incident_type="kebakaran_bangunan")
    return call.incident


def _world(make_user) -> dict:
    operator = make_user("operator")
    users = {
        "operator": operator,
        "supervisor": make_user("supervisor"),
        "agency": make_user("agency", "DAMKAR"),
        "polresta": make_user("agency", "POLRESTA"),
    }
    damkar = _emergency(operator, "081277700001")
    damkar_dispatch = dispatch_services.incident_dispatch(incident_id=damkar.pk, user=operator, agency_codes=["DAMKAR"])[0]
    acked = _emergency(operator, "081277700002")
    acked_dispatch = dispatch_services.incident_dispatch(incident_id=acked.pk, user=operator, agency_codes=["DAMKAR"])[0]
    dispatch_services.dispatch_acknowledge(dispatch_id=acked_dispatch.pk, user=users["agency"])
    # Another agency's own incident, and one both agencies work on.
    polresta = _emergency(operator, "081277700099")
    polresta_dispatch = dispatch_services.incident_dispatch(incident_id=polresta.pk, user=operator, agency_codes=["POLRESTA"])[0]
    dispatch_services.dispatch_acknowledge(dispatch_id=polresta_dispatch.pk, user=users["polresta"])
    joint = _emergency(operator, "081277700003")
    joint_dispatches = dispatch_services.incident_dispatch(incident_id=joint.pk, user=operator, agency_codes=["DAMKAR", "POLRESTA"])
    open_incident = _emergency(operator, "081277700004")
    call_create(operator=operator, caller_number="081277700005")  # still ringing
    ghost, _ = call_create(operator=operator, caller_number="081277700006")
    call_classify(call_id=ghost.pk, user=operator, call_type="ghost")

    from calls.models import Call, Callback

    polresta_only = [d.pk for d in joint_dispatches if d.agency.code == "POLRESTA"] + [polresta_dispatch.pk]
    return {
        "users": users,
        "ids": {
            "calls": list(Call.objects.values_list("pk", flat=True)),
            "incidents": [damkar.pk, acked.pk, polresta.pk, joint.pk, open_incident.pk],
            "dispatches": [damkar_dispatch.pk, acked_dispatch.pk, polresta_dispatch.pk] + [d.pk for d in joint_dispatches],
            "callbacks": list(Callback.objects.values_list("pk", flat=True)) or [1],
        },
        "forbidden": {
            "own_agency": "DAMKAR",
            "strings": ["POLRESTA", "081277700099"],
            "dispatch_ids": set(polresta_only),
            "incident_ids": {polresta.pk},
        },
        "joint": joint.pk,
    }


def _strategy(operation, mode: GenerationMode, ids: dict):
    strategy = operation.as_strategy(generation_mode=mode)
    names = [name for name in re.findall(r"{(\w+)}", operation.path) if name in ID_PARAMS]
    if mode is GenerationMode.POSITIVE and names:
        # Mostly the world's real objects, so the fuzzing reaches past the 404s.
        real = st.fixed_dictionaries({name: st.sampled_from(ids[ID_PARAMS[name]]) for name in names})
        strategy = st.one_of(
            strategy, real.flatmap(lambda path: operation.as_strategy(generation_mode=mode, path_parameters=path))
        )
    return strategy


def _fuzz(schema, base: str, token: str, ids: dict, checks: list) -> tuple[int, dict, Counter, list]:
    session = requests.Session()
    headers = {"Authorization": f"Token {token}"}
    count = 0
    per_operation: dict[str, int] = {}
    statuses: Counter = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in EXCLUDED:
            continue
        for mode, max_examples in MAX_EXAMPLES.items():
            label = f"{operation.method.upper()} {operation.path} [{mode.value}]"

            @settings(
                max_examples=max_examples,
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
                report_multiple_bugs=False,
            )
            @given(case=_strategy(operation, mode, ids))
            def run(case):
                nonlocal count
                count += 1
                per_operation[label] = per_operation.get(label, 0) + 1
                response = case.call_and_validate(base_url=base, session=session, headers=headers, checks=checks, timeout=30)
                statuses[response.status_code] += 1

            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every finding is collected, reported at the end
                if mode is GenerationMode.NEGATIVE and not per_operation.get(label):
                    continue  # nothing in this operation can be made invalid
                failures.append(f"{label}: {type(exc).__name__}: {str(exc)[:3000]}")
    session.close()
    return count, per_operation, statuses, failures


@pytest.mark.parametrize("role", ["operator", "supervisor", "agency"])
def test_schema_fuzz(ref, make_user, role):
    world = _world(make_user)
    token = token_create(user=world["users"][role]).key
    proc, base = start_server({"LOG_LEVEL": "ERROR", "AXES_ENABLED": "0", **POOLED})
    checks = [not_a_server_error, response_schema_conformance]
    if role == "agency":
        _FORBIDDEN.update(world["forbidden"])
        checks.append(no_other_agency_data)
    try:
        if role == "agency":
            # The check can see a leak: the floor's view of the joint incident has POLRESTA's dispatch.
            floor = token_create(user=world["users"]["operator"]).key
            answer = requests.get(f"{base}/api/v1/incidents/{world['joint']}/", headers={"Authorization": f"Token {floor}"}, timeout=10)
            assert answer.status_code == 200 and _leak(answer.text)
        schema = schemathesis.openapi.from_url(f"{base}/api/schema/?format=json", headers={"Authorization": f"Token {token}"})
        count, per_operation, statuses, failures = _fuzz(schema, base, token, world["ids"], checks)
        assert proc.poll() is None, "the server died"
    finally:
        _FORBIDDEN.clear()
        stop_process(proc)
    print(f"\n{role}: {count} generated cases over {len(per_operation)} operation/mode runs; statuses {dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(failures)
    assert count >= CASES_PER_ROLE, per_operation


# --- the pages' and the API's query parameters ----------------------------------------------------
#
# Schemathesis walks what the schema documents; the pages (reports, desk, wall, map) take query
# parameters the schema does not list. Every parameter read by a view, set to each of these values,
# must be answered without a server error: 400 (JSON for the API, the reports' error page for the
# reports) or a normal page.

NASTY_VALUES = [
    "9999-12-31", "0001-01-01", "0000-00-00", "2026-02-30", "9999-12", "0001-01", "0000-00", "9999", "0", "1",
    "\x00", "2026-03-10\x00", "a" * 5000, "-1", "-99999999999999999999", "99999999999999999999", "1e309", "nan",
    "inf", "true", "ÄŸ日本語", "../", "../../etc/passwd", "null", "", " ", "%", "'; --", "<b>",
]

PAGE_PARAMETERS = [
    # (path, fixed parameters, parameters to fuzz)
    ("/reports/daily/", {}, ["date", "call_type", "incident_type", "agency", "operator", "shift", "kecamatan", "q", "page"]),
    ("/reports/daily/pdf/", {}, ["date"]),
    ("/reports/kpi/", {}, ["period", "date"]),
    ("/reports/kpi/", {"period": "shift"}, ["date", "shift"]),
    ("/reports/kpi/", {"period": "month"}, ["month"]),
    ("/reports/kpi/", {"period": "year"}, ["year"]),
    ("/reports/charts/", {}, ["date"]),
    ("/reports/charts/data/", {}, ["date"]),
    ("/reports/map/data/", {"start": "2026-03-01"}, ["start", "end"]),
    ("/reports/export/", {"start": "2026-03-01", "format": "csv"}, ["start", "end", "format"]),
    ("/reports/export/", {"start": "2026-03-01", "format": "xlsx"}, ["start", "end"]),
    ("/reports/monthly/", {}, ["month", "format"]),
    ("/reports/monthly/", {"format": "csv"}, ["month"]),
    ("/api/v1/reports/daily/", {"date": "2026-03-10"}, ["date", "format"]),
    ("/api/v1/reports/daily/", {"format": "csv"}, ["date"]),
    ("/api/v1/calls/", {}, ["date", "status", "operator", "limit", "offset"]),
    ("/api/v1/dispatches/", {}, ["status"]),
    ("/api/v1/events/", {}, ["after"]),
    ("/geo/reverse/", {"lat": "-3.8", "lon": "102.27"}, ["lat", "lon"]),
    ("/desk/suggest/", {}, ["text"]),
    ("/desk/today/", {}, ["date", "page"]),
    ("/board/partial/", {}, ["view"]),
    ("/wall/incidents.json", {}, ["since"]),
    ("/supervisor/quality/", {}, ["page"]),
    ("/reports/calls/{call}/", {}, ["date"]),
    ("/api/v1/calls/{call}/duplicates/", {}, ["incident_type"]),
    ("/login/", {}, ["next"]),
]


@pytest.mark.parametrize(("path", "fixed", "names"), PAGE_PARAMETERS, ids=[f"{p[0]}{sorted(p[1].items())}" for p in PAGE_PARAMETERS])
def test_page_query_parameters_never_answer_a_server_error(ref, make_user, path, fixed, names):
    from django.test import Client

    supervisor = make_user("supervisor")
    call, _ = call_create(operator=make_user("operator"), caller_number="081277700010", notes="<b>x</b> & y")
    path = path.replace("{call}", str(call.pk))
    client = Client(raise_request_exception=False)
    client.force_login(supervisor)
    failures = []
    for name in names:
        for value in NASTY_VALUES:
            response = client.get(path, {**fixed, name: value})
            status = response.status_code
            if status >= 500:
                failures.append(f"{path} {name}={value[:40]!r}: {status}")
            elif path.startswith("/api/") and status >= 400 and not response["Content-Type"].startswith("application/json"):
                failures.append(f"{path} {name}={value[:40]!r}: {status} answered as {response['Content-Type']}")
            elif path.startswith("/reports/") and status == 400 and "text/html" in response["Content-Type"]:
                if b'class="messages error" role="alert"' not in response.content:
                    failures.append(f"{path} {name}={value[:40]!r}: 400 without the reports' error page")
    assert not failures, "\n".join(failures)
