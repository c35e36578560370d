"""Supervisor report pages: daily log, call timeline, KPIs, charts and map, exports, sign-off."""

from __future__ import annotations

from datetime import date, timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.selectors import actor_for_user
from calls.models import Call
from dispatch.audit import audit
from dispatch.errors import ServiceError
from dispatch.shifts import wib_today
from reports import exports, selectors, services

MAX_EXPORT_DAYS = 731


def supervisor_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not actor_for_user(request.user).is_supervisor:
            raise PermissionDenied
        if any("\x00" in value for _name, values in request.GET.lists() for value in values):
            # No filter value holds a NUL byte; PostgreSQL refuses one in a query (a DataError).
            error = BadParameter(_("Parameter tidak boleh memuat karakter NUL."))
            return JsonResponse({"detail": str(error)}, status=400) if getattr(view, "answers_json", False) else _bad(request, error)
        return view(request, *args, **kwargs)

    return wrapper


def answers_json(view):
    """Marks a view whose errors are JSON (the chart and map data), for supervisor_required."""
    view.answers_json = True
    return view


class BadParameter(Exception):
    pass


def _day(value: str | None, default: date | None = None) -> date:
    if not value:
        if default is None:
            raise BadParameter(_("Tanggal wajib diisi (YYYY-MM-DD)."))
        return default
    try:
        return selectors.parse_report_day(value)
    except ValueError:
        raise BadParameter(
            _("Tanggal harus berformat YYYY-MM-DD, antara %(first)s dan %(last)s.")
            % {"first": selectors.FIRST_DAY.isoformat(), "last": selectors.LAST_DAY.isoformat()}
        ) from None


def _month(value: str | None, default: date) -> tuple[int, int]:
    if not value:
        return default.year, default.month
    try:
        year, month = (int(x) for x in value.split("-"))
        if not 1 <= month <= 12 or not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        raise BadParameter(_("Bulan harus berformat YYYY-MM.")) from None
    return year, month


def _bad(request, error: Exception) -> HttpResponse:
    return HttpResponseBadRequest(render(request, "reports/error.html", {"error": str(error)}).content)


def _today() -> date:
    """Reports open on today (WIB): what the floor is living through, and never empty on a new install."""
    return wib_today()


@supervisor_required
@require_GET
def reports_home(request):
    return redirect("reports:daily")


