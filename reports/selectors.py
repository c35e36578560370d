"""Reads for the supervisor's reports: the daily log, a call's timeline, KPIs
for a day, shift, month or year, chart and map series, the Kominfo monthly
summary. The database does the aggregation: calls of complete days are summed
from the daily roll-up (reports/rollups.py), today's calls and all incidents and
dispatches are read live (percentile_cont on PostgreSQL; on SQLite the incident and
dispatch percentiles fall back to sorting the values in Python).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import ExtractHour, TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from calls.models import Block, Call, CallTransition, CallType
from dispatch.labels import call_type_label, incident_type_label
from dispatch.models import Dispatch, DispatchTransition, Incident, IncidentNote, IncidentTransition
from dispatch.shifts import SHIFTS, WIB, wib_day_bounds
from reports.models import Amendment, DaySignoff, ReportDayAnswerTime, ReportDayCalls
from reports.rollups import ANSWER_TIMED, AnswerSeconds, WibShift, last_complete_day, rollup_days

CALL_TYPES = [c.value for c in CallType]
SHIFT_CODES = [code for code, _start, _end in SHIFTS]
ANSWER_TARGETS = (15, 20)  # NENA: 90 % within 15 s, 95 % within 20 s
PROCESSING_TARGET = 60  # NFPA 1225: 90 % of emergencies dispatched within 60 s of answer
LOG_PAGE_SIZE = 50
# The days the reports answer for: the years the month and year reports accept. A day far outside
# (0001-01-01, 9999-12-31) would overflow the date arithmetic of a period or its chart window.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


def parse_report_day(value: str | None) -> date:
    """A YYYY-MM-DD day between FIRST_DAY and LAST_DAY; ValueError for anything else."""
    day = date.fromisoformat(value or "")
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"day out of range: {day}")
    return day

DEFINITIONS = {
    "funnel": _(
        "Panggilan diterima → dijawab (ada waktu jawab) → terklasifikasi → darurat → kejadian yang dikirim ke "
        "instansi → diterima instansi → petugas di lokasi → selesai. Tahap kejadian dihitung per kejadian "
        "yang memiliki panggilan pada periode ini."
    ),
    "answer": _(
        "Waktu jawab = dijawab − diterima, untuk panggilan yang waktu dering dan jawabnya dicatat sistem telepon "
        "(PBX) atau data impor, dalam detik penuh dibulatkan ke atas "
        "(dijawab setelah 14,2 detik dihitung 15 detik). Target NENA: 90 % dalam 15 detik, 95 % dalam 20 detik. "
        "Median dan p90 dengan interpolasi linear seperti percentile_cont."
    ),
    "processing": _(
        "Waktu proses = panggilan pertama suatu kejadian diterima → pengiriman pertama ke instansi, per kejadian. "
        "Target NFPA 1225: 90 % dalam 60 detik."
    ),
    "agency": _(
        "Per instansi, untuk pengiriman pada periode ini: waktu terima = diterima instansi − dikirim; waktu tiba = "
        "di lokasi − dikirim; eskalasi = pengiriman yang tidak diterima sebelum batas waktunya."
    ),
    "shares": _("Porsi prank dan ghost call = jumlah panggilan prank (ghost) ÷ semua panggilan, per shift dan per operator."),
    "blocks": _("Blokir yang dikeluarkan pada periode ini (termasuk peringatan), per tingkat."),
}


# --- periods -----------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str  # day | shift | month | year | range
    start: datetime
    end: datetime
    label: str
    day: date | None = None


def period_day(day: date) -> Period:
    start, end = wib_day_bounds(day)
    return Period("day", start, end, day.isoformat(), day)


def period_shift(day: date, shift: str) -> Period:
    """The shift that starts on `day` (malam runs 21:00 to 07:00 the next morning)."""
    for code, begins, ends in SHIFTS:
        if code == shift:
            start = datetime.combine(day, begins, tzinfo=WIB)
            end_day = day + timedelta(days=1) if ends <= begins else day
            return Period("shift", start, datetime.combine(end_day, ends, tzinfo=WIB), f"{day.isoformat()} {shift}", day)
    raise ValueError(f"unknown shift {shift}")


def period_month(year: int, month: int) -> Period:
    start = datetime(year, month, 1, tzinfo=WIB)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=WIB)
    return Period("month", start, end, f"{year:04d}-{month:02d}")


def period_year(year: int) -> Period:
    return Period("year", datetime(year, 1, 1, tzinfo=WIB), datetime(year + 1, 1, 1, tzinfo=WIB), f"{year:04d}")


def period_range(first: date, last: date) -> Period:
    return Period("range", wib_day_bounds(first)[0], wib_day_bounds(last)[1], f"{first.isoformat()}..{last.isoformat()}")


def wib_day_of(moment: datetime) -> date:
    return moment.astimezone(WIB).date()


# --- SQL helpers ---------------------------------------------------------------


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


class EpochSeconds(Func):
    """Seconds between two timestamps, as a float (PostgreSQL)."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))::float8"
    arg_joiner = " - "
    output_field = FloatField()


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile, an ordered-set aggregate."""

    function = "percentile_cont"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def _percentile_python(values: list[float], fraction: float) -> float | None:
    """Linear interpolation, as percentile_cont does."""
    if not values:
        return None
    values = sorted(values)
    position = (len(values) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(values) - 1)
    return values[lower] + (values[upper] - values[lower]) * (position - lower)


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def duration_stats(qs: QuerySet, end: str, start: str, *, group_by: str | None = None, within: tuple[int, ...] = ()) -> Any:
    """Median, p90 (seconds) and shares within thresholds of `end - start` over rows where `end` is set.

    Returns one dict, or {group value: dict} with `group_by`."""
    qs = qs.filter(**{f"{end}__isnull": False, f"{start}__isnull": False})
    if _is_postgres():
        seconds = EpochSeconds(F(end), F(start))
        aggregates: dict[str, Any] = {
            "n": Count("pk"),
            "median": PercentileCont(seconds, 0.5),
            "p90": PercentileCont(seconds, 0.9),
        }
        for limit in within:
            aggregates[f"within_{limit}"] = Count("pk", filter=Q(**{f"{end}__lte": F(start) + timedelta(seconds=limit)}))
        if group_by:
            rows = qs.order_by().values(group_by).annotate(**aggregates)
            return {row[group_by]: _stats_row(row, within) for row in rows}
        return _stats_row(qs.aggregate(**aggregates), within)
    # SQLite: the simple way, values sorted in Python.
    fields = [end, start] + ([group_by] if group_by else [])
    groups: dict[Any, list[float]] = {}
    for row in qs.order_by().values_list(*fields):
        key = row[2] if group_by else None
        groups.setdefault(key, []).append((row[0] - row[1]).total_seconds())
    result = {}
    for key, values in groups.items():
        row = {"n": len(values), "median": _percentile_python(values, 0.5), "p90": _percentile_python(values, 0.9)}
        for limit in within:
            row[f"within_{limit}"] = sum(1 for v in values if v <= limit)
        result[key] = _stats_row(row, within)
    if group_by:
        return result
    return result.get(None) or _stats_row({"n": 0, "median": None, "p90": None, **{f"within_{x}": 0 for x in within}}, within)


def _stats_row(row: dict, within: tuple[int, ...]) -> dict:
    n = row["n"] or 0
    stats = {"n": n, "median": _round(row["median"]), "p90": _round(row["p90"])}
    for limit in within:
        stats[f"within_{limit}_pct"] = _pct(row[f"within_{limit}"] or 0, n)
    return stats


_FRACTIONS = {"median": (1, 2), "p90": (9, 10)}


def histogram_stats(histograms: list[QuerySet], *, within: tuple[int, ...] = ()) -> dict:
    """Median, p90 and shares within thresholds of whole-second durations given as histograms.

    Each queryset yields rows (`k_seconds`, `k_n`); the database adds them up and finds the
    values at the percentile ranks with a running sum, then they are interpolated as
    percentile_cont does (at rank (n - 1) * fraction, kept as integers to stay exact)."""
    if not histograms:
        return _stats_row({"n": 0, "median": None, "p90": None, **{f"within_{x}": 0 for x in within}}, within)
    parts, params = [], []
    for n, qs in enumerate(histograms):
        sql, part_params = qs.order_by().query.sql_with_params()
        # The ORM compiled each part with its parameters apart; the rest is fixed text and integers.
        parts.append(f"SELECT k_seconds AS seconds, k_n AS n FROM ({sql}) h{n}")  # nosec B608
        params.extend(part_params)
    ranks = "".join(
        f", MIN(CASE WHEN below > (total - 1) * {num} / {den} THEN seconds END)"
        f", MIN(CASE WHEN below > (total - 1) * {num} / {den} + 1 THEN seconds END)"
        for num, den in _FRACTIONS.values()
    )
    shares = "".join(f", SUM(CASE WHEN seconds <= {int(limit)} THEN n ELSE 0 END)" for limit in within)
    query = (
        f"WITH h AS (SELECT seconds, SUM(n) AS n FROM ({' UNION ALL '.join(parts)}) u GROUP BY seconds), "  # nosec B608
        "c AS (SELECT seconds, n, CAST(SUM(n) OVER (ORDER BY seconds) AS BIGINT) AS below, "
        "CAST(SUM(n) OVER () AS BIGINT) AS total FROM h) "
        f"SELECT MAX(total){ranks}{shares} FROM c"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        total, *values = cursor.fetchone()
    total = int(total or 0)
    row: dict[str, Any] = {"n": total}
    for i, (name, (num, den)) in enumerate(_FRACTIONS.items()):
        lower, upper = values[2 * i], values[2 * i + 1]
        weight = ((total - 1) * num % den) / den if total else 0
        row[name] = None if lower is None else (lower + (upper - lower) * weight if weight else lower)
    for i, limit in enumerate(within):
        row[f"within_{limit}"] = int(values[2 * len(_FRACTIONS) + i] or 0)
    return _stats_row(row, within)


# --- the daily log ---------------------------------------------------------------


def calls_in(period: Period) -> QuerySet:
    return Call.objects.filter(received_at__gte=period.start, received_at__lt=period.end)


def incident_ids_in(period: Period) -> QuerySet:
    """The ids of the incidents with at least one call received in the period (index calls_call_incident_received)."""
    return Call.objects.filter(received_at__gte=period.start, received_at__lt=period.end, incident__isnull=False).values("incident")


def incidents_in(period: Period) -> QuerySet:
    """Incidents with at least one call received in the period."""
    return Incident.objects.filter(pk__in=incident_ids_in(period))


def dispatches_in(period: Period) -> QuerySet:
    return Dispatch.objects.filter(dispatched_at__gte=period.start, dispatched_at__lt=period.end)


@dataclass
class LogFilters:
    call_type: str = ""
    incident_type: str = ""
    agency: str = ""
    operator: str = ""
    shift: str = ""
    kecamatan: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, data) -> LogFilters:
        return cls(**{name: (data.get(name) or "").strip() for name in cls.__dataclass_fields__})


def daily_log(*, day: date, filters: LogFilters | None = None) -> QuerySet:
    """Every call of a WIB day, newest first, filtered; rows carry what the table shows."""
    filters = filters or LogFilters()
    qs = calls_in(period_day(day)).select_related(
        "caller", "operator", "kelurahan__kecamatan", "incident__incident_type"
    )
    if filters.call_type:
        qs = qs.filter(call_type="" if filters.call_type == "none" else filters.call_type)
    if filters.incident_type:
        qs = qs.filter(incident__incident_type__code=filters.incident_type)
    if filters.agency:
        qs = qs.filter(Exists(Dispatch.objects.filter(incident=OuterRef("incident"), agency__code=filters.agency)))
    if filters.operator:
        qs = qs.filter(operator__username=filters.operator)
    if filters.kecamatan:
        qs = qs.filter(kelurahan__kecamatan__code=filters.kecamatan)
    if filters.shift in SHIFT_CODES:
        qs = qs.annotate(shift=WibShift("received_at")).filter(shift=filters.shift)
    if filters.q:
        qs = qs.filter(Q(caller__number__contains=filters.q) | Q(caller_number_raw__contains=filters.q) | Q(notes__icontains=filters.q))
    return qs.order_by("-received_at", "-pk")


_REFERENCE_CHOICES: dict[str, Any] = {}
REFERENCE_CHOICES_SECONDS = 300


def _reference_choices() -> dict:
    """Incident types, agencies and kecamatan for the filters; reference data, kept for a few minutes per process."""
    from time import monotonic

    from agencies.models import IncidentType, Kecamatan

    if _REFERENCE_CHOICES.get("until", 0) < monotonic():
        _REFERENCE_CHOICES.update(
            incident_types=list(IncidentType.objects.only("code", "label_id", "label_en")),
            agencies=list(Agency.objects.values_list("code", "short_name")),
            kecamatan=list(Kecamatan.objects.values_list("code", "name")),
            until=monotonic() + REFERENCE_CHOICES_SECONDS,
        )
    return _REFERENCE_CHOICES


def log_filter_choices(*, day: date) -> dict:
    operators = (
        calls_in(period_day(day)).exclude(operator=None).order_by("operator__username")
        .values_list("operator__username", flat=True).distinct()
    )
    reference = _reference_choices()
    return {
        "call_types": CallType.choices,
        "incident_types": [(t.code, t.label) for t in reference["incident_types"]],  # named in the reader's language
        "agencies": reference["agencies"],
        "operators": list(operators),
        "shifts": SHIFT_CODES,
        "kecamatan": reference["kecamatan"],
    }


def call_timeline(call: Call) -> dict:
    """A call's milestones and every transition of the call, its incident and its dispatches, by time."""
    dispatches = list(Dispatch.objects.filter(incident_id=call.incident_id).select_related("agency")) if call.incident_id else []
    rows: list[dict] = []
    for t in CallTransition.objects.filter(call=call).select_related("by"):
        rows.append({"at": t.at, "what": _("Panggilan"), "subject": f"#{call.pk}", "from": t.from_label, "to": t.to_label, "by": t.by, "reason": t.reason_text})
    if call.incident_id:
        for t in IncidentTransition.objects.filter(incident_id=call.incident_id).select_related("by"):
            rows.append({"at": t.at, "what": _("Kejadian"), "subject": f"#{call.incident_id}", "from": t.from_label, "to": t.to_label, "by": t.by, "reason": t.reason_text})
        for t in DispatchTransition.objects.filter(dispatch__incident_id=call.incident_id).select_related("by", "dispatch__agency"):
            rows.append({"at": t.at, "what": _("Pengiriman"), "subject": t.dispatch.agency.code, "from": t.from_label, "to": t.to_label, "by": t.by, "reason": t.reason_text})
        for n in IncidentNote.objects.filter(incident_id=call.incident_id).select_related("by"):
            rows.append({"at": n.at, "what": _("Catatan untuk instansi"), "subject": f"#{call.incident_id}", "from": "", "to": "", "by": n.by, "reason": n.text})
    rows.sort(key=lambda r: r["at"])
    milestones = [
        (_("Diterima"), call.received_at),
        (_("Dijawab"), call.answered_at),
        (_("Panggilan berakhir"), call.ended_at),
        (_("Diklasifikasi"), call.classified_at),
    ]
    for d in dispatches:
        milestones += [
            (_("Dikirim ke %(a)s") % {"a": d.agency.code}, d.dispatched_at),
            (_("Diterima %(a)s") % {"a": d.agency.code}, d.acknowledged_at),
            (_("Menuju lokasi (%(a)s)") % {"a": d.agency.code}, d.en_route_at),
            (_("Di lokasi (%(a)s)") % {"a": d.agency.code}, d.on_scene_at),
            (_("Selesai (%(a)s)") % {"a": d.agency.code}, d.resolved_at),
        ]
    if call.incident_id:
        milestones.append((_("Kejadian ditutup"), call.incident.closed_at))
    return {"milestones": milestones, "transitions": rows, "dispatches": dispatches}


