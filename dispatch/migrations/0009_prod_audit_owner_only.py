"""The audit trail's trigger no longer yields to a session setting alone.

Before, any session that set `dispatch112.audit_maintenance = on` could update, delete or truncate
the audit trail, and any role may set a custom setting. Now the setting counts only for a session
whose role owns the table (the role migrations run as, and the test suite's flush); the application
connects as a role that does not own it (`manage.py create_app_role`), so nothing it can SET opens
the table.
"""

from django.db import migrations

PG_OWNER_ONLY = """
CREATE OR REPLACE FUNCTION dispatch_auditlog_refuse_change() RETURNS trigger AS $$
BEGIN
    -- Only the table owner's maintenance session (the test suite's flush) may clear the table.
    IF current_setting('dispatch112.audit_maintenance', true) = 'on'
       AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        IF TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'dispatch_auditlog is append-only';
END;
$$ LANGUAGE plpgsql;
"""
PG_SETTING_ONLY = """
CREATE OR REPLACE FUNCTION dispatch_auditlog_refuse_change() RETURNS trigger AS $$
BEGIN
    IF current_setting('dispatch112.audit_maintenance', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        IF TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'dispatch_auditlog is append-only';
END;
$$ LANGUAGE plpgsql;
"""


def owner_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_OWNER_ONLY)


def setting_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_SETTING_ONLY)


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0008_incident_note")]

    operations = [migrations.RunPython(owner_only, setting_only)]
