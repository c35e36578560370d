"""Writes about accounts, roles and rosters."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from agencies.models import Agency, Membership
from dispatch.errors import InvalidInput


@transaction.atomic
def user_upsert(*, username: str, role: str, password: str, agency_code: str | None = None, validate: bool = True):
    """Create or update an account with its role (idempotent)."""
    if role not in Membership.Role.values:
        raise InvalidInput(f"unknown role {role}")
    agency = None
    if role == Membership.Role.AGENCY:
        if not agency_code:
            raise InvalidInput("--agency is required for the role agency")
        agency = Agency.objects.filter(code=agency_code).first()
        if agency is None:
            raise InvalidInput(f"unknown agency {agency_code}")
    elif agency_code:
        raise InvalidInput("--agency applies only to the role agency")
    User = get_user_model()
    user = User.objects.filter(username=username).first() or User(username=username)
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.is_staff = role == Membership.Role.ADMIN
    user.is_superuser = role == Membership.Role.ADMIN
    user.is_active = True
    user.save()
    Membership.objects.update_or_create(user=user, defaults={"role": role, "agency": agency})
    from dispatch.events import close_user_sockets

    transaction.on_commit(lambda: close_user_sockets(user.pk))
    return user