# --- counting calls: the roll-up for complete days, the calls table for the rest -------------------


def call_sources(period: Period) -> tuple[tuple[date, date] | None, tuple[datetime, datetime] | None]:
    """Where a period's calls are counted: (first, last) complete days read from the roll-up (made
    current first), and the (start, end) rest read live. A period that does not start and end at
    WIB midnight (a shift) is read live."""
    local_start, local_end = period.start.astimezone(WIB), period.end.astimezone(WIB)
    if local_start.time() != time(0) or local_end.time() != time(0):
        return None, (period.start, period.end)
    first, last = local_start.date(), local_end.date() - timedelta(days=1)
    rolled = min(last, last_complete_day())
    if rolled < first:
        return None, (period.start, period.end)
    rollup_days(first, rolled)
    return (first, rolled), (None if rolled == last else (wib_day_bounds(rolled)[1], period.end))


@dataclass(frozen=True)
class CallCount:
    """A count over a period's calls: those matching `only` (all when None), answered ones only if `answered`."""

    only: Q | None = None
    answered: bool = False

    def from_rollup(self) -> Aggregate:
        return Sum("answered" if self.answered else "calls", filter=self.only)

    def from_calls(self) -> Aggregate:
        condition = Q(answered_at__isnull=False) if self.answered else None
        if self.only is not None:
            condition = self.only if condition is None else self.only & condition
        return Count("pk", filter=condition)


