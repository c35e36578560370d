"""Existing DRF token keys move to ApiToken as digests; the plain keys are deleted.

A key that was in use keeps working (its digest is stored) until its role's lifetime, counted from
this migration, runs out. The reverse cannot bring keys back: it only removes the hashed tokens.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def hash_existing_keys(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("dispatch", "ApiToken")
    Membership = apps.get_model("agencies", "Membership")
    ttl = getattr(settings, "TOKEN_TTL_SECONDS", {})
    now = timezone.now()
    for token in Token.objects.select_related("user"):
        membership = Membership.objects.filter(user_id=token.user_id).first()
        role = membership.role if membership else ("admin" if token.user.is_superuser else "")
        ApiToken.objects.create(
            digest=hashlib.sha256(token.key.encode()).hexdigest(),
            prefix=token.key[:8],
            user_id=token.user_id,
            created_at=token.created,
            expires_at=now + timedelta(seconds=ttl.get(role, 3600)),
            password_mark=hashlib.sha256(f"dispatch112.api-token:{token.user.password}".encode()).hexdigest(),
        )
    Token.objects.all().delete()


def drop_hashed_tokens(apps, schema_editor):
    apps.get_model("dispatch", "ApiToken").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0009_auth_api_tokens"),
        ("authtoken", "0003_tokenproxy"),
        ("agencies", "0002_landmark"),
    ]

    operations = [migrations.RunPython(hash_existing_keys, drop_hashed_tokens)]
