"""`GET /api/v1/reports/daily/?date=YYYY-MM-DD`: the supervisor's day as JSON (or the calls as CSV)."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.audit import audit
from dispatch.errors import InvalidInput
from dispatch.permissions import IsSupervisor
from reports import exports, selectors


def parse_day(value: str | None, *, field: str = "date") -> date:
    try:
        return selectors.parse_report_day(value)
    except ValueError:
        raise InvalidInput(
            _("Tanggal harus berformat YYYY-MM-DD, antara %(first)s dan %(last)s.")
            % {"first": selectors.FIRST_DAY.isoformat(), "last": selectors.LAST_DAY.isoformat()},
            field=field,
        ) from None


class CsvAwareNegotiation(DefaultContentNegotiation):
    """`?format=csv` is answered by the view itself, not by a DRF renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if request.query_params.get("format") == "csv":
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


class DailyReportApi(APIView):
    permission_classes = [IsSupervisor]
    content_negotiation_class = CsvAwareNegotiation

    @extend_schema(
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, required=True, description="WIB day"),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"], description="csv: the day's calls"),
        ],
        responses={200: OpenApiTypes.OBJECT},
        description=(
            "The WIB day: calls_total, by_call_type, by_incident_type, by_agency {code: dispatched, acknowledged, "
            "ack_seconds {median, p90}}, answer_seconds {median, p90}, answered_within_15s_pct, processing_seconds "
            "(received → first dispatch) {median, p90}. `format=csv` returns the day's calls as CSV."
        ),
    )
    def get(self, request):
        day = parse_day(request.query_params.get("date"))
        if request.query_params.get("format") == "csv":
            audit("export.calls", user=request.user, detail={"format": "csv", "period": day.isoformat()})
            return exports.csv_response(exports.call_rows(selectors.period_day(day)), exports.CALL_COLUMNS, f"panggilan-{day}.csv")
        return Response(selectors.daily_summary(day))