# Group keys, as the roll-up and the calls table spell them.
_ROLLUP_KEYS = {
    "day": F("day"), "month": TruncMonth("day"), "shift": F("shift"), "operator": F("operator__username"), "call_type": F("call_type"),
}
_CALL_KEYS = {
    "day": TruncDate("received_at", tzinfo=WIB),
    "month": TruncMonth("received_at", tzinfo=WIB, output_field=DateField()),
    "shift": WibShift("received_at"),
    "operator": F("operator__username"),
    "call_type": F("call_type"),
}


def count_calls(period: Period, by: tuple[str, ...] = (), **counts: CallCount) -> dict[tuple, dict[str, int]]:
    """{(group key values): {count name: n}} over the period's calls, grouped by keys of _ROLLUP_KEYS.

    One GROUP BY query per source; only groups with calls appear."""
    days, live = call_sources(period)
    sources = []
    if days:
        sources.append((ReportDayCalls.objects.filter(day__gte=days[0], day__lte=days[1]), _ROLLUP_KEYS, CallCount.from_rollup))
    if live:
        sources.append((Call.objects.filter(received_at__gte=live[0], received_at__lt=live[1]), _CALL_KEYS, CallCount.from_calls))
    result: dict[tuple, dict[str, int]] = {}
    for qs, keys, aggregate in sources:
        aggregates = {f"n_{name}": aggregate(count) for name, count in counts.items()}
        rows = qs.order_by().values(**{f"k_{key}": keys[key] for key in by}).annotate(**aggregates) if by else [qs.aggregate(**aggregates)]
        for row in rows:
            totals = result.setdefault(tuple(row[f"k_{key}"] for key in by), dict.fromkeys(counts, 0))
            for name in counts:
                totals[name] += row[f"n_{name}"] or 0
    return result


