"""Create (or bring up to date) the PostgreSQL role the application connects as.

Run it as the role that owns the tables (the one `migrate` runs as), after every `migrate`:
the application role gets SELECT, INSERT, UPDATE and DELETE on the tables and USAGE on the
sequences, nothing else (no TRUNCATE, no DDL, no ownership), and on the audit trail only SELECT
and INSERT. Tables that later migrations create get the same rights by default privileges.
The audit table's trigger refuses every UPDATE, DELETE and TRUNCATE from a role that does not
own it, whatever the session sets (migration dispatch 0009).
"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

AUDIT_TABLE = "dispatch_auditlog"


def grant_app_role(role: str, *, password: str | None = None) -> None:
    """Create `role` if missing and give it exactly the application's rights in this database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database()")
        owner, database = cursor.fetchone()
        if role == owner:
            raise CommandError(f"{role} is the role running this command (the tables' owner); choose another name")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        existing = cursor.fetchone()
        if existing and existing[0]:
            raise CommandError(f"{role} is a superuser; the application role must not be one")
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = %s", [role],
        )
        if cursor.fetchone()[0]:
            raise CommandError(f"{role} owns tables of this database; the application role must own none")
        ident = sql.Identifier(role)
        statements = []
        if not existing:
            statements.append(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION").format(ident))
        if password:
            statements.append(sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(password)))
        statements += [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), ident),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident),
            sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(ident),
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(ident),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(ident),
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}").format(ident),
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {}").format(ident),
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(sql.Identifier(AUDIT_TABLE), ident),
        ]
        with transaction.atomic():
            for statement in statements:
                cursor.execute(statement)


class Command(BaseCommand):
    help = "Create or update the PostgreSQL role the application connects as (run as the tables' owner after migrate)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="name of the application role, e.g. dispatch_app")
        parser.add_argument("--password-env", metavar="VARIABLE",
                            help="set the role's password from this environment variable")

    def handle(self, *args, role: str, password_env: str | None, **options):
        if connection.vendor != "postgresql":
            raise CommandError("the application role is a PostgreSQL role; DATABASE_URL is not PostgreSQL")
        password = None
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"{password_env} is empty")
        grant_app_role(role, password=password)
        self.stdout.write(f"{role}: SELECT, INSERT, UPDATE, DELETE on the tables (the audit trail: SELECT, INSERT only)")
