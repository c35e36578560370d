"""Exports: call CSV/XLSX over a date range, the daily PDF, the monthly Kominfo summary."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from openpyxl import load_workbook

from dispatch import exports
from tests.dispatch.test_reports import DAY, dataset  # noqa: F401  (the fixed data set)

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
    assert {"bagian": "Jenis kejadian", "item": "kebakaran_bangunan", "jumlah": "1"} in csv_rows
    xlsx = sup_client.get("/reports/monthly/", {"month": "2026-03", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    assert ("Ringkasan", "Total panggilan", 8) in list(sheet.iter_rows(values_only=True))
    assert sup_client.get("/reports/monthly/", {"month": "2026-3x"}).status_code == 400