# --- KPIs ---------------------------------------------------------------------------


def funnel(period: Period) -> list[tuple[str, int]]:
    calls = count_calls(
        period,
        total=CallCount(),
        answered=CallCount(answered=True),
        classified=CallCount(~Q(call_type="")),
        emergencies=CallCount(Q(call_type="emergency")),
    ).get((), {"total": 0, "answered": 0, "classified": 0, "emergencies": 0})
    incidents = Dispatch.objects.filter(incident__in=incident_ids_in(period)).aggregate(
        dispatched=Count("incident", distinct=True),
        acknowledged=Count("incident", distinct=True, filter=Q(acknowledged_at__isnull=False)),
        on_scene=Count("incident", distinct=True, filter=Q(on_scene_at__isnull=False)),
        resolved=Count("incident", distinct=True, filter=Q(resolved_at__isnull=False)),
    )
    return [
        ("calls", calls["total"]),
        ("answered", calls["answered"]),
        ("classified", calls["classified"]),
        ("emergencies", calls["emergencies"]),
        ("dispatched", incidents["dispatched"]),
        ("acknowledged", incidents["acknowledged"]),
        ("on_scene", incidents["on_scene"]),
        ("resolved", incidents["resolved"]),
    ]


FUNNEL_LABELS = {
    "calls": _("Panggilan"),
    "answered": _("Dijawab"),
    "classified": _("Terklasifikasi"),
    "emergencies": _("Darurat"),
    "dispatched": _("Kejadian dikirim"),
    "acknowledged": _("Diterima instansi"),
    "on_scene": _("Petugas di lokasi"),
    "resolved": _("Selesai"),
}


