"""The production image's own commands, run here the way the Dockerfile and compose file run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(DEBUG="0", SECRET_KEY="build-only", ALLOWED_HOSTS="localhost", **extra)
    return env


def test_collectstatic_as_the_dockerfile_runs_it(tmp_path):
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT, env=_production_env(STATIC_ROOT=str(tmp_path)), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "js/live.js" in manifest and "vendor/leaflet-1.9.4/leaflet.js" in manifest


def test_compose_services_share_one_image_and_have_health_checks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name
    assert services["web"]["image"] == services["worker"]["image"] == services["beat"]["image"]
    assert "pgdata" in compose["volumes"]
    assert services["worker"]["command"][:3] == ["celery", "-A", "dispatch"]
    assert (ROOT / ".env.example").exists() and (ROOT / "Dockerfile").exists()


def test_beats_health_check_is_the_sweep_status_command_and_it_loads_in_the_image():
    beat = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["beat"]
    command = beat["healthcheck"]["test"]
    assert command[:4] == ["CMD", "python", "manage.py", "sweep_status"]
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, *command[2:4], "--help"], cwd=ROOT, env=_production_env(), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0 and "--max-age" in result.stdout, result.stderr[-2000:]


def test_celery_app_and_beat_schedule_load_as_worker_and_beat_start_them():
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", "from dispatch.celery import app; app.loader.import_default_modules(); "
         "print(sorted(app.conf.beat_schedule)); print('dispatch.tasks.sweep' in app.tasks)"],
        cwd=ROOT, env=_production_env(REDIS_URL="redis://127.0.0.1:6379/15"), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "'sweep'" in result.stdout and "True" in result.stdout


def test_smtp_for_the_digest_comes_from_the_environment():
    """The digest goes out by SMTP in production: host, port, account and TLS are set from .env."""
    script = ("import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'dispatch.settings'); django.setup(); "
              "from django.conf import settings as s; "
              "print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS)")
    env = _production_env(EMAIL_HOST="smtp.bengkulukota.go.id", EMAIL_PORT="587", EMAIL_HOST_USER="cc112",
                          EMAIL_HOST_PASSWORD="rahasia-smtp", EMAIL_USE_TLS="1")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["smtp.bengkulukota.go.id", "587", "cc112", "rahasia-smtp", "True"]
    # An empty EMAIL_HOST (as in .env.example) means the local relay, not a host named "".
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=_production_env(EMAIL_HOST=""),
                            capture_output=True, text=True, timeout=120)  # noqa: S603
    assert result.stdout.split()[:2] == ["localhost", "25"]


# --- A fresh start ---------------------------------------------------------------------------------


def test_requirements_pin_what_the_redis_transport_imports():
    """kombu's Redis transport imports `packaging`, which only kombu's `redis` extra brings."""
    from importlib.metadata import requires

    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.split("[", 1)[0].lower()] = (name, version)
    assert pins["kombu"][0] == "kombu[redis]"
    # Pinned to what kombu's extra asks for exactly, so pip resolves requirements.txt alone.
    wanted = [r for r in requires("kombu") if r.startswith("packaging") and 'extra == "redis"' in r]
    assert wanted and f"packaging=={pins['packaging'][1]};" in wanted[0].replace(" ", ""), wanted


def test_runsystem_collects_static_files_in_production_mode(tmp_path):
    """DEBUG=0 serves static files from the manifest; without collecting them first every page is a 500."""
    script = (
        "import django, sys; django.setup()\n"
        "from unittest import mock\n"
        "import subprocess\n"
        "from django.core.management import call_command\n"
        "class Done(Exception): pass\n"
        "def popen(*a, **k): raise Done()\n"
        "with mock.patch.object(subprocess, 'Popen', popen):\n"
        "    try:\n"
        "        call_command('runsystem', '--port', '1')\n"
        "    except Done:\n"
        "        pass\n"
    )
    env = _production_env(STATIC_ROOT=str(tmp_path), DJANGO_SETTINGS_MODULE="dispatch.settings")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)  # noqa: S603
    assert result.returncode == 0, result.stderr[-2000:]
    assert "js/live.js" in (tmp_path / "staticfiles.json").read_text()


def test_fresh_start_check_is_part_of_ci():
    run = (ROOT / ".ci" / "run").read_text()
    script = (ROOT / ".ci" / "fresh_start.sh").read_text()
    assert ".ci/fresh_start.sh" in run
    assert "-m venv" in script and "-r \"$requirements\"" in script and "runsystem" in script and "sweep_status" in script


# --- Client address and scheme behind proxies ------------------------------------------------------

CLIENT = "203.0.113.9"
PROXY = "10.0.0.5"


def _failed_login_address(**extra) -> str | None:
    from django.test import Client

    from dispatch.models import AuditLog

    client = Client(**extra)
    response = client.post("/login/", {"username": "nobody-here", "password": "wrong-password-x"})
    assert response.status_code == 200
    return AuditLog.objects.filter(action="auth.login", outcome="denied").latest("pk").address


@pytest.mark.django_db
def test_forwarded_for_from_a_peer_that_is_no_trusted_proxy_is_ignored(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    assert _failed_login_address(REMOTE_ADDR="10.0.0.77", HTTP_X_FORWARDED_FOR=CLIENT) == "10.0.0.77"
    settings.TRUSTED_PROXIES = []
    assert _failed_login_address(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=CLIENT) == "127.0.0.1"


@pytest.mark.django_db
def test_a_trusted_proxy_attributes_the_request_to_the_right_most_untrusted_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    # The client forged the left-most entry; the proxy appended the address it saw.
    forwarded = f"198.51.100.1, {CLIENT}"
    assert _failed_login_address(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded) == CLIENT
    # Two trusted proxies in a row are skipped.
    assert _failed_login_address(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{CLIENT}, 10.0.0.9") == CLIENT
    # Garbage stops the walk at the last trusted hop: never an address the client chose.
    assert _failed_login_address(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{CLIENT}, not-an-address") == PROXY


@pytest.mark.django_db
def test_login_lockout_counts_per_client_behind_the_proxy(settings, operator):
    """Five failures from one client behind the proxy lock that client out, not everyone behind it."""
    from django.test import Client

    from tests.factories import PASSWORD

    settings.TRUSTED_PROXIES = [PROXY]
    attacker = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT)
    for _ in range(5):
        response = attacker.post("/login/", {"username": operator.username, "password": "wrong-password-x"})
    assert response.status_code == 429
    colleague = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert colleague.post("/login/", {"username": operator.username, "password": PASSWORD}).status_code == 302
    # And a local peer cannot escape its own lockout by naming another address.
    settings.TRUSTED_PROXIES = []
    local = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.30")
    for _ in range(5):
        response = local.post("/login/", {"username": operator.username, "password": "wrong-password-x"})
    assert response.status_code == 429
    assert Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.31").post(
        "/login/", {"username": operator.username, "password": PASSWORD}).status_code == 429


@pytest.mark.django_db
def test_forwarded_proto_is_believed_only_from_a_trusted_proxy(settings):
    from django.test import Client

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXIES = [PROXY]
    forged = Client(REMOTE_ADDR="10.0.0.77", HTTP_X_FORWARDED_PROTO="https").get("/login/")
    assert forged.status_code == 301 and forged["Location"].startswith("https://")
    proxied = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https").get("/login/")
    assert proxied.status_code == 200
    assert "wss://testserver" in proxied["Content-Security-Policy"]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_asgi_server_passes_the_peer_address_through_untouched(ref):
    """uvicorn believed X-Forwarded-For from any local peer (its default); the server must not."""
    import httpx

    from dispatch.models import AuditLog
    from tests.servers import start_server, stop_process

    proc, base = start_server({"TRUSTED_PROXIES": ""})
    try:
        with httpx.Client(base_url=base, timeout=20) as client:
            page = client.get("/login/")
            token = page.cookies["csrftoken"]
            response = client.post(
                "/login/",
                data={"username": "nobody-here", "password": "wrong-password-x", "csrfmiddlewaretoken": token},
                headers={"X-Forwarded-For": CLIENT, "Referer": base + "/login/"},
            )
            assert response.status_code == 200
    finally:
        stop_process(proc)
    row = AuditLog.objects.filter(action="auth.login", outcome="denied").latest("pk")
    assert row.address == "127.0.0.1"


def test_compose_publishes_the_web_port_only_to_the_proxy_and_trusts_it():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert "ports" not in services["web"]
    proxy = services["proxy"]
    assert any(str(p).endswith(":443") for p in proxy["ports"])
    proxy_address = proxy["networks"]["default"]["ipv4_address"]
    trusted = services["web"]["environment"]["TRUSTED_PROXIES"]
    assert trusted == proxy_address
