"""Reads about hazard alerts and disaster mode, shared by the API, the pages and the reports."""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hazards.models import DisasterPeriod, HazardAlert

# Quick tags the desk adds to a call's notes in disaster mode, as "#code": what the disaster board counts.
QUICK_TAGS: tuple[tuple[str, object], ...] = (
    ("tanya_gempa", _("Menanyakan gempa")),
    ("bangunan_runtuh", _("Bangunan runtuh")),
    ("orang_terjebak", _("Orang terjebak")),
    ("kebakaran", _("Kebakaran")),
    ("luka", _("Korban luka")),
    ("tsunami_terlihat", _("Tsunami terlihat")),
)
TAG_CODES = tuple(code for code, _label in QUICK_TAGS)
INFO_TAG = "tanya_gempa"
_TAG_PATTERN = re.compile(r"#(" + "|".join(TAG_CODES) + r")\b")


def active_period() -> DisasterPeriod | None:
    return DisasterPeriod.objects.select_related("alert").filter(active=True).first()


def latest_period() -> DisasterPeriod | None:
    return DisasterPeriod.objects.select_related("alert").order_by("-started_at").first()


def period_get(period_id: int) -> DisasterPeriod | None:
    return DisasterPeriod.objects.select_related("alert").filter(pk=period_id).first()


def recent_alerts(limit: int = 20) -> list[HazardAlert]:
    return list(HazardAlert.objects.order_by("-received_at")[:limit])


def tags_in(notes: str) -> list[str]:
    return list(dict.fromkeys(_TAG_PATTERN.findall(notes or "")))


def is_quake_call(call) -> bool:
    return bool(tags_in(call.notes)) or bool(call.incident_id and call.incident.incident_type.code == "gempa_tsunami")


def period_calls(period: DisasterPeriod, *, until: datetime | None = None):
    """The calls received while the period lasted (to now for a running one), oldest first."""
    from calls.models import Call

    end = period.ended_at or until or timezone.now()
    return (Call.objects.filter(received_at__gte=period.started_at, received_at__lte=end)
            .select_related("kelurahan__kecamatan", "incident__incident_type", "caller").order_by("received_at"))


def period_summary(period: DisasterPeriod) -> dict:
    """Per kelurahan the calls and their tags; the KPIs: calls per hour and the share of quake calls."""
    calls = list(period_calls(period))
    groups: OrderedDict[str, dict] = OrderedDict()
    quake = 0
    for call in calls:
        tags = tags_in(call.notes)
        if is_quake_call(call):
            quake += 1
        key = call.kelurahan.name if call.kelurahan_id else ""
        group = groups.setdefault(key, {"kelurahan": key, "kecamatan": call.kelurahan.kecamatan.name if call.kelurahan_id else "",
                                        "calls": [], "tags": {code: 0 for code in TAG_CODES}})
        group["calls"].append({"call": call, "tags": tags})
        for tag in tags:
            group["tags"][tag] += 1
    for group in groups.values():
        group["tag_counts"] = [group["tags"][code] for code in TAG_CODES]
    end = period.ended_at or timezone.now()
    hours = max((end - period.started_at).total_seconds() / 3600, 1 / 60)
    # Places with reports of harm first, then by number of calls; calls without a place last.
    ordered = sorted(groups.values(), key=lambda g: (g["kelurahan"] == "", -sum(v for k, v in g["tags"].items() if k != INFO_TAG), -len(g["calls"])))
    return {
        "groups": ordered,
        "calls_total": len(calls),
        "quake_calls": quake,
        "quake_share_pct": round(100 * quake / len(calls), 1) if calls else None,
        "calls_per_hour": round(len(calls) / hours, 1),
        "hours": round(hours, 2),
        "tag_totals": {code: sum(g["tags"][code] for g in ordered) for code in TAG_CODES},
    }


def periods_overlapping(start: datetime, end: datetime) -> list[DisasterPeriod]:
    """Disaster periods touching [start, end) (a WIB day of the reports)."""
    return list(DisasterPeriod.objects.select_related("alert")
                .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start), started_at__lt=end).order_by("started_at"))
