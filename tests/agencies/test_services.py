"""Accounts: `add_user` and `user_upsert` accept Django's username characters only."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from agencies.services import user_upsert
from dispatch.errors import InvalidInput

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-password-for-tests-42"


@pytest.mark.parametrize("username", ["sup<b", "a&b", "x y", "<script>", "op\x00", "op'1", "a" * 151, ""])
def test_add_user_refuses_a_username_outside_djangos_characters(ref, username):
    with pytest.raises(CommandError):
        call_command("add_user", username, "--role", "operator", "--password", PASSWORD, stdout=io.StringIO())
    assert not get_user_model().objects.exclude(username__in=["operator", "supervisor"]).exists()


@pytest.mark.parametrize("username", ["operator2", "staf.damkar", "budi@pos", "a+b", "a-b_c", "Andi_Sëtiawan"])
def test_add_user_accepts_djangos_username_characters(ref, username):
    call_command("add_user", username, "--role", "operator", "--password", PASSWORD, stdout=io.StringIO())
    assert get_user_model().objects.filter(username=username).exists()


def test_user_upsert_refuses_markup_in_a_new_username(ref):
    with pytest.raises(InvalidInput) as error:
        user_upsert(username="sup<b", role="supervisor", password=PASSWORD)
    assert error.value.field == "username"
