"""The reports' daily roll-up: the calls of each complete WIB day counted per shift,
operator and call type (ReportDayCalls), and its answer times per whole second
(ReportDayAnswerTime), so that a month or a year sums a few thousand rows instead of
reading a million calls. Incidents and dispatches (under 1 % of calls) are not
rolled up: the reports read them live.

A day is rolled up once it ended ROLLUP_AFTER ago; today, and a day that has just
ended, are read live from the calls table. Rows are built in the database
(INSERT ... SELECT ... GROUP BY over the calls of a run of days), on demand when a
report needs a day that is missing or stale, and by the periodic task
(`dispatch.tasks.report_rollups`).

A roll-up never shows stale numbers: a service that changes a call of a past day
(a late classification or PBX event, an amendment of a signed-off day, an import)
calls `rollup_mark_stale` in its transaction, which counts the change on the day's
ReportDay row; the day's rows are used only while `built_version` equals that
count. A build holds the day's ReportDay row locked while it reads the calls, so a
change that commits meanwhile waits and marks the day stale again after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import CharField, Count, F, Func, IntegerField, Min, Q, QuerySet
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from calls.models import Call
from dispatch.shifts import SHIFTS, WIB, wib_day_bounds
from reports.models import ReportDay, ReportDayAnswerTime, ReportDayCalls

# Roll a day up only this long after it ended: writes in flight at midnight have committed by then.
ROLLUP_AFTER = timedelta(minutes=5)
# Days built in one transaction (one INSERT ... SELECT per table): bounds how long a build holds its days
# locked (about 0.5 s for a quarter of 250,000 calls; shorter runs cost more per call).
BUILD_CHUNK_DAYS = 92


# --- the definitions the roll-up and the live reads share ---------------------------------------


# Calls whose answer time means something: the phone system (PBX) stamped the ring and the answer, or
# an import brought both from one. A call typed in at the desk without a phone system is "answered"
# the moment it is recorded: 0 s, which would only flatter the KPI.
ANSWER_TIMED = Q(answered_at__isnull=False) & (Q(pbx_call_id__isnull=False) | Q(external_id__isnull=False))


def _shift_of_hour(hour: int) -> str:
    moment = time(hour)
    for code, begins, ends in SHIFTS:
        if (begins <= moment < ends) if begins < ends else (moment >= begins or moment < ends):
            return code
    raise ValueError(f"no shift covers {hour}:00")


class WibShift(Func):
    """The shift code (pagi, siang, malam) of a timestamp's WIB hour; one time-zone conversion per row."""

    output_field = CharField()
    # Shift codes come from dispatch.shifts, never from input.
    WHENS = " ".join(f"WHEN {hour} THEN '{_shift_of_hour(hour)}'" for hour in range(24))

    def __init__(self, expression: str):
        super().__init__(ExtractHour(expression, tzinfo=WIB))

    def as_sql(self, compiler, connection, **extra_context):
        hour_sql, params = compiler.compile(self.source_expressions[0])
        return f"(CASE CAST({hour_sql} AS INTEGER) {self.WHENS} END)", params


class AnswerSeconds(Func):
    """Whole seconds from `received_at` to `answered_at`, rounded up: a call answered after 14.2 s counts 15 s,
    so "within 15 s" means exactly what it says."""

    output_field = IntegerField()

    def __init__(self):
        super().__init__(F("answered_at") - F("received_at"))

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="CAST(CEIL(EXTRACT(EPOCH FROM %(expressions)s)) AS INTEGER)")

    def as_sqlite(self, compiler, connection, **extra_context):
        # A datetime difference is an integer of microseconds on SQLite; integer division truncates towards 0.
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(CASE WHEN ({sql}) > 0 THEN (({sql}) + 999999) / 1000000 ELSE ({sql}) / 1000000 END)", params * 3


# --- which days are rolled up --------------------------------------------------------------------