def calls_by_type(period: Period) -> dict[str, int]:
    counts = {t: 0 for t in CALL_TYPES}
    for (call_type,), row in count_calls(period, ("call_type",), n=CallCount()).items():
        counts[call_type or "unclassified"] = row["n"]
    return counts


def incidents_by_type(period: Period) -> dict[str, int]:
    rows = incidents_in(period).order_by().values("incident_type__code").annotate(n=Count("pk")).order_by("-n", "incident_type__code")
    return {row["incident_type__code"]: row["n"] for row in rows}


def answer_stats(period: Period) -> dict:
    """Answer time in whole seconds (rounded up), from the roll-up's histograms and today's calls."""
    days, live = call_sources(period)
    histograms = []
    if days:
        rollup = ReportDayAnswerTime.objects.filter(day__gte=days[0], day__lte=days[1])
        histograms.append(rollup.values(k_seconds=F("seconds")).annotate(k_n=Sum("calls")))
    if live:
        answered = Call.objects.filter(ANSWER_TIMED, received_at__gte=live[0], received_at__lt=live[1])
        histograms.append(answered.values(k_seconds=AnswerSeconds()).annotate(k_n=Count("pk")))
    return histogram_stats(histograms, within=ANSWER_TARGETS)


def processing_stats(period: Period) -> dict:
    """Received (first call of the incident) → first dispatch, per dispatched incident."""
    qs = (
        Dispatch.objects.filter(incident__in=incident_ids_in(period)).order_by().values("incident")
        .annotate(first_received=Min("incident__calls__received_at"), first_dispatched=Min("dispatched_at"))
    )
    if _is_postgres():
        seconds = EpochSeconds(F("first_dispatched"), F("first_received"))
        row = qs.aggregate(
            n=Count("incident"),
            median=PercentileCont(seconds, 0.5),
            p90=PercentileCont(seconds, 0.9),
            within_60=Count("incident", filter=Q(first_dispatched__lte=F("first_received") + timedelta(seconds=PROCESSING_TARGET))),
        )
        return _stats_row(row, (PROCESSING_TARGET,))
    values = [(row["first_dispatched"] - row["first_received"]).total_seconds() for row in qs]
    return _stats_row(
        {"n": len(values), "median": _percentile_python(values, 0.5), "p90": _percentile_python(values, 0.9),
         "within_60": sum(1 for v in values if v <= PROCESSING_TARGET)},
        (PROCESSING_TARGET,),
    )


