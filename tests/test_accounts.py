"""Accounts: lockout, password rules, session rotation and idle timeout, CSRF, TOTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.services import user_upsert
from dispatch.models import AuditLog
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

HOME = "10.1.1.1"
ELSEWHERE = "10.2.2.2"


def form_login(client, username, password=PASSWORD, address=HOME):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def token_login(client, username, password=PASSWORD, address=HOME, **extra):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password, **extra}, content_type="application/json", REMOTE_ADDR=address
    )


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def login_with_otp(client, user, address=HOME):
    """Log a supervisor or admin in the way a person does: password, then a TOTP code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or confirmed_device(user)
    response = form_login(client, user.username, address=address)
    assert response.status_code == 302, response.content
    response = client.post("/account/2fa/verify/", {"token": current_code(device), "next": "/"}, REMOTE_ADDR=address)
    assert response.status_code == 302 and "/account/2fa/" not in response["Location"]
    return device


# --- lockout -----------------------------------------------------------------------------------


def test_five_failed_form_logins_lock_the_pair_with_an_indonesian_429_page(operator):
    client = Client()
    for _ in range(4):
        assert form_login(client, operator.username, "wrong-password-x").status_code == 200
    locked = form_login(client, operator.username, "wrong-password-x")
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan masuk" in locked.content.decode()
    # The right password does not help while locked.
    assert form_login(client, operator.username).status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_lasts_at_least_ten_minutes_and_ends_after_cool_off(operator):
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            form_login(client, operator.username, "wrong-password-x")
        traveller.shift(timedelta(minutes=11))
        assert form_login(client, operator.username).status_code == 429
        # An attempt during the lockout restarts the 15-minute cool-off (axes' default).
        traveller.shift(timedelta(minutes=14))
        assert form_login(client, operator.username).status_code == 429
        traveller.shift(timedelta(minutes=16))
        assert form_login(client, operator.username).status_code == 302


def test_lockout_of_one_address_does_not_lock_the_same_user_elsewhere(operator):
    attacker = Client()
    for _ in range(5):
        form_login(attacker, operator.username, "wrong-password-x", address=ELSEWHERE)
    assert form_login(attacker, operator.username, address=ELSEWHERE).status_code == 429
    assert form_login(Client(), operator.username, address=HOME).status_code == 302


def test_token_endpoint_failures_count_and_lock_with_json(operator):
    client = Client()
    for _ in range(4):
        response = token_login(client, operator.username, "wrong-password-x")
        assert response.status_code == 400
    locked = token_login(client, operator.username, "wrong-password-x")
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert token_login(client, operator.username).status_code == 429
    # Failures on the token endpoint lock the form too: it is one (username, address) pair.
    assert form_login(Client(), operator.username).status_code == 429
    assert token_login(Client(), operator.username, address=ELSEWHERE).status_code == 200


def test_failed_and_successful_logins_are_audited_without_password(operator):
    client = Client()
    form_login(client, operator.username, "wrong-password-x")
    form_login(client, operator.username)
    token_login(Client(), operator.username, "wrong-password-y")
    rows = list(AuditLog.objects.filter(action__in=["auth.login", "auth.token"]).order_by("at", "pk"))
    assert [(r.action, r.outcome) for r in rows] == [("auth.login", "denied"), ("auth.login", "ok"), ("auth.token", "denied")]
    assert rows[0].detail == {"username": operator.username} and rows[0].address == HOME
    assert rows[1].user_id == operator.pk
    for row in rows:
        assert "wrong-password" not in str(row.detail) and PASSWORD not in str(row.detail)


# --- password rules ----------------------------------------------------------------------------


def test_add_user_refuses_short_and_common_passwords(ref):
    with pytest.raises(CommandError, match="terlalu pendek|too short"):
        call_command("add_user", "baru", "--role", "operator", "--password", "Pendek1!")
    with pytest.raises(CommandError, match="terlalu umum|too common"):
        call_command("add_user", "baru", "--role", "operator", "--password", "password1234")
    call_command("add_user", "baru", "--role", "operator", "--password", "kopi-tubruk-pagi-112")


