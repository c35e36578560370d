import pytest
from django.contrib.auth import get_user_model
from rest_framework import exceptions
from rest_framework.authtoken.models import Token

from agencies.models import Agency, Membership
from agencies.selectors import actor_for_user
from dispatch.authentication import TokenAuthentication, token_with_user_and_role
from tests.factories import UserFactory


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _as_the_orm_reads_it(key: str) -> Token:
    return Token.objects.select_related("user__membership__agency").get(key=key)


@pytest.mark.parametrize("role, agency", [("operator", None), ("agency", "DAMKAR"), ("supervisor", None)])
def test_one_statement_reads_token_user_membership_and_agency_as_the_orm_would(ref, make_user, role, agency,
                                                                                  django_assert_num_queries):
    user = make_user(role, agency)
    user.last_login = user.date_joined
    user.save()
    key = Token.objects.create(user=user).key
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
    key = Token.objects.create(user=user).key

    with django_assert_num_queries(1):
        token = token_with_user_and_role(key)
        assert getattr(token.user, "membership", None) is None
        assert actor_for_user(token.user).role == "admin"


def test_unknown_and_inactive_tokens_are_refused(ref, make_user):
    auth = TokenAuthentication()
    with pytest.raises(exceptions.AuthenticationFailed):
        auth.authenticate_credentials("0" * 40)
    user = make_user("operator")
    key = Token.objects.create(user=user).key
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(exceptions.AuthenticationFailed):
        auth.authenticate_credentials(key)


def test_a_role_change_is_seen_by_the_next_request(ref, make_user):
    user = make_user("agency", "DAMKAR")
    key = Token.objects.create(user=user).key
    Membership.objects.filter(user=user).update(agency=Agency.objects.get(code="BPBD"))

    user_read, _ = TokenAuthentication().authenticate_credentials(key)

    assert actor_for_user(user_read).agency_code == "BPBD"


@pytest.mark.services
def test_on_postgresql_the_token_lookup_is_prepared_once_the_connection_has_run_it_a_few_times(ref, make_user):
    """Server-side binding with psycopg's prepare threshold: PostgreSQL plans the hot statement once per connection."""
    from django.db import connection

    from dispatch.authentication import _token_query

    token = Token.objects.create(user=make_user("operator"))
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
