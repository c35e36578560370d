"""Codes are shown as the reader's words: the KPI page, the monthly report and its exports, the
chart data and the daily digest name call types, incident types, block levels and shifts in
Bahasa Indonesia, or in English when chosen; no code reaches a person."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client
from django.utils import translation

from dispatch import labels
from tests.reports.test_selectors import DAY, dataset  # noqa: F401  (the fixed data set)

pytestmark = pytest.mark.django_db

# Codes the data set holds, which must never be what a person reads (in English the call types' codes
# are also plain words, so there only the codes that are not words are looked for).
CODES = {
    "id": ["emergency", "information", "complaint", "unclassified", "kebakaran_bangunan", "kecelakaan_lalu_lintas"],
    "en": ["kebakaran_bangunan", "kecelakaan_lalu_lintas"],
}
WORDS = {
    "id": ["Darurat", "Prank / iseng", "Ghost call", "Informasi", "Pengaduan", "Kebakaran rumah/bangunan/ruko", "Peringatan"],
    "en": ["Emergency", "Prank", "Ghost call", "Information", "Complaint", "Structure fire", "Warning"],
}


@pytest.fixture
def sup_client(supervisor):
    client = Client()
    client.force_login(supervisor)
    return client


def _visible_text(html: str) -> str:
    """The page's text as read: without scripts, styles, tags and attribute values (the option values
    and data attributes may hold codes, as forms and scripts need them)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_kpi_page_names_types_levels_and_shifts_in_the_readers_language(dataset, sup_client, language):  # noqa: F811
    sup_client.cookies["django_language"] = language
    for query in ({"period": "day", "date": DAY.isoformat()}, {"period": "shift", "date": DAY.isoformat(), "shift": "pagi"},
                  {"period": "month", "month": DAY.strftime("%Y-%m")}, {"period": "year", "year": str(DAY.year)}):
        text = _visible_text(sup_client.get("/reports/kpi/", query).content.decode())
        for code in CODES[language]:
            assert not re.search(rf"\b{code}\b", text), (language, query, code)
        assert not re.search(r"\b(pagi|siang|malam)\b" if language == "en" else r"\b(warning|day|week)\b", text), (language, query)
    text = _visible_text(sup_client.get("/reports/kpi/", {"period": "day", "date": DAY.isoformat()}).content.decode())
    for word in WORDS[language]:
        assert word in text, (language, word)
    assert ("Pagi (07–14)" if language == "id" else "Morning (07–14)") in text


@pytest.mark.parametrize("language,fire", [("id", "Kebakaran rumah/bangunan/ruko"), ("en", "Structure fire")])
def test_the_monthly_report_its_csv_and_the_chart_data_name_incident_types(dataset, sup_client, language, fire):  # noqa: F811
    sup_client.cookies["django_language"] = language
    month = DAY.strftime("%Y-%m")
    text = _visible_text(sup_client.get("/reports/monthly/", {"month": month}).content.decode())
    assert fire in text and "kebakaran_bangunan" not in text
    response = sup_client.get("/reports/monthly/", {"month": month, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert fire in {row["item"] for row in rows} and "kebakaran_bangunan" not in {row["item"] for row in rows}
    data = sup_client.get("/reports/charts/data/", {"date": DAY.isoformat()}).json()
    assert data["names"]["incident_types"]["kebakaran_bangunan"] == fire
    assert data["names"]["call_types"]["emergency"] == ("Darurat" if language == "id" else "Emergency")
    assert set(data["names"]["call_types"]) == set(data["calls_per_hour"]["series"])


def test_the_daily_digest_names_call_and_incident_types(dataset):  # noqa: F811
    from reports import digest

    with translation.override("id"):
        text = digest.digest_text(DAY)
    assert "Darurat: 2" in text and "Kebakaran rumah/bangunan/ruko: 1" in text
    assert "kebakaran_bangunan" not in text and "emergency" not in text


def test_labels_fall_back_readably():
    with translation.override("en"):
        assert labels.call_type_label("") == "Unclassified"
        assert labels.call_type_label("ghost") == "Ghost call"
        assert labels.block_level_label("day") == "24-hour block"
        assert labels.shift_label("malam") == "Night (21–07)"
    with translation.override("id"):
        assert labels.shift_label("malam") == "Malam (21–07)"
        assert labels.incident_type_label(None) == "—"
