"""Reads about callers and calls: history at ring time, prank risk, lists."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from calls.models import Block, Call, Caller

HISTORY_WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
CALL_TYPES = ("emergency", "information", "complaint", "ghost", "prank")


@dataclass
class CallerHistory:
    number: str | None
    calls_total: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    recent: list[dict] = field(default_factory=list)
    blocked: bool = False
    block: dict | None = None
    prank_risk: float = 0.0
    risk_reasons: list[str] = field(default_factory=list)

    def including(self, call: Call, *, now: datetime) -> CallerHistory:
        """This history, read before `call` was stored, as it reads with the new call in it.

        A new call has no type yet: it counts towards "all" in every window it falls in and
        joins the recent calls; the typed counts, the block and the risk do not change.
        """
        counts = {window: dict(by_type) for window, by_type in self.counts.items()}
        for window in counts:
            delta = HISTORY_WINDOWS.get(window)
            if delta is None or call.received_at >= now - delta:
                counts[window]["all"] += 1
        entry = _recent_entry(call.pk, call.received_at, call.call_type, call.notes, call.incident_id)
        recent = sorted([entry, *self.recent], key=lambda row: datetime.fromisoformat(row["received_at"]), reverse=True)[:5]
        return replace(self, calls_total=self.calls_total + 1, counts=counts, recent=recent)

    def count(self, window: str, call_type: str) -> int:
        return self.counts.get(window, {}).get(call_type, 0)

    def summary(self) -> dict:
        """The `caller` object of the calls API."""
        return {
            "calls_total": self.calls_total,
            "emergency_count": self.count("ever", "emergency"),
            "prank_count": self.count("ever", "prank"),
            "ghost_count": self.count("ever", "ghost"),
            "blocked": self.blocked,
            "prank_risk": self.prank_risk,
            "risk_reasons": self.risk_reasons,
            "counts": self.counts,
            "block": self.block,
            "recent": self.recent,
        }


def active_block(caller: Caller | None, *, now: datetime | None = None) -> Block | None:
    """The block that stops this number's calls now (warnings do not block)."""
    if caller is None:
        return None
    now = now or timezone.now()
    return (
        Block.objects.filter(caller=caller, lifted_at__isnull=True, starts_at__lte=now)
        .exclude(level=Block.Level.WARNING)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("-starts_at")
        .first()
    )


def caller_history(
    caller: Caller | None, *, exclude_call_id: int | None = None, now: datetime | None = None, new_caller: bool = False
) -> CallerHistory:
    """A number's calls by type over 24 h, 7 days, 30 days and ever, its last calls, block and risk.

    Read in one statement (`_history_rows`): the intake of a repeat caller, every
    classification and every call's detail read it.
    """
    now = now or timezone.now()
    if caller is None:
        return CallerHistory(number=None)
    if new_caller:
        # Stored just now by the intake in progress: nothing to read yet.
        return CallerHistory(number=caller.number, counts=_zero_counts())
    windows = ["ever", *HISTORY_WINDOWS]  # the order of the statement's counts
    counts = _zero_counts()
    recent: list[dict] = []
    block = None
    for part, call_type, *window_counts, call_id, received_at, notes, level, expires_at, reason, incident_id in _history_rows(
        caller.pk, exclude_call_id=exclude_call_id, now=now
    ):
        if part == _COUNTS:
            for window, n in zip(windows, window_counts, strict=True):
                counts[window]["all"] += n
                if call_type:
                    counts[window][call_type] = n
        elif part == _RECENT:
            recent.append(_recent_entry(call_id, received_at, call_type, notes, incident_id))
        else:
            block = {"level": level, "expires_at": expires_at.isoformat() if expires_at else None, "reason": reason}
    history = CallerHistory(
        number=caller.number,
        calls_total=counts["ever"]["all"],
        counts=counts,
        recent=recent,
        blocked=block is not None,
        block=block,
    )
    history.prank_risk, history.risk_reasons = prank_risk(history)
    return history


_COUNTS, _RECENT, _BLOCK = 0, 1, 2


@dataclass(frozen=True)
class _HistoryQuery:
    sql: str
    # The datetime columns of a row (received_at, expires_at) with their converters, as a queryset applies them.
    converters: list[tuple[int, object, list]]


_history_queries: dict[tuple[str, bool], _HistoryQuery] = {}


