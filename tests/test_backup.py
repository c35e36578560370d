"""Backup and restore as docs/operations.md describes: pg_dump (custom format), pg_restore into a fresh database."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import psycopg
import pytest
from django.db import connection

from calls.services import call_create
from dispatch.audit import audit

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

TABLES = ["agencies_agency", "agencies_kelurahan", "calls_caller", "calls_call", "dispatch_auditlog", "dispatch_event", "auth_user"]


def _libpq_env(settings_dict) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PGHOST=settings_dict.get("HOST") or "127.0.0.1", PGPORT=str(settings_dict.get("PORT") or 5432), PGUSER=settings_dict.get("USER") or "postgres")
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return env


def _counts(dbname: str, env: dict[str, str]) -> dict[str, int]:
    with psycopg.connect(dbname=dbname, host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], password=env.get("PGPASSWORD")) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}  # noqa: S608 - fixed names


def test_pg_dump_and_pg_restore_round_trip(ref, operator, tmp_path):
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.fail("pg_dump and pg_restore are needed (postgresql-client)")
    call_create(operator=operator, caller_number="081234567890", notes="uji cadangan")
    audit("backup.test")
    source = connection.settings_dict["NAME"]
    env = _libpq_env(connection.settings_dict)
    target = f"restore_{uuid.uuid4().hex[:10]}"
    dump = tmp_path / "dispatch112.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source], env=env, check=True, timeout=120)  # noqa: S603,S607
    admin = psycopg.connect(dbname="postgres", host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], password=env.get("PGPASSWORD"), autocommit=True)
    try:
        admin.execute(f'CREATE DATABASE "{target}"')
        subprocess.run(  # noqa: S603,S607
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={target}", str(dump)], env=env, check=True, timeout=120
        )
        expected = _counts(source, env)
        assert expected["calls_call"] >= 1 and expected["dispatch_auditlog"] >= 1 and expected["agencies_kelurahan"] > 0
        assert _counts(target, env) == expected
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        admin.close()