def test_user_upsert_validates_length_and_common_list(ref):
    with pytest.raises(ValidationError):
        user_upsert(username="x1", role="operator", password="abc12345678")
    with pytest.raises(ValidationError):
        user_upsert(username="x2", role="operator", password="qwertyuiop123")
    assert user_upsert(username="x3", role="operator", password="bengkulu-pantai-panjang").check_password("bengkulu-pantai-panjang")


# --- sessions ----------------------------------------------------------------------------------


def test_login_rotates_the_session_key(operator):
    client = Client()
    client.get("/login/")
    client.session.save()
    before = client.session.session_key
    client.cookies["sessionid"] = before
    form_login(client, operator.username)
    assert client.session.session_key != before


@pytest.mark.parametrize(("role", "minutes"), [("operator", 30), ("agency", 30), ("supervisor", 15), ("admin", 15)])
def test_idle_session_is_logged_out_after_its_role_limit(ref, make_user, role, minutes):
    user = make_user(role, "DAMKAR" if role == "agency" else None)
    client = Client()
    page = "/agency/" if role == "agency" else "/board/"
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        if role in ("supervisor", "admin"):
            login_with_otp(client, user)
        else:
            form_login(client, user.username)
        traveller.shift(timedelta(minutes=minutes - 1))
        assert client.get(page).status_code == 200
        traveller.shift(timedelta(minutes=minutes - 1))
        assert client.get(page).status_code == 200, "activity restarts the clock"
        traveller.shift(timedelta(minutes=minutes, seconds=1))
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        assert "_auth_user_id" not in client.session
        api = client.get("/api/v1/dispatches/")
        assert api.status_code in (401, 403)
    assert AuditLog.objects.filter(action="auth.logout", outcome="idle", user=user).count() == 1


def test_background_refresh_is_not_activity(operator):
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        form_login(client, operator.username)
        for _ in range(3):
            traveller.shift(timedelta(minutes=9))
            assert client.get("/board/partial/").status_code == 200
        traveller.shift(timedelta(minutes=4))
        assert client.get("/board/").status_code == 302


def test_idle_api_request_answers_json_401(operator):
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        form_login(client, operator.username)
        traveller.shift(timedelta(minutes=31))
        response = client.get("/api/v1/dispatches/")
    assert response.status_code == 401 and response.json()["code"] == "session_expired"


PARTIALS = ["/board/partial/", "/board/partial/?view=wall", "/agency/partial/", "/desk/today/", "/disaster/?partial=1", "/incidents/1/"]
PARTIAL = {"HTTP_X_PARTIAL": "1"}


@pytest.mark.parametrize("path", PARTIALS)
def test_a_partial_refresh_without_a_session_answers_401_while_the_page_redirects_to_login(path):
    client = Client()
    assert client.get(path, **PARTIAL).status_code == 401
    page = client.get(path)
    assert page.status_code == 302 and page["Location"].startswith("/login/")


def test_a_partial_refresh_after_the_idle_timeout_answers_401_and_refreshes_are_not_activity(operator):
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        form_login(client, operator.username)
        for _ in range(3):
            traveller.shift(timedelta(minutes=9))
            assert client.get("/desk/today/", **PARTIAL).status_code == 200
        traveller.shift(timedelta(minutes=4))
        assert client.get("/desk/today/", **PARTIAL).status_code == 401
        assert "_auth_user_id" not in client.session


def test_a_supervisor_partial_refresh_before_the_second_step_answers_403(supervisor):
    client = Client()
    form_login(client, supervisor.username)
    assert client.get("/board/partial/?view=wall", **PARTIAL).status_code == 403
    assert client.get("/wall/")["Location"].startswith("/account/2fa/")


# --- CSRF --------------------------------------------------------------------------------------


