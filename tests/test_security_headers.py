"""Security headers on every HTML page, and `check --deploy` in production mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent


def _assert_headers(response):
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp


@pytest.mark.parametrize(
    ("role", "agency", "path"),
    [
        (None, None, "/login/"),
        ("operator", None, "/desk/"),
        ("operator", None, "/board/"),
        ("operator", None, "/account/2fa/setup/"),
        ("supervisor", None, "/wall/"),
        ("agency", "DAMKAR", "/agency/"),
        ("admin", None, "/admin/"),
    ],
)
def test_html_pages_carry_frame_nosniff_and_strict_csp(ref, make_user, role, agency, path):
    client = Client()
    if role:
        user = make_user(role, agency)
        if role == "admin":
            user.is_staff = user.is_superuser = True
            user.save()
        client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Content-Type"].startswith("text/html")
    _assert_headers(response)
    assert "<script>" not in response.content.decode().replace(" ", "")


def test_lockout_page_carries_the_headers_too(operator):
    client = Client()
    for _ in range(5):
        response = client.post("/login/", {"username": operator.username, "password": "wrong-password-x"})
    assert response.status_code == 429
    _assert_headers(response)


def _production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "SESSION_")) and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DEBUG="0",
        SECRET_KEY="x" * 20 + "-production-like-secret-key-for-the-check-0123456789",
        ALLOWED_HOSTS="112.bengkulukota.go.id",
        DATABASE_URL=os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/unused",
        REDIS_URL=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15",
    )
    return env


def test_check_deploy_passes_in_production_mode():
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=_production_env(), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_send_hsts():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    env = _production_env() | {"DJANGO_SETTINGS_MODULE": "dispatch.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60)  # noqa: S603
    assert result.returncode == 0, result.stderr
    hsts, subdomains, session_secure, csrf_secure = result.stdout.split()
    assert int(hsts) >= 31536000 and subdomains == session_secure == csrf_secure == "True"


def test_the_published_placeholder_secret_key_fails_check_deploy():
    placeholder = next(
        line.split("=", 1)[1] for line in (BASE_DIR / ".env.example").read_text().splitlines() if line.startswith("SECRET_KEY=")
    )
    for key in (placeholder, "build-only"):
        result = subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=BASE_DIR, env=_production_env() | {"SECRET_KEY": key}, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode != 0, key
        assert "dispatch.E001" in result.stdout + result.stderr, key


def test_secret_key_check_tells_placeholders_from_real_keys():
    import secrets

    from dispatch.checks import secret_key_is_placeholder

    assert secret_key_is_placeholder("change-me-to-a-long-random-string-of-at-least-50-characters")
    assert secret_key_is_placeholder("dev-only-insecure-key-dispatch112-do-not-use-in-production")
    assert not secret_key_is_placeholder(secrets.token_urlsafe(50).replace("example", "x"))


# --- The API schema and its docs -----------------------------------------------------------------


def test_api_schema_and_docs_need_a_login(operator):
    anonymous = Client()
    assert anonymous.get("/api/schema/").status_code in (401, 403)
    docs = anonymous.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/login/")
    client = Client()
    client.force_login(operator)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_api_schema_answers_a_token_client(api):
    assert api.get("/api/schema/").status_code == 200


# --- Caching and the socket origin ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/desk/", "/board/", "/api/v1/calls/", "/api/v1/events/", "/api/schema/", "/account/2fa/setup/"])
def test_personal_answers_are_never_stored(operator, path):
    client = Client()
    client.force_login(operator)
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Cache-Control"] == "no-store", path


def test_api_answers_to_a_token_client_are_never_stored(api):
    response = api.get("/api/v1/calls/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert api.get("/api/v1/calls/999999/")["Cache-Control"] == "no-store"


def test_static_files_keep_their_cache_lifetime(operator):
    client = Client()
    client.force_login(operator)
    response = client.get("/static/js/live.js")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "") and "max-age" in response["Cache-Control"]


def test_csp_lets_sockets_reach_the_own_origin_only(operator):
    client = Client()
    client.force_login(operator)
    csp = client.get("/desk/")["Content-Security-Policy"]
    connect_src = next(part.split()[1:] for part in csp.split(";") if part.strip().startswith("connect-src"))
    assert connect_src == ["'self'", "ws://testserver"]
    secure = client.get("/desk/", secure=True)["Content-Security-Policy"]
    assert "connect-src 'self' wss://testserver;" in secure
    assert not any(source in ("ws:", "wss:", "*") for source in connect_src)
