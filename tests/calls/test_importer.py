"""`import_calls`: historical calls with their incidents and dispatches; idempotent; bad rows rejected whole."""

from __future__ import annotations

import io
from datetime import datetime, timezone as dt_timezone

import pytest
from django.core.management import CommandError, call_command

from calls.importer import COLUMNS, import_calls
from calls.models import Call, CallTransition
from reports import selectors
from dispatch.models import Dispatch, DispatchTransition, Incident

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)
GOOD = [
    # external_id, received, answered, number, type, incident type, kelurahan, notes, agencies, dispatched, acked, resolved, closed
    "h-1,2025-06-01T08:00:00+07:00,2025-06-01T08:00:07+07:00,081234567890,emergency,kebakaran_bangunan,17.71.01.1001,"
    "rumah terbakar,DAMKAR;BPBD,2025-06-01T08:01:00+07:00,2025-06-01T08:01:45+07:00,2025-06-01T09:00:00+07:00,2025-06-01T09:10:00+07:00",
    "h-2,2025-06-01T17:30:00Z,2025-06-01T17:30:04Z,0812-9999-0000,prank,,,,,,,,",
    "h-3,2025-06-01T10:00:00+07:00,,,,,,,,,,,",
]


def write(tmp_path, lines):
    path = tmp_path / "calls.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_import_creates_calls_incidents_and_dispatches_with_their_times(ref, tmp_path):
    result = import_calls(io.StringIO("\n".join([HEADER, *GOOD])))
    assert (result.created, result.skipped, result.errors) == (3, 0, [])
    fire = Call.objects.get(external_id="h-1")
    assert fire.received_at == datetime(2025, 6, 1, 1, 0, tzinfo=dt_timezone.utc)
    assert (fire.answered_at - fire.received_at).total_seconds() == 7
    assert fire.caller.number == "+6281234567890"
    assert fire.kelurahan.code == "17.71.01.1001"
    incident = fire.incident
    assert incident.incident_type.code == "kebakaran_bangunan" and incident.status == "closed"
    assert incident.closed_at == datetime(2025, 6, 1, 2, 10, tzinfo=dt_timezone.utc)
    dispatches = {d.agency.code: d for d in incident.dispatches.all()}
    assert set(dispatches) == {"DAMKAR", "BPBD"}
    assert dispatches["DAMKAR"].status == "resolved" and dispatches["DAMKAR"].is_primary
    assert (dispatches["DAMKAR"].acknowledged_at - dispatches["DAMKAR"].dispatched_at).total_seconds() == 45
    assert DispatchTransition.objects.filter(dispatch=dispatches["DAMKAR"]).count() == 3
    assert CallTransition.objects.filter(call=fire).count() == 3
    # Each row says it came from the import, as a code; the classification names the call type.
    assert list(CallTransition.objects.filter(call=fire).order_by("at", "id").values_list("reason_code", "reason_params", "reason")) == [
        ("imported", {}, ""), ("imported", {}, ""), ("imported_as", {"type": "emergency"}, ""),
    ]
    assert set(DispatchTransition.objects.filter(dispatch__incident=incident).values_list("reason_code", flat=True)) <= {
        "imported", "imported_unacknowledged",
    }
    # 17:30 UTC is 00:30 WIB the next day.
    prank = Call.objects.get(external_id="h-2")
    assert selectors.wib_day_of(prank.received_at).isoformat() == "2025-06-02"
    assert prank.incident is None and prank.call_type == "prank"
    abandoned = Call.objects.get(external_id="h-3")
    assert abandoned.status == "abandoned" and abandoned.caller is None and abandoned.answered_at is None
    # The reports read imported history like live data.
    day = selectors.daily_summary(datetime(2025, 6, 1).date())
    assert day["calls_total"] == 2
    assert day["processing_seconds"] == {"median": 60.0, "p90": 60.0}
    assert day["by_agency"]["DAMKAR"]["ack_seconds"]["median"] == 45.0