def agency_stats(period: Period) -> dict[str, dict]:
    """Per agency: dispatched, acknowledged, escalated, ack and on-scene seconds (median, p90), target."""
    qs = dispatches_in(period)
    counts = {
        row["agency__code"]: row
        for row in qs.order_by().values("agency__code").annotate(
            dispatched=Count("pk"),
            acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
            escalated=Count("pk", filter=Q(escalation_level__gte=1)),
        )
    }
    ack = duration_stats(qs, "acknowledged_at", "dispatched_at", group_by="agency__code")
    scene = duration_stats(qs, "on_scene_at", "dispatched_at", group_by="agency__code")
    agencies = {a.code: a for a in Agency.objects.filter(code__in=list(counts))}
    empty = {"median": None, "p90": None}
    result = {}
    for code in sorted(counts):
        a, s = ack.get(code, empty), scene.get(code, empty)
        result[code] = {
            "dispatched": counts[code]["dispatched"],
            "acknowledged": counts[code]["acknowledged"],
            "escalated": counts[code]["escalated"],
            "ack_seconds": {"median": a["median"], "p90": a["p90"]},
            "on_scene_seconds": {"median": s["median"], "p90": s["p90"]},
            "ack_target_seconds": agencies[code].ack_seconds(2) if code in agencies else None,
        }
    return result


