"""Supervisor pages for the block ladder and the quality review."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.selectors import actor_for_user
from calls import blocking, quality
from calls.models import BlockPolicy, CallType, QualityReview
from calls.phone import parse_number
from dispatch.errors import ServiceError
from dispatch.shifts import shift_of
from django.utils import timezone


def supervisor_required(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if not actor_for_user(request.user).is_supervisor:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


class PolicyForm(forms.ModelForm):
    class Meta:
        model = BlockPolicy
        fields = list(blocking.POLICY_FIELDS)
        # The page's words, in the reader's language (the model's help texts are written for the admin).
        labels = {
            "window_days": gettext_lazy("Jendela hitung (hari)"),
            "threshold": gettext_lazy("Ambang naik satu langkah (panggilan)"),
            "ladder_reset_days": gettext_lazy("Langkah kedaluwarsa setelah (hari)"),
            "day_hours": gettext_lazy("Lama blokir pertama (jam)"),
            "week_days": gettext_lazy("Lama blokir kedua (hari)"),
            "burst_calls": gettext_lazy("Peringatan supervisor setelah (panggilan dari nomor diblokir)"),
            "burst_minutes": gettext_lazy("… dalam (menit)"),
        }
        help_texts = {
            "window_days": gettext_lazy("Panggilan prank dan ghost dihitung selama sekian hari."),
            "threshold": gettext_lazy("Panggilan prank/ghost dalam jendela yang menaikkan nomor satu langkah."),
            "ladder_reset_days": gettext_lazy("Langkah yang lebih lama dari ini tidak dihitung lagi."),
            "day_hours": "",
            "week_days": "",
            "burst_calls": "",
            "burst_minutes": "",
        }


class BlockForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Nomor"), max_length=64)
    reason = forms.CharField(label=gettext_lazy("Alasan"), max_length=500)
    hours = forms.IntegerField(label=gettext_lazy("Lama (jam, kosong = sampai dibuka)"), required=False, min_value=1, max_value=24 * 365)


@supervisor_required
def blocks(request):
    policy_form = PolicyForm(instance=blocking.current_policy())
    block_form = BlockForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "policy":
                policy_form = PolicyForm(request.POST, instance=blocking.current_policy())
                if policy_form.is_valid():
                    blocking.block_policy_update(user=request.user, **{f: policy_form.cleaned_data[f] for f in blocking.POLICY_FIELDS})
                    messages.success(request, _("Kebijakan blokir disimpan."))
                    return redirect("calls:blocks")
            elif action in ("block", "unblock"):
                block_form = BlockForm(request.POST)
                if block_form.is_valid():
                    e164 = parse_number(block_form.cleaned_data["number"]).e164
                    if e164 is None:
                        messages.error(request, _("Nomor tidak valid."))
                    elif action == "block":
                        blocking.block_manual(caller_number=e164, user=request.user, reason=block_form.cleaned_data["reason"], hours=block_form.cleaned_data["hours"])
                        messages.success(request, _("Nomor %(n)s diblokir.") % {"n": e164})
                        return redirect("calls:blocks")
                    else:
                        count = blocking.block_lift(caller_number=e164, user=request.user, reason=block_form.cleaned_data["reason"])
                        messages.success(request, _("%(c)d blokir dibuka untuk %(n)s.") % {"c": count, "n": e164})
                        return redirect("calls:blocks")
        except ServiceError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "calls/blocks.html",
        {"policy_form": policy_form, "block_form": block_form, "blocks": blocking.active_blocks()[:200]},
    )


@supervisor_required
def quality_review(request):
    if request.method == "POST":
        try:
            if request.POST.get("action") == "sample":
                day, shift = shift_of(timezone.now())
                drawn = quality.sample_shift(day=day, shift=request.POST.get("shift") or shift)
                messages.success(request, _("%(n)d panggilan diambil sebagai sampel.") % {"n": len(drawn)})
            else:
                quality.review_record(
                    review_id=int(request.POST["review_id"]), user=request.user,
                    corrected_type=request.POST["corrected_type"], note=request.POST.get("note", "")[:500],
                )
        except (ServiceError, KeyError, ValueError, QualityReview.DoesNotExist) as exc:
            messages.error(request, getattr(exc, "message", _("Permintaan tidak valid.")))
        return redirect("calls:quality")
    pending = QualityReview.objects.filter(reviewed_at__isnull=True).select_related("call__caller", "call__classified_by")[:100]
    return render(
        request,
        "calls/quality.html",
        {"pending": pending, "per_operator": quality.corrections_per_operator(), "call_types": CallType.choices},
    )
