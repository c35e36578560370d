"""The block ladder for numbers that prank or ghost again and again.

Default ladder (Indonesian 112 practice): a warning, then 24 hours, then
7 days, then blocked until a supervisor reviews it. A blocked number's calls
are still recorded and shown, flagged; several of them within minutes alert
supervisors, since a prankster's phone can carry a real emergency.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from calls.models import Block, BlockPolicy, Call, Caller
from dispatch import events
from dispatch.audit import audit
from dispatch.errors import Conflict
from dispatch.event_types import BlockedCallerBurst, CallerBlocked

LADDER = (Block.Level.WARNING, Block.Level.DAY, Block.Level.WEEK, Block.Level.REVIEW)


def current_policy() -> BlockPolicy:
    policy = BlockPolicy.objects.order_by("pk").first()
    return policy or BlockPolicy.objects.create()


def _expiry(level: str, start: datetime, policy: BlockPolicy) -> datetime | None:
    if level == Block.Level.WARNING:
        return start
    if level == Block.Level.DAY:
        return start + timedelta(hours=policy.day_hours)
    if level == Block.Level.WEEK:
        return start + timedelta(days=policy.week_days)
    return None


def block_event(block: Block) -> CallerBlocked:
    return CallerBlocked(
        caller_number=block.caller.number,
        level=block.level,
        starts_at=block.starts_at.isoformat(),
        expires_at=block.expires_at.isoformat() if block.expires_at else None,
        lifted=block.lifted_at is not None,
        reason=block.reason,
    )


def after_classification(call: Call, *, now: datetime, user) -> Block | None:
    """Move the caller one step up the ladder when prank/ghost calls reach the threshold.

    Runs inside the classification transaction.
    """
    if call.caller_id is None or call.call_type not in ("prank", "ghost"):
        return None
    policy = current_policy()
    caller = Caller.objects.select_for_update().get(pk=call.caller_id)
    steps = list(
        Block.objects.filter(
            caller=caller, created_by__isnull=True, starts_at__gte=now - timedelta(days=policy.ladder_reset_days)
        ).order_by("-starts_at")
    )
    since = now - timedelta(days=policy.window_days)
    if steps and steps[0].starts_at > since:
        since = steps[0].starts_at
    offences = Call.objects.filter(caller=caller, call_type__in=["prank", "ghost"], classified_at__gt=since).count()
    if offences < policy.threshold:
        return None
    level = LADDER[min(len(steps), len(LADDER) - 1)]
    reason = _("%(n)d panggilan prank/ghost sejak langkah sebelumnya") % {"n": offences}
    block = Block.objects.create(
        caller=caller, level=level, starts_at=now, expires_at=_expiry(level, now, policy), reason=reason
    )
    audit("caller.block.auto", user=user, obj=block, detail={"level": level, "number": caller.number})
    events.emit(block_event(block))
    return block


def block_manual(*, caller_number: str, user, reason: str, hours: int | None) -> Block:
    """A supervisor blocks a number, for some hours or until lifted."""
    if not reason.strip():
        raise Conflict(_("Alasan blokir wajib diisi."))
    now = timezone.now()
    with transaction.atomic():
        caller, _created = Caller.objects.get_or_create(number=caller_number, defaults={"first_seen_at": now})
        block = Block.objects.create(
            caller=caller,
            level=Block.Level.MANUAL,
            starts_at=now,
            expires_at=now + timedelta(hours=hours) if hours else None,
            reason=reason,
            created_by=user,
        )
        audit("caller.block", user=user, obj=block, detail={"number": caller.number, "hours": hours})
        events.emit(block_event(block))
    return block


def block_lift(*, caller_number: str, user, reason: str) -> int:
    """A supervisor lifts every block of a number now in force. Returns how many."""
    if not reason.strip():
        raise Conflict(_("Alasan membuka blokir wajib diisi."))
    now = timezone.now()
    with transaction.atomic():
        blocks = list(
            Block.objects.select_for_update(of=("self",))
            .select_related("caller")
            .filter(caller__number=caller_number, lifted_at__isnull=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .exclude(level=Block.Level.WARNING)
        )
        for block in blocks:
            block.lifted_at, block.lifted_by, block.lift_reason = now, user, reason
            block.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
            audit("caller.unblock", user=user, obj=block, detail={"number": caller_number})
        if blocks:
            events.emit(block_event(blocks[0]))
    return len(blocks)


def _burst_message(*, number: str, calls: int, minutes: int) -> str:
    """The stored alert's sentence, in the floor's language whoever's request made it (screens word it themselves)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Nomor diblokir %(number)s menelepon %(n)d kali dalam %(m)d menit: mungkin darurat sungguhan.") % {
            "number": number, "n": calls, "m": minutes}


def note_call_from_blocked_number(caller: Caller, call: Call, *, now: datetime) -> bool:
    """Alert supervisors once when a blocked number calls again and again within minutes."""
    policy = current_policy()
    recent = Call.objects.filter(caller=caller, received_at__gte=now - timedelta(minutes=policy.burst_minutes)).count()
    if recent != policy.burst_calls:
        return False
    audit("caller.blocked_burst", obj=call, detail={"number": caller.number, "calls": recent})
    events.emit(
        BlockedCallerBurst(
            call_id=call.pk,
            caller_number=caller.number,
            calls=recent,
            minutes=policy.burst_minutes,
            message=_burst_message(number=caller.number, calls=recent, minutes=policy.burst_minutes),
        )
    )
    return True


POLICY_FIELDS = ("window_days", "threshold", "ladder_reset_days", "day_hours", "week_days", "burst_calls", "burst_minutes")


def block_policy_update(*, user, **values: int) -> BlockPolicy:
    """A supervisor tunes the ladder; the change is audited."""
    with transaction.atomic():
        policy = BlockPolicy.objects.select_for_update().filter(pk=current_policy().pk).get()
        before = {name: getattr(policy, name) for name in POLICY_FIELDS}
        for name, value in values.items():
            if name not in POLICY_FIELDS or int(value) < 1:
                raise Conflict(_("Nilai kebijakan tidak valid: %(name)s") % {"name": name})
            setattr(policy, name, int(value))
        policy.updated_by = user
        policy.save()
        audit("block_policy.update", user=user, obj=policy, detail={"before": before, "after": values})
    return policy


def active_blocks():
    now = timezone.now()
    return (
        Block.objects.filter(lifted_at__isnull=True)
        .exclude(level=Block.Level.WARNING)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("caller", "created_by")
        .order_by("-starts_at")
    )