def _shares(period: Period, key: str) -> list[dict]:
    rows = count_calls(period, (key,), total=CallCount(), prank=CallCount(Q(call_type="prank")), ghost=CallCount(Q(call_type="ghost")))
    return [
        {"key": value or "-", "total": row["total"], "prank": row["prank"], "ghost": row["ghost"],
         "prank_pct": _pct(row["prank"], row["total"]), "ghost_pct": _pct(row["ghost"], row["total"])}
        for (value,), row in sorted(rows.items(), key=lambda item: (item[0][0] is None, item[0][0] or ""))
    ]


def prank_ghost_shares(period: Period) -> dict:
    return {"by_shift": _shares(period, "shift"), "by_operator": _shares(period, "operator")}


def blocks_issued(period: Period) -> dict[str, int]:
    rows = Block.objects.filter(starts_at__gte=period.start, starts_at__lt=period.end).order_by().values("level").annotate(n=Count("pk"))
    return {row["level"]: row["n"] for row in rows}


def kpis(period: Period) -> dict:
    """Everything the KPI page shows for a period."""
    return {
        "period": period,
        "funnel": [(key, FUNNEL_LABELS[key], n) for key, n in funnel(period)],
        "by_call_type": calls_by_type(period),
        "by_incident_type": incidents_by_type(period),
        "answer": answer_stats(period),
        "processing": processing_stats(period),
        "agencies": agency_stats(period),
        "shares": prank_ghost_shares(period),
        "blocks": blocks_issued(period),
        "definitions": DEFINITIONS,
    }


def daily_summary(day: date) -> dict:
    """`GET /api/v1/reports/daily/`: the day as JSON (keys fixed by INTERFACE.md)."""
    period = period_day(day)
    answer = answer_stats(period)
    processing = processing_stats(period)
    by_type = calls_by_type(period)
    return {
        "date": day.isoformat(),
        "calls_total": sum(by_type.values()),
        "by_call_type": by_type,
        "by_incident_type": incidents_by_type(period),
        "by_agency": agency_stats(period),
        "answer_seconds": {"median": answer["median"], "p90": answer["p90"]},
        "answered_within_15s_pct": answer["within_15_pct"],
        "answered_within_20s_pct": answer["within_20_pct"],
        "processing_seconds": {"median": processing["median"], "p90": processing["p90"]},
        "processed_within_60s_pct": processing["within_60_pct"],
        "signed_off": DaySignoff.objects.filter(day=day).exists(),
    }