def _history_query(*, excluding: bool) -> _HistoryQuery:
    """One statement, built once per database vendor from the models: the grouped counts per
    window (the windows' bounds are parameters, newest first as in HISTORY_WINDOWS), the last
    five calls and the active block, as rows of one shape told apart by their first column.

    The ORM took three statements and about 2 ms of CPU to compile and read them; every
    classification pays this, so it is worth the SQL text.
    """
    key = (connection.vendor, excluding)
    query = _history_queries.get(key)
    if query is not None:
        return query
    q = connection.ops.quote_name
    call, blk = Call._meta, Block._meta
    c = {name: q(call.get_field(name).column) for name in ("id", "caller", "received_at", "call_type", "notes", "incident")}
    b = {name: q(blk.get_field(name).column) for name in ("caller", "level", "starts_at", "expires_at", "reason", "lifted_at")}
    calls = f"{q(call.db_table)} WHERE {c['caller']} = %s" + (f" AND {c['id']} <> %s" if excluding else "")
    window_counts = ", ".join(f"COUNT(*) FILTER (WHERE {c['received_at']} >= %s)" for _ in HISTORY_WINDOWS)
    null_int, null_text, null_time = "CAST(NULL AS integer)", "CAST(NULL AS text)", "CAST(NULL AS timestamp)"
    if connection.vendor == "postgresql":
        null_time = "CAST(NULL AS timestamp with time zone)"
    no_counts = ", ".join([null_int] * (len(HISTORY_WINDOWS) + 1))
    # Only table and column names from the models go into the text; every value is a parameter.
    sql = (
        f"SELECT {_COUNTS}, {c['call_type']}, COUNT(*), {window_counts}, {null_int}, {null_time}, {null_text},"  # nosec B608
        f" {null_text}, {null_time}, {null_text}, {null_int} FROM {calls} GROUP BY {c['call_type']}"
        f" UNION ALL SELECT * FROM (SELECT {_RECENT}, {c['call_type']}, {no_counts}, {c['id']}, {c['received_at']},"
        f" {c['notes']}, {null_text}, {null_time}, {null_text}, {c['incident']} FROM {calls}"
        f" ORDER BY {c['received_at']} DESC LIMIT 5) recent"
        f" UNION ALL SELECT * FROM (SELECT {_BLOCK}, {null_text}, {no_counts}, {null_int}, {null_time}, {null_text},"
        f" {b['level']}, {b['expires_at']}, {b['reason']}, {null_int} FROM {q(blk.db_table)} WHERE {b['caller']} = %s"
        f" AND {b['lifted_at']} IS NULL AND {b['starts_at']} <= %s AND {b['level']} <> %s"
        f" AND ({b['expires_at']} IS NULL OR {b['expires_at']} > %s) ORDER BY {b['starts_at']} DESC LIMIT 1) block"
    )
    converters = []
    width = len(HISTORY_WINDOWS) + 3
    for index, model, name in ((width + 1, Call, "received_at"), (width + 4, Block, "expires_at")):
        field = model._meta.get_field(name)
        expression = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
        if found:
            converters.append((index, expression, found))
    query = _HistoryQuery(sql, converters)
    _history_queries[key] = query
    return query


def _history_rows(caller_id: int, *, exclude_call_id: int | None, now: datetime) -> list[list]:
    query = _history_query(excluding=exclude_call_id is not None)
    when = connection.ops.adapt_datetimefield_value
    calls = [caller_id] if exclude_call_id is None else [caller_id, exclude_call_id]
    bounds = [when(now - delta) for delta in HISTORY_WINDOWS.values()]
    params = [*bounds, *calls, *calls, caller_id, when(now), Block.Level.WARNING.value, when(now)]
    with connection.cursor() as cursor:
        cursor.execute(query.sql, params)
        rows = [list(row) for row in cursor.fetchall()]
    for row in rows:
        for index, expression, converters in query.converters:
            for converter in converters:
                row[index] = converter(row[index], expression, connection)
    return rows


def _zero_counts() -> dict[str, dict[str, int]]:
    return {window: dict.fromkeys([*CALL_TYPES, "all"], 0) for window in [*HISTORY_WINDOWS, "ever"]}


def _recent_entry(call_id: int, received_at: datetime, call_type: str | None, notes: str, incident_id: int | None) -> dict:
    return {
        "id": call_id,
        "incident_id": incident_id,
        "received_at": received_at.astimezone(UTC).isoformat(),
        "call_type": call_type,
        "notes": notes[:200],
    }


def prank_risk(history: CallerHistory) -> tuple[float, list[str]]:
    """An advisory 0..1 score with its reasons in words. It never decides anything.

    Recent prank and ghost calls raise it, older ones less; genuine
    emergencies and information calls from the number lower it.
    """
    c = history.count
    weight = (
        1.0 * c("24h", "prank")
        + 0.6 * c("24h", "ghost")
        + 0.5 * (c("7d", "prank") - c("24h", "prank"))
        + 0.3 * (c("7d", "ghost") - c("24h", "ghost"))
        + 0.2 * (c("30d", "prank") - c("7d", "prank"))
        + 0.1 * (c("30d", "ghost") - c("7d", "ghost"))
    )
    credit = 1.0 * c("30d", "emergency") + 0.3 * (c("30d", "information") + c("30d", "complaint"))
    score = 1.0 - math.exp(-max(weight - 0.5 * credit, 0.0) / 2.0)
    reasons: list[str] = []
    for window, label in (("24h", _("hari ini")), ("7d", _("dalam 7 hari")), ("30d", _("dalam 30 hari"))):
        pranks, ghosts = c(window, "prank"), c(window, "ghost")
        if pranks or ghosts:
            parts = []
            if pranks:
                parts.append(ngettext("%(n)d prank", "%(n)d prank", pranks) % {"n": pranks})
            if ghosts:
                parts.append(ngettext("%(n)d ghost call", "%(n)d ghost call", ghosts) % {"n": ghosts})
            reasons.append(f"{', '.join(parts)} {label}")
            break
    if c("30d", "emergency"):
        reasons.append(_("%(n)d panggilan darurat asli dalam 30 hari") % {"n": c("30d", "emergency")})
    if history.blocked:
        reasons.append(_("nomor sedang diblokir"))
    return round(score, 3), reasons


def calls_of_day(day_start: datetime, day_end: datetime):
    return (
        Call.objects.filter(received_at__gte=day_start, received_at__lt=day_end)
        .select_related("caller", "kelurahan", "operator", "incident__incident_type")
        .order_by("-received_at")
    )


def open_calls():
    return Call.objects.filter(status__in=[Call.Status.RINGING, Call.Status.ACTIVE]).select_related("caller", "operator").order_by("received_at")


def confirmed_triage_examples(limit: int = 5000):
    """Classified calls with notes, newest first, for the triage suggester to learn from."""
    from calls.triage import Example

    rows = (
        Call.objects.filter(status=Call.Status.CLASSIFIED)
        .exclude(notes="")
        .order_by("-classified_at")
        .values_list("notes", "call_type", "incident__incident_type__code")[:limit]
    )
    return [Example(text=notes, call_type=call_type, incident_type=itype) for notes, call_type, itype in rows]
