"""The reasons the system writes on transitions, told in the reader's language.

Services store a transition's reason as short, fixed English ("call 12 linked", "escalated: not
acknowledged in time"): the audit trail keeps what was written. The timelines show it through
`reason_text`, which words the system's own reasons in the active language; a reason a person
typed (a cancellation, a reopening) is shown as typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _


def _call_type(code: str) -> str:
    from calls.models import CallType

    return str(CallType(code).label) if code in CallType.values else code


def _retype(m: re.Match) -> str:
    """An incident type change, by the types' labels (one query for both)."""
    from agencies.models import IncidentType

    labels = {t.code: t.label for t in IncidentType.objects.filter(code__in=[m[1], m[2]])}
    return _("jenis %(from)s → %(to)s") % {"from": labels.get(m[1], m[1]), "to": labels.get(m[2], m[2])}


# (pattern, wording): the first pattern that matches the whole reason words it.
_REASONS: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (re.compile(r"call (\d+)"), lambda m: _("panggilan #%(id)s") % {"id": m[1]}),
    (re.compile(r"call (\d+) linked"), lambda m: _("panggilan #%(id)s digabungkan") % {"id": m[1]}),
    (re.compile(r"call (\d+) unlinked"), lambda m: _("panggilan #%(id)s dilepas") % {"id": m[1]}),
    (re.compile(r"type (\S+) -> (\S+)"), _retype),
    (re.compile(r"location: (.*)", re.S), lambda m: _("lokasi: %(place)s") % {"place": m[1]}),
    (re.compile(r"(-|[a-z]+) -> ([a-z]+)"),
     lambda m: _("klasifikasi %(from)s → %(to)s") % {"from": "—" if m[1] == "-" else _call_type(m[1]), "to": _call_type(m[2])}),
    (re.compile(r"unlinked from incident (\d+); own incident (\d+)"),
     lambda m: _("dilepas dari kejadian #%(from)s; menjadi kejadian #%(to)s") % {"from": m[1], "to": m[2]}),
    (re.compile(r"import"), lambda m: _("impor")),
    (re.compile(r"import: closed without acknowledgement"), lambda m: _("impor: ditutup tanpa diterima")),
    (re.compile(r"import: (\S+)"), lambda m: _("impor: %(type)s") % {"type": _call_type(m[1])}),
    (re.compile(r"late ringing"), lambda m: _("dering tercatat terlambat")),
    (re.compile(r"answered before ringing"), lambda m: _("dijawab sebelum dering tercatat")),
    (re.compile(r"answered at extension (.+)"), lambda m: _("dijawab di ekstensi %(ext)s") % {"ext": m[1]}),
    (re.compile(r"hangup before answer"), lambda m: _("ditutup sebelum dijawab")),
    (re.compile(r"hangup"), lambda m: _("panggilan berakhir")),
    (re.compile(r"claimed at desk"), lambda m: _("diambil di meja operator")),
    (re.compile(r"taken over from (.+)"), lambda m: _("diambil alih dari %(who)s") % {"who": m[1]}),
    (re.compile(r"escalated: not acknowledged in time"), lambda m: _("eskalasi: tidak diterima tepat waktu")),
    (re.compile(r"escalated: duty officer notified"), lambda m: _("eskalasi: petugas piket diberi tahu")),
    (re.compile(r"no place: (.*)", re.S), lambda m: _("dikirim tanpa lokasi: %(reason)s") % {"reason": m[1]}),
]


def reason_text(reason: str) -> str:
    """A stored reason in the active language: the system's own worded, a person's as typed."""
    for pattern, words in _REASONS:
        match = pattern.fullmatch(reason)
        if match:
            return words(match)
    return reason