def _csrf_login(client, user):
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    response = client.post("/login/", {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    return client.cookies["csrftoken"].value


def test_session_api_post_without_csrf_token_is_refused(operator):
    client = Client(enforce_csrf_checks=True)
    token = _csrf_login(client, operator)
    refused = client.post("/api/v1/calls/", {"caller_number": "081234567890"}, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    accepted = client.post("/api/v1/calls/", {"caller_number": "081234567890"}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_form_posts_without_csrf_token_are_refused(operator):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/login/", {"username": operator.username, "password": PASSWORD}).status_code == 403
    _csrf_login(client, operator)
    assert client.post("/logout/").status_code == 403
    assert "_auth_user_id" in client.session


# --- two-factor --------------------------------------------------------------------------------


@pytest.fixture
def no_otp_throttle(settings):
    """django-otp delays the next try after a wrong code; these tests try again at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def test_supervisor_without_device_is_sent_to_setup_then_verified(supervisor, no_otp_throttle):
    client = Client()
    response = form_login(client, supervisor.username)
    assert response.status_code == 302
    wall = client.get("/wall/")
    assert wall.status_code == 302 and wall["Location"].startswith("/account/2fa/setup/")
    api = client.get("/api/v1/dispatches/")
    assert api.status_code == 403 and api.json()["code"] == "otp_required"
    page = client.get(wall["Location"])
    body = page.content.decode()
    assert page.status_code == 200 and 'src="data:image/svg+xml;base64,' in body and "<script>" not in body
    device = TOTPDevice.objects.get(user=supervisor, confirmed=False)
    assert client.post("/account/2fa/setup/", {"token": "000000"}).status_code == 200
    done = client.post("/account/2fa/setup/", {"token": current_code(device), "next": "/wall/"})
    assert done.status_code == 302 and done["Location"] == "/wall/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/wall/").status_code == 200
    assert client.get("/api/v1/dispatches/").status_code == 200


def test_supervisor_with_device_must_verify_after_password(supervisor, no_otp_throttle):
    device = confirmed_device(supervisor)
    client = Client()
    form_login(client, supervisor.username)
    assert client.get("/wall/")["Location"].startswith("/account/2fa/verify/")
    assert client.post("/account/2fa/verify/", {"token": "123456"}).status_code == 200
    assert client.get("/wall/").status_code == 302
    client.post("/account/2fa/verify/", {"token": current_code(device)})
    assert client.get("/wall/").status_code == 200


def test_admin_pages_need_otp_too(ref, make_user):
    admin = make_user("admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    form_login(client, admin.username)
    assert client.get("/admin/")["Location"].startswith("/account/2fa/")
    login_with_otp(Client(), admin)


def test_operator_needs_no_otp_but_may_enable_it(operator):
    client = Client()
    form_login(client, operator.username)
    assert client.get("/board/").status_code == 200
    assert client.get("/account/2fa/setup/").status_code == 200


def test_supervisor_token_requires_otp_code(supervisor, no_otp_throttle):
    client = Client()
    refused = token_login(client, supervisor.username)
    assert refused.status_code == 403 and refused.json()["code"] == "otp_required"
    device = confirmed_device(supervisor)
    assert token_login(client, supervisor.username, otp_token="000000").status_code == 403
    ok = token_login(client, supervisor.username, otp_token=current_code(device))
    assert ok.status_code == 200 and ok.json()["token"]


def test_force_authenticated_supervisor_api_is_unaffected(supervisor, client_for):
    assert client_for(supervisor).get("/api/v1/dispatches/").status_code == 200


# --- passwords that repeat the username ---------------------------------------------------------


@pytest.mark.parametrize("password", ["operator1operator1", "OPERATOR1-rahasia!", "1rotarepo-panjang-sekali", "kopi operator 1 pagi"])
def test_add_user_refuses_a_password_that_contains_the_username(ref, password):
    with pytest.raises(CommandError, match="nama pengguna|username"):
        call_command("add_user", "operator1", "--role", "operator", "--password", password)
    with pytest.raises(ValidationError):
        user_upsert(username="operator1", role="operator", password=password)


def _admin_client(make_user):
    admin = make_user("admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)  # not an interactive login: the TOTP rule has its own tests
    return client


def test_admin_forms_refuse_a_password_that_contains_the_username(ref, make_user):
    from django.contrib.auth import get_user_model

    client = _admin_client(make_user)
    added = client.post("/admin/auth/user/add/", {
        "username": "operator1", "password1": "operator1operator1", "password2": "operator1operator1", "usable_password": "true",
    })
    assert added.status_code == 200 and not get_user_model().objects.filter(username="operator1").exists()
    target = make_user("operator", username="operator2")
    changed = client.post(f"/admin/auth/user/{target.pk}/password/", {"password1": "operator2operator2", "password2": "operator2operator2"})
    assert changed.status_code == 200
    target.refresh_from_db()
    assert target.check_password(PASSWORD)
    # A good password still goes through.
    client.post(f"/admin/auth/user/{target.pk}/password/", {"password1": "kopi-tubruk-pagi-112", "password2": "kopi-tubruk-pagi-112"})
    target.refresh_from_db()
    assert target.check_password("kopi-tubruk-pagi-112")


# --- the audit trail of accounts, admin edits and exports ----------------------------------------


def _actions(**filters) -> list[str]:
    return list(AuditLog.objects.filter(**filters).order_by("at", "id").values_list("action", flat=True))


def test_account_creation_role_moves_deactivation_and_groups_are_audited_without_passwords(ref, make_user):
    from django.contrib.auth.models import Group

    from agencies.models import Agency, Membership

    call_command("add_user", "staf_baru", "--role", "agency", "--agency", "DAMKAR", "--password", "kopi-tubruk-pagi-112")
    user = Membership.objects.get(user__username="staf_baru").user
    membership = user.membership
    membership.agency = Agency.objects.get(code="BPBD")
    membership.save()
    user.groups.add(Group.objects.create(name="pelatih"))
    user.set_password("kopi-tubruk-sore-113")
    user.save()
    user.is_active = False
    user.save()
    actions = _actions(object_type="user", object_id=str(user.pk))
    assert actions[0] == "account.create"
    assert actions.count("account.role") == 2  # DAMKAR on creation, then BPBD
    assert {"account.groups", "account.change", "account.deactivate"} <= set(actions)
    moved = AuditLog.objects.filter(action="account.role", object_id=str(user.pk)).order_by("-at", "-id").first()
    assert moved.detail["agency"] == "BPBD" and moved.detail["previous_agency"] == "DAMKAR"
    dumped = str(list(AuditLog.objects.values("detail")))
    assert "kopi-tubruk" not in dumped and "pbkdf2" not in dumped


def test_every_admin_add_change_and_delete_is_audited(ref, make_user):
    from agencies.models import Agency

    client = _admin_client(make_user)
    agency = Agency.objects.get(code="DLH")
    page = client.get(f"/admin/agencies/agency/{agency.pk}/change/")
    assert page.status_code == 200
    form = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    form.update({"name": "Dinas Lingkungan Hidup Kota Bengkulu"})
    client.post(f"/admin/agencies/agency/{agency.pk}/change/", form)
    client.post("/admin/auth/group/add/", {"name": "auditor"})
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="auditor")
    client.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"})
    assert AuditLog.objects.filter(action="admin.add", detail__model="auth.group").exists()
    assert AuditLog.objects.filter(action="admin.delete", detail__model="auth.group", detail__object_repr="auditor").exists()


@pytest.mark.parametrize("path, params, action", [
    ("/reports/export/", {"start": "2026-03-01", "end": "2026-03-02", "format": "csv"}, "export.calls"),
    ("/reports/export/", {"start": "2026-03-01", "end": "2026-03-02", "format": "xlsx"}, "export.calls"),
    ("/reports/daily/pdf/", {"date": "2026-03-01"}, "export.daily_pdf"),
    ("/reports/monthly/", {"month": "2026-03", "format": "csv"}, "export.monthly"),
    ("/api/v1/reports/daily/", {"date": "2026-03-01", "format": "csv"}, "export.calls"),
])
def test_exports_record_who_exported_what(ref, supervisor, path, params, action):
    client = Client()
    client.force_login(supervisor)
    assert client.get(path, params).status_code == 200
    row = AuditLog.objects.get(action=action)
    assert row.user_id == supervisor.pk and row.detail["format"] == params.get("format", "pdf")
