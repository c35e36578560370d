"""The audit trail: append-only in the database itself, one row per action, nothing secret in logs."""

from __future__ import annotations

import logging

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client
from rest_framework.test import APIClient

from dispatch.audit import audit
from dispatch.models import AuditLog
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ADDRESS = "10.11.12.13"


def _refused(sql: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL dispatch112.audit_maintenance = off")
            cursor.execute(sql)


@pytest.mark.services
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE dispatch_auditlog SET outcome = 'changed'",
        "DELETE FROM dispatch_auditlog",
        "TRUNCATE dispatch_auditlog",
    ],
    ids=["update", "delete", "truncate"],
)
def test_database_refuses_changes_to_the_audit_trail(ref, sql):
    row = audit("test.row", detail={"n": 1})
    _refused(sql)
    row.refresh_from_db()
    assert row.outcome == "ok" and AuditLog.objects.filter(pk=row.pk).exists()


def _session_client(user) -> Client:
    client = Client(REMOTE_ADDR=ADDRESS)
    assert client.post("/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def test_each_state_change_writes_one_row_with_who_what_where(ref, make_user):
    operator = make_user("operator")
    staff = make_user("agency", "DAMKAR")
    floor = _session_client(operator)
    before = AuditLog.objects.count()

    # A fire with a place: a P1 incident with none goes out only with a reason (a separate audit action).
    where = {"lat": -3.84067, "lon": 102.32073, "address": "Jl. Pagar Dewa"}
    call_id = floor.post("/api/v1/calls/", {"caller_number": "081234567890", "location": where}, content_type="application/json").json()["id"]
    body = floor.post(
        f"/api/v1/calls/{call_id}/classify/", {"call_type": "emergency", "incident_type": "kebakaran_bangunan"}, content_type="application/json"
    ).json()
    incident_id = body["incident"]["id"]
    dispatch_id = floor.post(f"/api/v1/incidents/{incident_id}/dispatch/", {}, content_type="application/json").json()["dispatches"][0]["id"]
    agency = _session_client(staff)
    assert agency.post(f"/api/v1/dispatches/{dispatch_id}/acknowledge/").status_code == 200

    rows = {r.action: r for r in AuditLog.objects.order_by("pk")[before:]}
    for action, obj_id, user, agency_code in [
        ("call.create", call_id, operator, ""),
        ("call.classify", call_id, operator, ""),
        ("dispatch.create", dispatch_id, operator, ""),
        ("dispatch.acknowledge", dispatch_id, staff, "DAMKAR"),
        ("auth.login", "", staff, "DAMKAR"),
    ]:
        row = rows[action]
        assert AuditLog.objects.filter(action=action, user=user, object_id=str(obj_id)).count() == 1, action
        assert row.at is not None and row.user_id == user.pk and row.agency_code == agency_code
        assert row.object_id == str(obj_id) and row.outcome == "ok"
        assert row.address == ADDRESS, action


def test_no_password_session_id_or_token_in_any_log_line(ref, make_user, caplog):
    operator = make_user("operator")
    caplog.set_level(logging.DEBUG)
    client = Client()
    client.post("/login/", {"username": operator.username, "password": "wrong-password-zz"})
    client.post("/login/", {"username": operator.username, "password": PASSWORD})
    session_key = client.session.session_key
    token = APIClient().post("/api/v1/auth/token/", {"username": operator.username, "password": PASSWORD}, format="json").json()["token"]
    APIClient().post("/api/v1/auth/token/", {"username": operator.username, "password": "other-wrong-pw"}, format="json")
    scripted = APIClient()
    scripted.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert scripted.get("/api/v1/dispatches/").status_code == 200
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert caplog.records, "the flow logs something (axes does), so the check is meaningful"
    for secret in (PASSWORD, "wrong-password-zz", "other-wrong-pw", session_key, token):
        assert secret not in text
    stored = " ".join(str(r.detail) for r in AuditLog.objects.all())
    for secret in (PASSWORD, "wrong-password-zz", "other-wrong-pw", session_key, token):
        assert secret not in stored


# --- The application's database role -------------------------------------------------------------

ATTEMPTS = {
    "update": "UPDATE dispatch_auditlog SET outcome = 'changed'",
    "delete": "DELETE FROM dispatch_auditlog",
    "truncate": "TRUNCATE dispatch_auditlog",
}
# What a session could try first to open the table: the old maintenance switch, and a trigger bypass.
SETS = [
    "SET dispatch112.audit_maintenance = on",
    "SET session_replication_role = replica",
]


def _new_role_name() -> str:
    import uuid

    return f"d112_test_app_{uuid.uuid4().hex[:10]}"


def _drop_role(role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"')  # its grants and default privileges here
        cursor.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def app_role(transactional_db):
    """A role created the way a deployment creates it (`manage.py create_app_role`); dropped after."""
    from django.core.management import call_command

    role = _new_role_name()
    call_command("create_app_role", role)
    yield role
    _drop_role(role)


@pytest.fixture
def overgranted_role(transactional_db):
    """A role that does not own the table but was granted every right on it, by hand."""
    role = _new_role_name()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" LOGIN')
        cursor.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        cursor.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON dispatch_auditlog TO "{role}"')
    yield role
    _drop_role(role)


def _connect_as(role: str):
    import psycopg

    db = connection.settings_dict
    return psycopg.connect(
        host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432, dbname=db["NAME"], user=role, autocommit=True,
    )


def _attempt(role: str, sql: str, setting: str | None) -> str:
    """Run `sql` as `role` after `setting`; the error PostgreSQL gave, or "" when it went through."""
    import psycopg

    with _connect_as(role) as conn:
        try:
            with conn.transaction():
                if setting:
                    try:
                        with conn.transaction():
                            conn.execute(setting)
                    except psycopg.Error:
                        pass  # not allowed to set it: the attempt goes on without
                conn.execute(sql)
        except psycopg.Error as exc:
            return str(exc) or exc.__class__.__name__
    return ""


@pytest.mark.services
@pytest.mark.parametrize("setting", [None, *SETS], ids=["plain", "maintenance-setting", "replication-role"])
@pytest.mark.parametrize("operation", list(ATTEMPTS))
def test_application_role_can_neither_change_nor_empty_the_audit_trail(app_role, operation, setting):
    row = audit("test.row", detail={"n": 1})
    with _connect_as(app_role) as conn:  # the application's own writes still work
        conn.execute("INSERT INTO dispatch_auditlog (at, username, agency_code, action, object_type, object_id, "
                     "outcome, detail) VALUES (now(), '', '', 'test.app', '', '', 'ok', '{}')")
        assert conn.execute("SELECT count(*) FROM dispatch_auditlog").fetchone()[0] == 2
    assert _attempt(app_role, ATTEMPTS[operation], setting)
    row.refresh_from_db()
    assert row.outcome == "ok" and AuditLog.objects.count() == 2


@pytest.mark.services
@pytest.mark.parametrize("operation", list(ATTEMPTS))
def test_the_trigger_refuses_a_role_that_is_not_the_owner_even_with_every_right_granted(overgranted_role, operation):
    """Should the rights ever be widened by mistake, the trigger still refuses whatever the session SETs."""
    audit("test.row", detail={"n": 1})
    error = _attempt(overgranted_role, ATTEMPTS[operation], SETS[0])
    assert "append-only" in error
    assert AuditLog.objects.filter(outcome="ok", action="test.row").count() == 1


@pytest.mark.services
def test_application_role_has_only_row_rights_and_owns_nothing(app_role):
    with _connect_as(app_role) as conn:
        rights = dict(conn.execute(
            "SELECT table_name, string_agg(privilege_type, ',' ORDER BY privilege_type) FROM information_schema.role_table_grants "
            "WHERE grantee = current_user GROUP BY table_name").fetchall())
        owned = conn.execute("SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)").fetchone()[0]
        superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
    assert rights["dispatch_auditlog"] == "INSERT,SELECT"
    assert rights["calls_call"] == "DELETE,INSERT,SELECT,UPDATE"
    assert all("TRUNCATE" not in granted and "TRIGGER" not in granted for granted in rights.values())
    assert owned == 0 and superuser is False
