"""What follows a change to an account, however it was made (a service, `add_user`, the admin):

* the audit trail records accounts created and changed (never a password), role and agency
  changes, group changes, and every add/change/delete made in the Django admin;
* a password change or a deactivation revokes the account's API tokens;
* a password change, a deactivation, a role or agency change and a deleted token close the
  user's live sockets after commit (dispatch/events.py), so revoked access does not live on.

Connected in `DispatchConfig.ready`. These are receivers because the admin and Django's own
forms write these rows directly; the work itself is in dispatch/tokens.py and dispatch/audit.py.
"""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from agencies.models import Membership
from dispatch.models import ApiToken

User = get_user_model()
_WATCHED = ("password", "is_active", "is_staff", "is_superuser", "username")


def _close_sockets_after_commit(user_id: int) -> None:
    from dispatch import events

    transaction.on_commit(lambda: events.close_user_sockets(user_id))


@receiver(pre_save, sender=User, dispatch_uid="d112_user_before")
def _remember_user_before(sender, instance, update_fields=None, raw=False, **kwargs):
    instance._d112_before = None
    if raw or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(_WATCHED):
        return  # e.g. last_login at every login: nothing watched changes
    instance._d112_before = User.objects.filter(pk=instance.pk).values(*_WATCHED).first()


@receiver(post_save, sender=User, dispatch_uid="d112_user_after")
def _user_saved(sender, instance, created=False, raw=False, **kwargs):
    from dispatch.audit import audit
    from dispatch.tokens import tokens_revoke

    if raw:
        return
    if created:
        audit("account.create", obj=instance, detail={"username": instance.get_username(), "is_active": instance.is_active,
                                                      "is_staff": instance.is_staff, "is_superuser": instance.is_superuser})
        return
    before = getattr(instance, "_d112_before", None)
    instance._d112_before = None
    if not before:
        return
    changed = [name for name in _WATCHED if before[name] != getattr(instance, name)]
    if not changed:
        return
    detail = {"username": instance.get_username(), "changed": changed}
    detail.update({name: getattr(instance, name) for name in changed if name != "password"})
    audit("account.deactivate" if "is_active" in changed and not instance.is_active else "account.change", obj=instance, detail=detail)
    if "password" in changed or ("is_active" in changed and not instance.is_active):
        tokens_revoke(user=instance, reason="password_changed" if "password" in changed else "deactivated")
        _close_sockets_after_commit(instance.pk)


@receiver(pre_save, sender=Membership, dispatch_uid="d112_membership_before")
def _remember_membership_before(sender, instance, raw=False, **kwargs):
    instance._d112_before = None
    if not raw and instance.pk is not None:
        instance._d112_before = Membership.objects.filter(pk=instance.pk).values("role", "agency__code").first()


def _agency_code(membership: Membership) -> str | None:
    from agencies.models import Agency

    if not membership.agency_id:
        return None
    return Agency.objects.filter(pk=membership.agency_id).values_list("code", flat=True).first()


@receiver(post_save, sender=Membership, dispatch_uid="d112_membership_after")
def _membership_saved(sender, instance, created=False, raw=False, **kwargs):
    from dispatch.audit import audit

    if raw:
        return
    before = getattr(instance, "_d112_before", None)
    instance._d112_before = None
    now = {"role": instance.role, "agency__code": _agency_code(instance)}
    if not created and before == now:
        return
    audit("account.role", obj=instance.user, detail={
        "username": instance.user.get_username(), "role": now["role"], "agency": now["agency__code"],
        "previous_role": before["role"] if before else None, "previous_agency": before["agency__code"] if before else None,
    })
    if before is not None:
        _close_sockets_after_commit(instance.user_id)


@receiver(post_delete, sender=Membership, dispatch_uid="d112_membership_deleted")
def _membership_deleted(sender, instance, **kwargs):
    from dispatch.audit import audit

    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:  # not when the whole account is being deleted
        audit("account.role", obj=user, detail={"username": user.get_username(), "role": None, "previous_role": instance.role})
    _close_sockets_after_commit(instance.user_id)


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="d112_user_groups")
def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    from dispatch.audit import audit

    if action not in ("post_add", "post_remove", "post_clear"):
        return
    users = [instance] if not reverse else list(User.objects.filter(pk__in=pk_set or ()))
    for user in users:
        audit("account.groups", obj=user, detail={
            "username": user.get_username(), "action": action.removeprefix("post_"),
            "groups": sorted(user.groups.values_list("name", flat=True)),
        })


@receiver(post_delete, sender=ApiToken, dispatch_uid="d112_token_deleted")
def _token_deleted(sender, instance, **kwargs):
    _close_sockets_after_commit(instance.user_id)


_ADMIN_ACTIONS = {ADDITION: "admin.add", CHANGE: "admin.change", DELETION: "admin.delete"}


@receiver(post_save, sender=LogEntry, dispatch_uid="d112_admin_log")
def _admin_logged(sender, instance, created=False, raw=False, **kwargs):
    """Every add, change and delete made in the Django admin, into the append-only audit trail."""
    from dispatch.audit import audit

    if raw or not created:
        return
    content_type = instance.content_type
    audit(
        _ADMIN_ACTIONS.get(instance.action_flag, "admin.other"),
        user=instance.user,
        detail={
            "model": f"{content_type.app_label}.{content_type.model}" if content_type else "",
            "object_id": str(instance.object_id or "")[:64],
            "object_repr": instance.object_repr,
            "change": instance.get_change_message()[:500],
        },
    )
