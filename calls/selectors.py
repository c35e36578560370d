"""Reads about callers and calls: history at ring time, prank risk, lists."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q
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
        entry = _recent_entry(call.pk, call.received_at, call.call_type, call.notes)
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
    """A number's calls by type over 24 h, 7 days, 30 days and ever, its last calls, block and risk."""
    now = now or timezone.now()
    if caller is None:
        return CallerHistory(number=None)
    if new_caller:
        # Stored just now by the intake in progress: nothing to read yet.
        return CallerHistory(number=caller.number, counts=_zero_counts())
    calls = Call.objects.filter(caller=caller)
    if exclude_call_id is not None:
        calls = calls.exclude(pk=exclude_call_id)
    # One grouped row per call type with a count per window: four aggregates, not one per type and window.
    rows = calls.values("call_type").annotate(
        ever=Count("id"),
        **{window: Count("id", filter=Q(received_at__gte=now - delta)) for window, delta in HISTORY_WINDOWS.items()},
    )
    windows = [*HISTORY_WINDOWS, "ever"]
    counts = _zero_counts()
    for row in rows:
        for window in windows:
            counts[window]["all"] += row[window]
            if row["call_type"]:
                counts[window][row["call_type"]] = row[window]
    total = counts["ever"]["all"]
    # Four columns, not whole calls: building five call models cost more than the query.
    latest = calls.order_by("-received_at").values_list("id", "received_at", "call_type", "notes")[:5]
    recent = [_recent_entry(*row) for row in latest]
    block = active_block(caller, now=now)
    history = CallerHistory(
        number=caller.number,
        calls_total=total,
        counts=counts,
        recent=recent,
        blocked=block is not None,
        block=(
            {
                "level": block.level,
                "expires_at": block.expires_at.isoformat() if block.expires_at else None,
                "reason": block.reason,
            }
            if block
            else None
        ),
    )
    history.prank_risk, history.risk_reasons = prank_risk(history)
    return history


def _zero_counts() -> dict[str, dict[str, int]]:
    return {window: dict.fromkeys([*CALL_TYPES, "all"], 0) for window in [*HISTORY_WINDOWS, "ever"]}


def _recent_entry(call_id: int, received_at: datetime, call_type: str | None, notes: str) -> dict:
    return {
        "id": call_id,
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
