"""API token authentication that reads the user's role in the same query.

A key is looked up by its SHA-256 digest (dispatch/tokens.py): the database never holds a key.

DRF's own class loads the token and its user; every API request then asks
for the user's membership. Here the token, the user, the membership and
its agency come back in one round trip.

Every API request pays for this lookup, so its SQL is built once per database
vendor from the models' own fields rather than compiled by the ORM each time:
the ORM spent about 1 ms of CPU per request building and reading this
four-table query, a prepared statement about 0.1 ms. The rows become model
instances through `Model.from_db` with the fields' own database converters,
exactly as a queryset would make them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from agencies.models import Agency, Membership
from dispatch import rows
from dispatch.models import ApiToken as Token
from dispatch.tokens import key_digest, token_is_valid


@dataclass(frozen=True)
class _Part:
    model: type
    attnames: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True)
class _TokenQuery:
    sql: str
    token: _Part
    user: _Part
    membership: _Part
    agency: _Part


_queries: dict[str, _TokenQuery] = {}


def _token_query() -> _TokenQuery:
    query = _queries.get(connection.vendor)
    if query is not None:
        return query
    quote = connection.ops.quote_name
    user_model = get_user_model()
    columns: list[str] = []
    parts: list[_Part] = []
    for model, alias in ((Token, "t"), (user_model, "u"), (Membership, "m"), (Agency, "a")):
        fields = model._meta.concrete_fields
        start = len(columns)
        columns += [f"{alias}.{quote(f.column)}" for f in fields]
        parts.append(_Part(model, tuple(f.attname for f in fields), start, len(columns)))
    token_fk = Token._meta.get_field("user")
    membership_user = Membership._meta.get_field("user")
    membership_agency = Membership._meta.get_field("agency")
    # Only table and column names from the models go into the text; the key's digest is a parameter,
    # looked up through the unique index on it.
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(Token._meta.db_table)} t"  # nosec B608
        f" JOIN {quote(user_model._meta.db_table)} u ON u.{quote(user_model._meta.pk.column)} = t.{quote(token_fk.column)}"
        f" LEFT JOIN {quote(Membership._meta.db_table)} m ON m.{quote(membership_user.column)} = u.{quote(user_model._meta.pk.column)}"
        f" LEFT JOIN {quote(Agency._meta.db_table)} a ON a.{quote(Agency._meta.pk.column)} = m.{quote(membership_agency.column)}"
        f" WHERE t.{quote(Token._meta.get_field('digest').column)} = %s"
    )
    query = _TokenQuery(sql, *parts)
    _queries[connection.vendor] = query
    return query


def _instance(part: _Part, row):
    return rows.instance_from_row(part.model, part.attnames, row[part.start : part.end])


def token_with_user_and_role(key: str) -> Token | None:
    """The token of a key, its user, the user's membership (or none) and its agency, from one statement.

    Whether the token is still valid (expiry, password, active user) is `tokens.token_is_valid`.
    """
    query = _token_query()
    with connection.cursor() as cursor:
        cursor.execute(query.sql, [key_digest(key)])
        row = cursor.fetchone()
    if row is None:
        return None
    token = _instance(query.token, row)
    user = _instance(query.user, row)
    Token._meta.get_field("user").set_cached_value(token, user)
    membership_descriptor = Membership.user.field.remote_field
    if row[query.membership.start] is None:  # no membership: cached as none, as select_related would
        membership_descriptor.set_cached_value(user, None)
        return token
    membership = _instance(query.membership, row)
    Membership._meta.get_field("user").set_cached_value(membership, user)
    membership_descriptor.set_cached_value(user, membership)
    agency = None
    if row[query.agency.start] is not None:
        agency = _instance(query.agency, row)
    Membership._meta.get_field("agency").set_cached_value(membership, agency)
    return token


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        token = token_with_user_and_role(key)
        if token is None or not token_is_valid(token):
            # One answer for unknown, expired and revoked keys: nothing to learn from the difference.
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return (token.user, token)
