import pytest
from django.contrib.auth import get_user_model
from rest_framework import exceptions

from agencies.models import Agency, Membership
from agencies.selectors import actor_for_user
from dispatch.authentication import TokenAuthentication, token_with_user_and_role
from dispatch.models import ApiToken as Token
from dispatch.tokens import token_create
from tests.factories import UserFactory


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _as_the_orm_reads_it(key: str) -> Token:
    from dispatch.tokens import key_digest

    return Token.objects.select_related("user__membership__agency").get(digest=key_digest(key))


@pytest.mark.parametrize("role, agency", [("operator", None), ("agency", "DAMKAR"), ("supervisor", None)])
def test_one_statement_reads_token_user_membership_and_agency_as_the_orm_would(ref, make_user, role, agency,
                                                                                  django_assert_num_queries):
    user = make_user(role, agency)
    user.last_login = user.date_joined
    user.save()
    key = token_create(user=user).key
    expected = _as_the_orm_reads_it(key)

    with django_assert_num_queries(1):
        token = token_with_user_and_role(key)
        # Everything below comes from that one statement.
        membership = token.user.membership
        found_agency = membership.agency
        actor = actor_for_user(token.user)

    assert _fields(token) == _fields(expected)
    assert _fields(token.user) == _fields(expected.user)
    assert _fields(membership) == _fields(expected.user.membership)
    assert membership.user is token.user
    if agency:
        assert _fields(found_agency) == _fields(expected.user.membership.agency)
        assert actor.agency_code == agency
    else:
        assert found_agency is None
    assert actor.role == role
    assert type(token.user.is_active) is bool and token.user.date_joined.tzinfo is not None


def test_a_user_without_membership_is_read_as_having_none(ref, django_assert_num_queries):
    user = UserFactory(username="tanpa_peran", is_superuser=True)
    key = token_create(user=user).key

    with django_assert_num_queries(1):
        token = token_with_user_and_role(key)
        assert getattr(token.user, "membership", None) is None
        assert actor_for_user(token.user).role == "admin"


def test_unknown_and_inactive_tokens_are_refused(ref, make_user):
    auth = TokenAuthentication()
    with pytest.raises(exceptions.AuthenticationFailed):
        auth.authenticate_credentials("0" * 40)
    user = make_user("operator")
    key = token_create(user=user).key
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(exceptions.AuthenticationFailed):
        auth.authenticate_credentials(key)


def test_a_role_change_is_seen_by_the_next_request(ref, make_user):
    user = make_user("agency", "DAMKAR")
    key = token_create(user=user).key
    Membership.objects.filter(user=user).update(agency=Agency.objects.get(code="BPBD"))

    user_read, _ = TokenAuthentication().authenticate_credentials(key)

    assert actor_for_user(user_read).agency_code == "BPBD"


@pytest.mark.services
def test_on_postgresql_the_token_lookup_is_prepared_once_the_connection_has_run_it_a_few_times(ref, make_user):
    """Server-side binding with psycopg's prepare threshold: PostgreSQL plans the hot statement once per connection."""
    from django.db import connection

    from dispatch.authentication import _token_query

    token = token_create(user=make_user("operator"))
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]

    def prepared() -> list:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall() if row[0] == _token_query().sql.replace("%s", "$1")]

    assert not prepared()
    for _ in range(threshold + 1):
        assert token_with_user_and_role(token.key).user_id == token.user_id
    assert len(prepared()) == 1
    # And the prepared statement answers as the unprepared one did.
    assert token_with_user_and_role(token.key).user.membership.role == "operator"
    assert token_with_user_and_role("0" * 40) is None


# --- lifetimes, hashing, revocation -------------------------------------------------------------

from datetime import timedelta  # noqa: E402

import time_machine  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402


def _accepted(key: str) -> bool:
    try:
        TokenAuthentication().authenticate_credentials(key)
    except exceptions.AuthenticationFailed:
        return False
    return True


def test_only_a_digest_and_a_prefix_are_stored(ref, make_user):
    from django.db import connection

    issued = token_create(user=make_user("operator"))
    row = Token.objects.get(user=issued.token.user)
    assert row.prefix == issued.key[:8] and issued.key not in row.digest and len(issued.key) == 40
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Token._meta.db_table}")  # nosec B608 - a test
        assert not any(issued.key in str(value) for record in cursor.fetchall() for value in record)
    assert issued.key not in str(row) and issued.key not in repr(row)


