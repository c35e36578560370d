"""The routing matrix: every incident type's primary and supporting agencies saved from one form."""

from __future__ import annotations

import pytest
from django.test import Client

from agencies.models import IncidentType, RoutingRule
from dispatch.models import AuditLog

pytestmark = pytest.mark.django_db


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _matrix_as_it_stands() -> dict[str, list[str] | str]:
    """The form as the page posts it when nothing was touched."""
    data: dict[str, list[str] | str] = {"matrix": "1"}
    for rule in RoutingRule.objects.select_related("incident_type", "primary_agency").prefetch_related("supporting_agencies"):
        code = rule.incident_type.code
        data[f"primary:{code}"] = rule.primary_agency.code
        data[f"supporting:{code}"] = [a.code for a in rule.supporting_agencies.all()]
    return data


def test_the_page_draws_one_row_per_type_and_one_column_per_agency(ref, supervisor):
    html = _login(supervisor).get("/routing/").content.decode()
    assert html.count('<tr id="rule-') == IncidentType.objects.count()
    assert html.count('type="radio" name="primary:kebakaran_bangunan"') == 14
    assert 'name="primary:kebakaran_bangunan" value="DAMKAR" checked' in html
    assert "Kebakaran rumah/bangunan/ruko" in html and "kebakaran_bangunan</" not in html


def test_saving_changes_only_the_rows_that_changed_each_audited(ref, supervisor):
    data = _matrix_as_it_stands()
    data["primary:banjir"] = "BASARNAS"
    data["supporting:banjir"] = ["BPBD", "BASARNAS", "PMI"]  # the primary ticked as supporting too: dropped
    response = _login(supervisor).post("/routing/", data)
    assert response.status_code == 302
    rule = RoutingRule.objects.get(incident_type__code="banjir")
    assert rule.primary_agency.code == "BASARNAS"
    assert sorted(rule.supporting_agencies.values_list("code", flat=True)) == ["BPBD", "PMI"]
    logs = AuditLog.objects.filter(action="routing.update")
    assert [log.detail["incident_type"] for log in logs] == ["banjir"]


def test_nothing_changed_saves_nothing(ref, supervisor):
    _login(supervisor).post("/routing/", _matrix_as_it_stands())
    assert not AuditLog.objects.filter(action="routing.update").exists()


def test_one_bad_row_saves_none_of_them(ref, supervisor):
    data = _matrix_as_it_stands()
    data["primary:banjir"] = "BASARNAS"
    data["primary:listrik"] = "NOPE"
    client = _login(supervisor)
    response = client.post("/routing/", data, follow=True)
    assert "NOPE" in response.content.decode()
    assert RoutingRule.objects.get(incident_type__code="banjir").primary_agency.code != "BASARNAS"
    assert not AuditLog.objects.filter(action="routing.update").exists()


def test_operators_may_not_save_the_matrix(ref, operator):
    data = {"matrix": "1", "primary:banjir": "PLN"}
    assert _login(operator).post("/routing/", data).status_code == 403
    assert RoutingRule.objects.get(incident_type__code="banjir").primary_agency.code != "PLN"