def test_import_is_idempotent_by_external_id(ref, tmp_path):
    path = write(tmp_path, GOOD)
    call_command("import_calls", str(path), stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_calls", str(path), stdout=out)
    assert "created 0, already loaded 3, rejected 0" in out.getvalue()
    assert Call.objects.count() == 3 and Incident.objects.count() == 1 and Dispatch.objects.count() == 2


@pytest.mark.parametrize("bad_row, message", [
    ("b-1,2025-06-01T08:00:00,,,,,,,,,,,", "offset"),
    ("b-1,yesterday,,,,,,,,,,,", "ISO 8601"),
    ("b-1,2025-06-01T08:00:00+07:00,2025-06-01T07:00:00+07:00,,,,,,,,,,", "before received_at"),
    ("b-1,2025-06-01T08:00:00+07:00,,,alien,,,,,,,,", "call_type"),
    ("b-1,2025-06-01T08:00:00+07:00,,,emergency,,,,,,,,", "incident_type"),
    ("b-1,2025-06-01T08:00:00+07:00,,,emergency,banjir,,,NOPE,2025-06-01T08:01:00+07:00,,,", "NOPE"),
    ("b-1,2025-06-01T08:00:00+07:00,,,emergency,banjir,99.99,,,,,,", "kelurahan_code"),
    ("b-1,2025-06-01T08:00:00+07:00,,,prank,,,,DAMKAR,2025-06-01T08:01:00+07:00,,,", "emergencies only"),
    ("b-1,2025-06-01T08:00:00+07:00,,,emergency,banjir,,,BPBD,2025-06-01T08:01:00+07:00,,2025-06-01T09:00:00+07:00,", "acknowledged_at"),
    (",2025-06-01T08:00:00+07:00,,,,,,,,,,,", "external_id"),
])
def test_a_bad_row_is_reported_with_its_line_and_nothing_of_it_is_loaded(ref, tmp_path, bad_row, message):
    path = write(tmp_path, [GOOD[0], bad_row, GOOD[1]])
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_calls", str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().startswith("line 3: ")
    assert message in err.getvalue()
    assert set(Call.objects.values_list("external_id", flat=True)) == {"h-1", "h-2"}
    assert Incident.objects.count() == 1 and Dispatch.objects.count() == 2


@pytest.mark.services  # SQLite does not enforce varchar lengths, so only PostgreSQL refuses this row
def test_a_row_the_database_refuses_late_leaves_no_incident_or_dispatch_behind(ref):
    """The incident and dispatch are written before the call; the call is refused (number too long): all undone."""
    row = "b-9,2025-06-01T08:00:00+07:00,,{},emergency,banjir,,,BPBD,2025-06-01T08:01:00+07:00,,,".format("9" * 70)
    result = import_calls(io.StringIO("\n".join([HEADER, row, GOOD[1]])))
    assert result.created == 1
    assert [line for line, _message in result.errors] == [2]
    assert "rejected by the database" in result.errors[0][1]
    assert not Incident.objects.exists() and not Dispatch.objects.exists()
    assert list(Call.objects.values_list("external_id", flat=True)) == ["h-2"]


def test_same_external_id_with_another_body_is_already_loaded(ref):
    import_calls(io.StringIO("\n".join([HEADER, GOOD[0]])))
    again = import_calls(io.StringIO("\n".join([HEADER, GOOD[0].replace("kebakaran_bangunan", "banjir")])))
    assert (again.created, again.skipped) == (0, 1)
    assert Incident.objects.get().incident_type.code == "kebakaran_bangunan"


def test_missing_columns_are_reported(ref, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("external_id,received_at\nh-1,2025-06-01T08:00:00+07:00\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_calls", str(path), stdout=io.StringIO(), stderr=err)
    assert "line 1: missing columns" in err.getvalue()
    assert not Call.objects.exists()