@pytest.mark.parametrize("role, agency, hours", [("operator", None, 12), ("agency", "DAMKAR", 12), ("supervisor", None, 1), ("pbx", None, 90 * 24)])
def test_tokens_expire_after_their_roles_lifetime(ref, make_user, role, agency, hours):
    key = token_create(user=make_user(role, agency)).key
    with time_machine.travel(timezone.now() + timedelta(hours=hours) - timedelta(minutes=1)):
        assert _accepted(key)
    with time_machine.travel(timezone.now() + timedelta(hours=hours, minutes=1)):
        assert not _accepted(key)


def test_a_supervisors_token_stops_standing_in_for_totp_within_the_hour(ref, make_user):
    key = token_create(user=make_user("supervisor")).key
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert not _accepted(key)


def test_a_password_change_revokes_the_tokens(ref, make_user):
    user = make_user("operator")
    key = token_create(user=user).key
    user.set_password("kopi-tubruk-pagi-112")
    user.save()
    assert not _accepted(key)
    assert not Token.objects.filter(user=user).exists()


def test_a_password_changed_behind_the_orms_back_still_kills_the_token(ref, make_user):
    from django.contrib.auth.hashers import make_password

    user = make_user("operator")
    key = token_create(user=user).key
    get_user_model().objects.filter(pk=user.pk).update(password=make_password("kopi-tubruk-pagi-112"))
    assert not _accepted(key)


def test_deactivation_revokes_the_tokens_and_reactivation_does_not_revive_them(ref, make_user):
    user = make_user("pbx")
    key = token_create(user=user).key
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()
    assert not _accepted(key)


def test_add_user_with_the_same_password_keeps_the_tokens_and_a_new_one_revokes_them(ref):
    call_command("add_user", "pbx_gateway", "--role", "pbx", "--password", "sentral-telepon-112")
    user = get_user_model().objects.get(username="pbx_gateway")
    key = token_create(user=user).key
    call_command("add_user", "pbx_gateway", "--role", "pbx", "--password", "sentral-telepon-112")
    assert _accepted(key)
    call_command("add_user", "pbx_gateway", "--role", "pbx", "--password", "sentral-telepon-baru-113")
    assert not _accepted(key)


def test_token_endpoint_answers_a_new_working_key(ref, make_user):
    from tests.factories import PASSWORD

    user = make_user("operator")
    answer = Client().post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, content_type="application/json")
    assert answer.status_code == 200 and list(answer.json()) == ["token"]
    key = answer.json()["token"]
    assert _accepted(key)
    scripted = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert scripted.get("/api/v1/dispatches/").status_code == 200
    assert Client(HTTP_AUTHORIZATION=f"Token {key[:-1]}x").get("/api/v1/dispatches/").status_code in (401, 403)


def test_rotate_token_prints_a_new_key_and_the_old_one_dies_after_the_grace(ref, make_user, capsys):
    user = make_user("pbx", username="pbx_rotasi")
    old = token_create(user=user).key
    call_command("rotate_token", "pbx_rotasi", "--grace", "600")
    new = capsys.readouterr().out.strip()
    assert len(new) == 40 and new != old
    assert _accepted(old) and _accepted(new)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert not _accepted(old) and _accepted(new)


def test_the_admin_never_shows_a_key_and_its_log_keeps_none(ref, make_user):
    from django.contrib.admin.models import LogEntry

    from dispatch.models import AuditLog

    admin_user = make_user("admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    issued = token_create(user=make_user("pbx"))
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 404
    assert issued.key not in client.get("/admin/dispatch/apitoken/").content.decode()
    page = client.get(f"/admin/dispatch/apitoken/{issued.token.pk}/change/")
    assert page.status_code == 200 and issued.key not in page.content.decode()
    assert client.post(f"/admin/dispatch/apitoken/{issued.token.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not _accepted(issued.key)
    entry = LogEntry.objects.get(object_id=str(issued.token.pk), action_flag=3)
    assert issued.key not in entry.object_repr and issued.key[8:] not in entry.object_repr
    deleted = AuditLog.objects.get(action="admin.delete", detail__model="dispatch.apitoken")
    assert issued.key not in str(deleted.detail)
    assert AuditLog.objects.filter(action="auth.token_create", detail__prefix=issued.key[:8]).exists()
