from django.db import migrations

PG_AUDIT_TRIGGER = """
CREATE OR REPLACE FUNCTION dispatch_auditlog_refuse_change() RETURNS trigger AS $$
BEGIN
    -- Only a maintenance session (the test suite's flush) may clear the table.
    IF current_setting('dispatch112.audit_maintenance', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        IF TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'dispatch_auditlog is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER dispatch_auditlog_no_update BEFORE UPDATE OR DELETE ON dispatch_auditlog
    FOR EACH ROW EXECUTE FUNCTION dispatch_auditlog_refuse_change();
CREATE TRIGGER dispatch_auditlog_no_truncate BEFORE TRUNCATE ON dispatch_auditlog
    FOR EACH STATEMENT EXECUTE FUNCTION dispatch_auditlog_refuse_change();
"""
PG_AUDIT_TRIGGER_DROP = """
DROP TRIGGER IF EXISTS dispatch_auditlog_no_update ON dispatch_auditlog;
DROP TRIGGER IF EXISTS dispatch_auditlog_no_truncate ON dispatch_auditlog;
DROP FUNCTION IF EXISTS dispatch_auditlog_refuse_change();
"""
SQLITE_AUDIT_TRIGGER = [
    "CREATE TRIGGER dispatch_auditlog_no_update BEFORE UPDATE ON dispatch_auditlog BEGIN SELECT RAISE(ABORT, 'dispatch_auditlog is append-only'); END;",
]


def create_counter(apps, schema_editor):
    EventCounter = apps.get_model("dispatch", "EventCounter")
    EventCounter.objects.get_or_create(pk=1, defaults={"value": 0})


def audit_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_AUDIT_TRIGGER)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_AUDIT_TRIGGER:
            schema_editor.execute(statement)


def audit_append_only_reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_AUDIT_TRIGGER_DROP)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS dispatch_auditlog_no_update")


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0001_initial")]

    operations = [
        migrations.RunPython(create_counter, migrations.RunPython.noop),
        migrations.RunPython(audit_append_only, audit_append_only_reverse),
    ]
