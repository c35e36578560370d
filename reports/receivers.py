"""What the reports subscribe to: every change to a call, incident or dispatch, and the sweep."""

from __future__ import annotations

from core.changes import Change, on_change
from dispatch.shifts import WIB
from dispatch.sweep import sweep_step
from reports.digest import digest_send_due
from reports.rollups import rollup_mark_stale
from reports.services import amend_if_signed_off


@on_change
def past_day_changed(change: Change) -> None:
    """A change to a call of an ended day makes its roll-up stale; on a signed-off day it leaves an amendment."""
    if change.object_type == "call":
        rollup_mark_stale(*change.moments)  # the roll-up counts calls only
    for day in sorted({moment.astimezone(WIB).date() for moment in change.moments}):
        amend_if_signed_off(
            day=day, user=change.user, action=change.action, object_type=change.object_type, object_id=change.object_id,
            detail=change.detail,
        )


sweep_step("digests_sent")(digest_send_due)