def monthly_summary(year: int, month: int) -> dict:
    """The month in the shape the city reports to Kominfo."""
    period = period_month(year, month)
    by_type = calls_by_type(period)
    agencies = dispatches_in(period).order_by().values("agency__code").annotate(n=Count("pk")).order_by("agency__code")
    per_day = sorted(count_calls(period, ("day",), n=CallCount()).items())
    return {
        "period": period,
        "total": sum(by_type.values()),
        "emergency": by_type["emergency"],
        "prank": by_type["prank"],
        "ghost": by_type["ghost"],
        "information": by_type["information"],
        "complaint": by_type["complaint"],
        "unclassified": by_type.get("unclassified", 0),
        "by_incident_type": incidents_by_type(period),
        "by_agency": {row["agency__code"]: row["n"] for row in agencies},
        "per_day": [(day, row["n"]) for (day,), row in per_day],
    }


def yearly_summary(year: int) -> dict:
    """The year: KPIs plus calls per month by call type."""
    period = period_year(year)
    table: dict[str, dict[str, int]] = {}
    for (month, call_type), row in count_calls(period, ("month", "call_type"), n=CallCount()).items():
        table.setdefault(month.strftime("%Y-%m"), {t: 0 for t in [*CALL_TYPES, "unclassified"]})[call_type or "unclassified"] = row["n"]
    return {**kpis(period), "per_month": sorted(table.items())}


# --- charts and map ---------------------------------------------------------------------


def chart_series(day: date) -> dict:
    period = period_day(day)
    hourly = (
        calls_in(period).annotate(h=ExtractHour("received_at", tzinfo=WIB)).order_by().values("h", "call_type").annotate(n=Count("pk"))
    )
    per_hour = {t: [0] * 24 for t in [*CALL_TYPES, "unclassified"]}
    for row in hourly:
        per_hour[row["call_type"] or "unclassified"][row["h"]] = row["n"]
    agencies = agency_stats(period)
    by_incident_type = incidents_by_type(period)
    return {
        "date": day.isoformat(),
        "calls_per_hour": {"labels": [f"{h:02d}" for h in range(24)], "series": per_hour},
        "incidents_by_type": by_incident_type,
        # The legends' and axes' words for the codes above, in the reader's language.
        "names": {
            "call_types": {code: call_type_label(code) for code in per_hour},
            "incident_types": {code: incident_type_label(code) for code in by_incident_type},
        },
        "ack_by_agency": {
            "labels": list(agencies),
            "median": [a["ack_seconds"]["median"] for a in agencies.values()],
            "p90": [a["ack_seconds"]["p90"] for a in agencies.values()],
            "target": [a["ack_target_seconds"] for a in agencies.values()],
        },
    }


def map_series(period: Period) -> dict:
    """Per kelurahan code: incidents and prank calls in the period (for the choropleth)."""
    incidents = incidents_in(period).exclude(kelurahan=None).order_by().values("kelurahan__code").annotate(n=Count("pk"))
    pranks = calls_in(period).filter(call_type="prank").exclude(kelurahan=None).order_by().values("kelurahan__code").annotate(n=Count("pk"))
    result: dict[str, dict[str, int]] = {}
    for row in incidents:
        result.setdefault(row["kelurahan__code"], {"incidents": 0, "prank": 0})["incidents"] = row["n"]
    for row in pranks:
        result.setdefault(row["kelurahan__code"], {"incidents": 0, "prank": 0})["prank"] = row["n"]
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "kelurahan": result}


# --- sign-offs and their amendments ---------------------------------------------------------------


def signoff_for(day: date) -> DaySignoff | None:
    return DaySignoff.objects.select_related("signed_by").filter(day=day).first()


def amendments_for(day: date) -> QuerySet:
    return Amendment.objects.filter(day=day).select_related("by").order_by("at", "pk")
