"""Exports: call CSV/XLSX over a date range, the daily PDF, the monthly Kominfo summary."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from openpyxl import load_workbook

from core.csvcells import FORMULA_STARTS
from reports import exports
from tests.reports.test_selectors import DAY, dataset  # noqa: F401  (the fixed data set)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sup_client(supervisor):
    client = Client()
    client.force_login(supervisor)
    return client


def _csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_export_of_a_range_carries_the_import_columns(dataset, sup_client):  # noqa: F811
    response = sup_client.get("/reports/export/", {"start": DAY.isoformat(), "end": (DAY + timedelta(days=1)).isoformat(), "format": "csv"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert len(rows) == 8  # DAY's seven calls and the 00:01 call of the next day
    assert list(rows[0])[: len(exports.IMPORT_COLUMNS)] == exports.IMPORT_COLUMNS
    fire = next(r for r in rows if r["id"] == str(dataset["c1"].pk))
    assert fire["incident_type"] == "kebakaran_bangunan"
    assert fire["agencies"] == "DAMKAR"
    assert fire["received_at"] == "2026-03-10T08:00:00+07:00"
    assert fire["dispatched_at"] == "2026-03-10T08:00:40+07:00"
    assert fire["acknowledged_at"] == "2026-03-10T08:01:10+07:00"
    crash = next(r for r in rows if r["id"] == str(dataset["c5"].pk))
    assert crash["agencies"] == "DINKES;POLRESTA"
    night = next(r for r in rows if r["id"] == str(dataset["c7"].pk))
    assert night["received_at"] == "2026-03-10T00:30:00+07:00"


def test_csv_export_names_each_calls_incident_as_everyone_else_does(dataset, sup_client):  # noqa: F811
    rows = _csv(sup_client.get("/reports/export/", {"start": DAY.isoformat(), "end": DAY.isoformat(), "format": "csv"}))
    fire = next(r for r in rows if r["id"] == str(dataset["c1"].pk))
    assert fire["kejadian"] == f"Kejadian #{dataset['c1'].incident_id}" and fire["incident_id"] == str(dataset["c1"].incident_id)
    assert all(r["kejadian"] == "" for r in rows if not r["incident_id"])


def test_xlsx_export_opens_with_the_same_rows(dataset, sup_client):  # noqa: F811
    response = sup_client.get("/reports/export/", {"start": DAY.isoformat(), "end": DAY.isoformat(), "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == exports.CALL_COLUMNS
    assert len(rows) == 1 + 7


def test_xlsx_times_are_date_cells_in_wib(dataset, sup_client):  # noqa: F811
    from datetime import datetime

    response = sup_client.get("/reports/export/", {"start": DAY.isoformat(), "end": DAY.isoformat(), "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    header = [c.value for c in sheet[1]]
    by_id = {row[header.index("id")].value: row for row in sheet.iter_rows(min_row=2)}
    fire = by_id[dataset["c1"].pk]
    received = fire[header.index("received_at")]
    # A date cell, at the WIB wall-clock time (08:00 WIB, 01:00 UTC), shown with a date format.
    assert received.is_date and received.value == datetime(2026, 3, 10, 8, 0, 0)
    assert received.number_format == exports.XLSX_MOMENT_FORMAT
    assert fire[header.index("dispatched_at")].value == datetime(2026, 3, 10, 8, 0, 40)
    night = by_id[dataset["c7"].pk]
    assert night[header.index("received_at")].value == datetime(2026, 3, 10, 0, 30, 0)  # 17:30 UTC the day before
    # No time yet: an empty cell, not a date.
    assert fire[header.index("closed_at")].value in (None, "")


def test_the_daily_pdf_downloads_and_its_preview_opens_in_the_browser(dataset, sup_client):  # noqa: F811
    download = sup_client.get("/reports/daily/pdf/", {"date": DAY.isoformat()})
    assert download["Content-Disposition"] == f'attachment; filename="laporan-harian-112-{DAY.isoformat()}.pdf"'
    preview = sup_client.get("/reports/daily/pdf/", {"date": DAY.isoformat(), "preview": "1"})
    assert preview["Content-Disposition"].startswith("inline;") and preview.content.startswith(b"%PDF")
    page = sup_client.get("/reports/daily/", {"date": DAY.isoformat()}).content.decode()
    assert f'daily/pdf/?date={DAY.isoformat()}" download' in page and "preview=1" in page


@pytest.mark.parametrize("params", [
    {"start": "2026-03-10", "end": "2026-03-01", "format": "csv"},
    {"start": "nope", "format": "csv"},
    {"start": "2026-03-10", "format": "pdf"},
    {"start": "2020-01-01", "end": "2026-01-01", "format": "csv"},
])
def test_export_rejects_bad_parameters(ref, sup_client, params):
    assert sup_client.get("/reports/export/", params).status_code == 400


def test_daily_pdf_is_a_pdf(dataset, sup_client):  # noqa: F811
    response = sup_client.get("/reports/daily/pdf/", {"date": DAY.isoformat()})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 1500


def test_monthly_summary_page_and_exports(dataset, sup_client):  # noqa: F811
    page = sup_client.get("/reports/monthly/", {"month": "2026-03"})
    assert page.status_code == 200
    rows = {(r[0], r[1]): r[2] for r in page.context["rows"]}
    assert rows[("Ringkasan", "Total panggilan")] == 8
    assert rows[("Ringkasan", "Darurat (nyata)")] == 2
    assert rows[("Ringkasan", "Prank / iseng")] == 2
    assert rows[("Instansi", "POLRESTA")] == 1
    csv_rows = _csv(sup_client.get("/reports/monthly/", {"month": "2026-03", "format": "csv"}))
    assert {"bagian": "Jenis kejadian", "item": "Kebakaran rumah/bangunan/ruko", "jumlah": "1"} in csv_rows
    xlsx = sup_client.get("/reports/monthly/", {"month": "2026-03", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    assert ("Ringkasan", "Total panggilan", 8) in list(sheet.iter_rows(values_only=True))
    assert sup_client.get("/reports/monthly/", {"month": "2026-3x"}).status_code == 400


# Text that a spreadsheet runs as a formula when a cell begins with it (OWASP "CSV injection").
FORMULA_NOTES = ['=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.fixture
def formula_calls(ref):
    from calls.models import Call
    from tests.reports.test_selectors import make_call, wib

    calls = [make_call(wib(DAY, 8, n), notes=text, number="+6281234567890") for n, text in enumerate(FORMULA_NOTES)]
    # A typed number that is no phone number, kept as typed.
    raw = make_call(wib(DAY, 9), notes="biasa")
    Call.objects.filter(pk=raw.pk).update(caller_number_raw="=1+2")
    return calls


def test_csv_export_quotes_every_cell_a_spreadsheet_would_run(formula_calls, sup_client):
    response = sup_client.get("/reports/export/", {"start": DAY.isoformat(), "format": "csv"})
    rows = _csv(response)
    assert sorted(r["notes"] for r in rows if r["notes"] != "biasa") == sorted("'" + text for text in FORMULA_NOTES)
    assert {r["caller_number"] for r in rows} == {"'+6281234567890", "'=1+2"}
    for row in rows:
        for value in row.values():
            assert not value.startswith(FORMULA_STARTS), row


def test_daily_api_csv_quotes_formula_cells(formula_calls, supervisor, client_for):
    response = client_for(supervisor).get("/api/v1/reports/daily/", {"date": DAY.isoformat(), "format": "csv"})
    assert response.status_code == 200
    rows = _csv(response)
    assert {r["notes"] for r in rows} >= {"'" + text for text in FORMULA_NOTES}
    assert all(not v.startswith(FORMULA_STARTS) for row in rows for v in row.values())


def test_xlsx_export_has_no_formula_cell(formula_calls, sup_client):
    from calls.models import Call

    Call.objects.filter(notes="biasa").update(notes="kontrol\x0bkarakter\x01")  # openpyxl refuses these in a cell
    response = sup_client.get("/reports/export/", {"start": DAY.isoformat(), "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells and not [cell.coordinate for cell in cells if cell.data_type == "f"]
    header = [cell.value for cell in next(sheet.iter_rows())]
    notes = [row[header.index("notes")].value for row in sheet.iter_rows(min_row=2)]
    # XML reads a carriage return as a line feed.
    assert sorted(n for n in notes if n != "kontrolkarakter") == sorted(t.replace("\r", "\n") for t in FORMULA_NOTES)
    numbers = {row[header.index("caller_number")] for row in sheet.iter_rows(min_row=2)}
    assert {(c.value, c.data_type) for c in numbers} == {("+6281234567890", "s"), ("=1+2", "s")}


def test_monthly_exports_have_no_formula_cells(formula_calls, sup_client):
    csv_text = b"".join(sup_client.get("/reports/monthly/", {"month": "2026-03", "format": "csv"}).streaming_content)
    assert csv_text
    xlsx = sup_client.get("/reports/monthly/", {"month": "2026-03", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert not [cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


def test_quoted_csv_export_loads_back_unchanged(formula_calls, sup_client):
    from calls.importer import import_calls
    from calls.models import Call

    text = b"".join(sup_client.get("/reports/export/", {"start": DAY.isoformat(), "format": "csv"}).streaming_content)
    Call.objects.all().delete()
    result = import_calls(io.StringIO(text.decode("utf-8-sig")))
    assert result.errors == [] and result.created == len(FORMULA_NOTES) + 1
    assert sorted(Call.objects.exclude(notes="biasa").values_list("notes", flat=True)) == sorted(FORMULA_NOTES)
    assert set(Call.objects.values_list("caller__number", flat=True)) == {"+6281234567890", None}
    assert Call.objects.get(notes="biasa").caller_number_raw == "=1+2"


def test_daily_pdf_prints_a_username_and_text_with_markup(dataset, sup_client, make_user):  # noqa: F811
    import base64
    import re
    import zlib

    from django.utils import timezone

    from reports.models import Amendment, DaySignoff

    # Made directly: add_user no longer creates such names, but older accounts may hold them.
    signer = make_user("supervisor", username="sup<b")
    signoff = DaySignoff.objects.create(day=DAY, signed_by=signer, signed_at=timezone.now(), note="<i>ok")
    Amendment.objects.create(day=DAY, signoff=signoff, at=timezone.now(), by=signer, action="call.<b>", object_type="call",
                             object_id="1", detail={})
    response = sup_client.get("/reports/daily/pdf/", {"date": DAY.isoformat()})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = b""
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", response.content, re.S):
        stream = stream.strip()
        if stream.endswith(b"~>"):  # reportlab writes page content ASCII85- and Flate-encoded
            stream = zlib.decompress(base64.a85decode(stream[:-2].replace(b"\n", b"").replace(b"\r", b"")))
        text += stream
    assert b"sup<b" in text
