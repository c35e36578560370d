"""Quality review: each shift, supervisors check a random sample of the calls
classified prank or ghost; corrections are counted per operator."""

from __future__ import annotations

import random
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from calls.models import Call, CallType, QualityReview
from dispatch.audit import audit
from dispatch.errors import Conflict, InvalidInput
from dispatch.shifts import SHIFTS, WIB

DEFAULT_SAMPLE_RATE = 0.05


def shift_bounds(day: date, shift: str):
    from datetime import datetime, timedelta

    for code, start, end in SHIFTS:
        if code == shift:
            begin = datetime.combine(day, start, tzinfo=WIB)
            finish = datetime.combine(day + timedelta(days=1) if end <= start else day, end, tzinfo=WIB)
            return begin, finish
    raise InvalidInput(f"unknown shift {shift}")


def sample_shift(*, day: date, shift: str, rate: float = DEFAULT_SAMPLE_RATE, seed: int | None = None) -> list[QualityReview]:
    """Draw the shift's review sample (at least one call when there are any). Idempotent per call."""
    begin, finish = shift_bounds(day, shift)
    candidates = list(
        Call.objects.filter(received_at__gte=begin, received_at__lt=finish, call_type__in=[CallType.PRANK, CallType.GHOST])
        .filter(review__isnull=True)
        .values_list("pk", "call_type")
    )
    if not candidates:
        return []
    size = max(1, round(len(candidates) * rate))
    chosen = random.Random(seed).sample(candidates, min(size, len(candidates)))
    now = timezone.now()
    created = []
    for pk, call_type in chosen:
        try:
            with transaction.atomic():
                created.append(QualityReview.objects.create(call_id=pk, sampled_at=now, original_type=call_type))
        except IntegrityError:
            continue
    return created


def review_record(*, review_id: int, user, corrected_type: str, note: str = "") -> QualityReview:
    """A supervisor confirms (same type) or corrects a sampled classification."""
    if corrected_type not in CallType.values:
        raise InvalidInput(f"unknown call type {corrected_type}", field="corrected_type")
    with transaction.atomic():
        review = QualityReview.objects.select_for_update().get(pk=review_id)
        if review.reviewed_at is not None:
            raise Conflict("Sampel ini sudah ditinjau.")
        review.reviewed_at, review.reviewer = timezone.now(), user
        review.corrected_type, review.note = corrected_type, note
        review.save(update_fields=["reviewed_at", "reviewer", "corrected_type", "note"])
        audit("quality.review", user=user, obj=review, detail={"from": review.original_type, "to": corrected_type})
    return review


def corrections_per_operator():
    """Reviewed samples and corrections, per operator who classified the call."""
    return (
        QualityReview.objects.filter(reviewed_at__isnull=False)
        .values(operator=F("call__classified_by__username"))
        .annotate(reviewed=Count("id"), corrected=Count("id", filter=~Q(corrected_type=F("original_type"))))
        .order_by("-corrected", "operator")
    )
