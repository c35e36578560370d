"""The words people read for the codes the data keeps: call types, incident types, block levels and
shifts, in the reader's language (Bahasa Indonesia, or English when chosen). Pages, KPIs, charts,
the PDF and the monthly exports name things through here, never by their codes."""

from __future__ import annotations

import time

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from agencies.models import IncidentType
from calls.models import Block, CallType

_INCIDENT_TYPES: dict[str, tuple[float, dict[str, tuple[str, str]]]] = {}
_INCIDENT_TYPES_TTL = 60.0  # seconds: an incident type renamed in the admin shows within a minute


def call_type_label(code: str | None) -> str:
    if not code or code == "unclassified":
        return _("Belum terklasifikasi")
    return str(CallType(code).label) if code in CallType.values else code


def _incident_type_names() -> dict[str, tuple[str, str]]:
    cached = _INCIDENT_TYPES.get("all")
    if cached and time.monotonic() - cached[0] < _INCIDENT_TYPES_TTL:
        return cached[1]
    names = {code: (label_id, label_en) for code, label_id, label_en in IncidentType.objects.values_list("code", "label_id", "label_en")}
    _INCIDENT_TYPES["all"] = (time.monotonic(), names)
    return names


def incident_type_label(code: str | None) -> str:
    if not code:
        return "—"
    label_id, label_en = _incident_type_names().get(code, (code, code))
    return label_en if (get_language() or "").startswith("en") and label_en else label_id


def block_level_label(code: str | None) -> str:
    return str(Block.Level(code).label) if code in Block.Level.values else (code or "—")


def shift_label(code: str | None) -> str:
    labels = {
        "pagi": pgettext("shift", "Pagi (07–14)"),
        "siang": pgettext("shift", "Siang (14–21)"),
        "malam": pgettext("shift", "Malam (21–07)"),
    }
    return labels.get(code or "", code or "—")


def period_label(period) -> str:
    """A report period as read: a shift's period names its shift ("2026-03-10 · Pagi (07–14)")."""
    if getattr(period, "kind", "") == "shift" and " " in period.label:
        day, code = period.label.rsplit(" ", 1)
        return f"{day} · {shift_label(code)}"
    return period.label
