from __future__ import annotations

import itertools

import factory
from django.contrib.auth import get_user_model

from agencies.models import Agency, Membership

_seq = itertools.count(1)
PASSWORD = "a-long-test-password-112"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


def user_with_role(role: str, agency: str | None = None, username: str | None = None):
    user = UserFactory(username=username or f"{role}{agency or ''}_{next(_seq)}".lower())
    Membership.objects.create(user=user, role=role, agency=Agency.objects.get(code=agency) if agency else None)
    return user