def last_complete_day(now: datetime | None = None) -> date:
    """The newest WIB day that ended at least ROLLUP_AFTER ago."""
    return ((now or timezone.now()) - ROLLUP_AFTER).astimezone(WIB).date() - timedelta(days=1)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _runs(days: Iterable[date], longest: int = BUILD_CHUNK_DAYS) -> list[tuple[date, date]]:
    """Sorted days as (first, last) runs of consecutive days, at most `longest` days each."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + timedelta(days=1) and (day - runs[-1][0]).days < longest:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _current_days(first: date, last: date) -> QuerySet:
    return ReportDay.objects.filter(day__gte=first, day__lte=last, built_version=F("version"))


# --- marking days stale (the services' hook) -------------------------------------------------------


def rollup_mark_stale(*moments: datetime | None) -> None:
    """A call received at one of these moments changed: its WIB day's roll-up, if it has one, is stale.

    Call it inside the service's transaction. Only days before today need it (today is
    always read live), so a change to a call of today costs no query at all."""
    today = timezone.now().astimezone(WIB).date()
    days = sorted({day for day in (m.astimezone(WIB).date() for m in moments if m is not None) if day < today})
    if not days:
        return
    table = connection.ops.quote_name(ReportDay._meta.db_table)
    with connection.cursor() as cursor:
        for day in days:  # in day order, as builds lock them
            # An upsert, not an UPDATE: a build that has not yet created the day's row waits for this one.
            # The table name is the model's.
            cursor.execute(
                f"INSERT INTO {table} (day, version) VALUES (%s, 1) "  # nosec B608
                f"ON CONFLICT (day) DO UPDATE SET version = {table}.version + 1",
                [day],
            )


# --- building -------------------------------------------------------------------------------------


def _insert_select(model, columns: list[str], qs: QuerySet) -> None:
    """INSERT INTO the model's table the rows of a values() queryset whose aliases are `r_<field>`."""
    sql, params = qs.query.sql_with_params()
    qn = connection.ops.quote_name
    targets = ", ".join(qn(model._meta.get_field(name).column) for name in columns)
    sources = ", ".join(f"src.{qn('r_' + name)}" for name in columns)
    with connection.cursor() as cursor:
        # Names from the model, the SELECT compiled by the ORM with its parameters apart.
        cursor.execute(f"INSERT INTO {qn(model._meta.db_table)} ({targets}) SELECT {sources} FROM ({sql}) src", params)  # nosec B608


def _build_run(first: date, last: date) -> None:
    """Replace the roll-up rows of the days first..last by sums over their calls: a DELETE and an INSERT ... SELECT per table."""
    start, end = wib_day_bounds(first)[0], wib_day_bounds(last)[1]
    calls = Call.objects.filter(received_at__gte=start, received_at__lt=end).order_by()
    day = TruncDate("received_at", tzinfo=WIB)
    ReportDayCalls.objects.filter(day__gte=first, day__lte=last).delete()
    ReportDayAnswerTime.objects.filter(day__gte=first, day__lte=last).delete()
    _insert_select(
        ReportDayCalls,
        ["day", "shift", "operator", "call_type", "calls", "answered"],
        calls.values(r_day=day, r_shift=WibShift("received_at"), r_operator=F("operator"), r_call_type=F("call_type"))
        .annotate(r_calls=Count("pk"), r_answered=Count("pk", filter=Q(answered_at__isnull=False))),
    )
    _insert_select(
        ReportDayAnswerTime,
        ["day", "seconds", "calls"],
        calls.filter(ANSWER_TIMED).values(r_day=day, r_seconds=AnswerSeconds()).annotate(r_calls=Count("pk")),
    )


def _build(days: Iterable[date]) -> int:
    """Build the roll-up of these days, in runs of consecutive days; returns how many days were built."""
    built = 0
    for first, last in _runs(days):
        with transaction.atomic():
            ReportDay.objects.bulk_create([ReportDay(day=day) for day in _days(first, last)], ignore_conflicts=True)
            locked = ReportDay.objects.select_for_update().filter(day__gte=first, day__lte=last).order_by("day")
            # Another build may have finished these days while this one waited for the lock.
            stale = [day for day, version, built_version in locked.values_list("day", "version", "built_version") if version != built_version]
            for run_first, run_last in _runs(stale):
                _build_run(run_first, run_last)
            ReportDay.objects.filter(day__in=stale).update(built_version=F("version"), built_at=timezone.now())
            built += len(stale)
    return built


def rollup_days(first: date, last: date, *, now: datetime | None = None) -> int:
    """Make the roll-up of the complete days first..last current, building what is missing or stale.

    One small query when everything is current; returns how many days were built."""
    last = min(last, last_complete_day(now))
    if last < first or _current_days(first, last).count() == (last - first).days + 1:
        return 0
    current = set(_current_days(first, last).values_list("day", flat=True))
    return _build(day for day in _days(first, last) if day not in current)


def rollup_refresh(*, now: datetime | None = None) -> int:
    """Roll up every complete day since the first call that is missing or stale (the periodic task)."""
    first_call = Call.objects.aggregate(first=Min("received_at"))["first"]
    if first_call is None:
        return 0
    return rollup_days(first_call.astimezone(WIB).date(), last_complete_day(now), now=now)