@supervisor_required
@require_GET
def daily_log(request):
    try:
        day = _day(request.GET.get("date"), _today())
    except BadParameter as error:
        return _bad(request, error)
    filters = selectors.LogFilters.from_query(request.GET)
    page = Paginator(selectors.daily_log(day=day, filters=filters), selectors.LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    signoff = selectors.signoff_for(day)
    return render(request, "reports/daily.html", {
        "day": day,
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "page": page,
        "filters": filters,
        "choices": selectors.log_filter_choices(day=day),
        "query": query.urlencode(),
        "signoff": signoff,
        "amendments": selectors.amendments_for(day) if signoff else [],
        "can_sign": day < wib_today(),
    })


@supervisor_required
@require_GET
def call_detail(request, call_id: int):
    call = get_object_or_404(
        Call.objects.select_related("caller", "operator", "classified_by", "kelurahan__kecamatan", "incident__incident_type"),
        pk=call_id,
    )
    return render(request, "reports/call.html", {"call": call, "day": selectors.wib_day_of(call.received_at), **selectors.call_timeline(call)})


@supervisor_required
@require_POST
def signoff(request):
    try:
        day = _day(request.POST.get("date"))
        services.day_signoff(day=day, user=request.user, note=request.POST.get("note", "")[:2000])
        messages.success(request, _("Hari %(d)s telah disahkan.") % {"d": day.isoformat()})
    except BadParameter as error:
        return _bad(request, error)
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect(reverse("reports:daily") + f"?date={day.isoformat()}")


@supervisor_required
@require_GET
def kpi(request):
    kind = request.GET.get("period", "day")
    try:
        if kind == "shift":
            shift = request.GET.get("shift", "pagi")
            if shift not in selectors.SHIFT_CODES:
                raise BadParameter(_("Shift tidak dikenal."))
            period = selectors.period_shift(_day(request.GET.get("date"), _today()), shift)
        elif kind == "month":
            period = selectors.period_month(*_month(request.GET.get("month"), _today()))
        elif kind == "year":
            year = request.GET.get("year") or str(_today().year)
            if not year.isdigit() or not 2000 <= int(year) <= 2100:
                raise BadParameter(_("Tahun tidak valid."))
            return render(request, "reports/kpi.html", {"kind": kind, "shifts": selectors.SHIFT_CODES, **selectors.yearly_summary(int(year))})
        else:
            kind = "day"
            period = selectors.period_day(_day(request.GET.get("date"), _today()))
    except BadParameter as error:
        return _bad(request, error)
    return render(request, "reports/kpi.html", {"kind": kind, "shifts": selectors.SHIFT_CODES, **selectors.kpis(period)})


@supervisor_required
@require_GET
def charts(request):
    try:
        day = _day(request.GET.get("date"), _today())
    except BadParameter as error:
        return _bad(request, error)
    return render(request, "reports/charts.html", {"day": day, "start": day - timedelta(days=29)})


@supervisor_required
@require_GET
@answers_json
def charts_data(request):
    try:
        day = _day(request.GET.get("date"), _today())
    except BadParameter as error:
        return JsonResponse({"detail": str(error)}, status=400)
    return JsonResponse(selectors.chart_series(day))


def _range(request) -> selectors.Period:
    first = _day(request.GET.get("start"))
    last = _day(request.GET.get("end"), first)
    if last < first:
        raise BadParameter(_("Tanggal akhir sebelum tanggal awal."))
    if (last - first).days >= MAX_EXPORT_DAYS:
        raise BadParameter(_("Rentang paling lama %(n)d hari.") % {"n": MAX_EXPORT_DAYS})
    return selectors.period_range(first, last)


@supervisor_required
@require_GET
@answers_json
def map_data(request):
    try:
        period = _range(request)
    except BadParameter as error:
        return JsonResponse({"detail": str(error)}, status=400)
    return JsonResponse(selectors.map_series(period))


@supervisor_required
@require_GET
def export(request):
    fmt = request.GET.get("format", "csv")
    try:
        if fmt not in ("csv", "xlsx"):
            raise BadParameter(_("Format harus csv atau xlsx."))
        period = _range(request)
    except BadParameter as error:
        return _bad(request, error)
    audit("export.calls", user=request.user, detail={"format": fmt, "period": period.label})
    return exports.calls_export(period, fmt, f"panggilan-112-{period.label.replace('..', '_')}")


@supervisor_required
@require_GET
def daily_pdf(request):
    try:
        day = _day(request.GET.get("date"), _today())
    except BadParameter as error:
        return _bad(request, error)
    audit("export.daily_pdf", user=request.user, detail={"format": "pdf", "day": day.isoformat()})
    response = HttpResponse(exports.daily_pdf(day), content_type="application/pdf")
    # Downloaded by default (a file to keep or send on); ?preview=1 opens it in the browser.
    disposition = "inline" if request.GET.get("preview") == "1" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="laporan-harian-112-{day.isoformat()}.pdf"'
    return response


@supervisor_required
@require_GET
def monthly(request):
    try:
        year, month = _month(request.GET.get("month"), _today())
    except BadParameter as error:
        return _bad(request, error)
    summary = selectors.monthly_summary(year, month)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        audit("export.monthly", user=request.user, detail={"format": fmt, "month": f"{year:04d}-{month:02d}"})
        return exports.monthly_export(summary, fmt)
    return render(request, "reports/monthly.html", {"summary": summary, "rows": exports.monthly_rows(summary)})
