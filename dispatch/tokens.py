"""API tokens: issue, check, rotate, revoke.

A key is 40 random hex characters, shown once when it is issued; the database keeps its SHA-256
digest (the key has 160 random bits, so a fast hash is enough) and its first 8 characters. A
token lives `TOKEN_TTL_SECONDS[role]`, and dies earlier with a password change (its
`password_mark` no longer matches), with deactivation, or when revoked. Issue and revocation
are audited; revocation also closes the user's live sockets.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from dispatch.models import ApiToken

PREFIX_LENGTH = 8
DEFAULT_TTL_SECONDS = 3600


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def password_mark(user) -> str:
    """Changes whenever the user's password does. A digest of the stored (salted) password hash, so
    it tells nothing the users table does not, and does not depend on SECRET_KEY."""
    return hashlib.sha256(f"dispatch112.api-token:{user.password}".encode()).hexdigest()


def token_ttl(user) -> timedelta:
    from agencies.selectors import actor_for_user

    role = actor_for_user(user).role or ""
    return timedelta(seconds=settings.TOKEN_TTL_SECONDS.get(role, DEFAULT_TTL_SECONDS))


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # shown once; not stored

    def __getattr__(self, name):
        return getattr(self.token, name)  # user, user_id, prefix, expires_at, ...


def token_create(*, user, by=None, address: str | None = None, reason: str = "issued") -> IssuedToken:
    """A new token for the user, with its role's lifetime; the key is returned once."""
    from dispatch.audit import audit

    key = secrets.token_hex(20)
    now = timezone.now()
    token = ApiToken.objects.create(
        digest=key_digest(key),
        prefix=key[:PREFIX_LENGTH],
        user=user,
        created_at=now,
        expires_at=now + token_ttl(user),
        password_mark=password_mark(user),
    )
    audit("auth.token_create", user=by or user, obj=token, address=address,
          detail={"for": user.get_username(), "prefix": token.prefix, "expires_at": token.expires_at.isoformat(), "reason": reason})
    return IssuedToken(token=token, key=key)


def token_is_valid(token: ApiToken, *, now: datetime | None = None) -> bool:
    """A token read with its user: unexpired, the user active, and issued under the current password."""
    user = token.user
    return (
        user.is_active
        and token.expires_at > (now or timezone.now())
        and constant_time_compare(token.password_mark, password_mark(user))
    )


def tokens_revoke(*, user, by=None, reason: str, keep: ApiToken | None = None) -> int:
    """Delete every token of a user (but `keep`), audited; their sockets close after commit."""
    from dispatch import events
    from dispatch.audit import audit

    qs = ApiToken.objects.filter(user=user)
    if keep is not None:
        qs = qs.exclude(pk=keep.pk)
    prefixes = list(qs.values_list("prefix", flat=True))
    if not prefixes:
        return 0
    qs.delete()
    audit("auth.token_revoke", user=by or user, detail={"for": user.get_username(), "prefixes": prefixes, "reason": reason})
    user_id = user.pk
    transaction.on_commit(lambda: events.close_user_sockets(user_id))
    return len(prefixes)


@transaction.atomic
def token_rotate(*, user, by=None, grace: timedelta | None = None) -> IssuedToken:
    """A new key for an integration account; its older keys keep working for `grace`, then expire."""
    from dispatch.audit import audit

    grace = timedelta(seconds=settings.TOKEN_ROTATION_GRACE_SECONDS) if grace is None else grace
    issued = token_create(user=user, by=by, reason="rotated")
    until = timezone.now() + grace
    older = ApiToken.objects.filter(user=user, expires_at__gt=until).exclude(pk=issued.token.pk)
    prefixes = list(older.values_list("prefix", flat=True))
    older.update(expires_at=until)
    if prefixes:
        audit("auth.token_revoke", user=by or user,
              detail={"for": user.get_username(), "prefixes": prefixes, "reason": "rotated", "expires_at": until.isoformat()})
    return issued


def tokens_delete_expired(*, now: datetime | None = None) -> int:
    """Remove tokens past their lifetime (they are refused anyway)."""
    deleted, _ = ApiToken.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
