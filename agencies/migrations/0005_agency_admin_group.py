"""The group "Admin instansi": agency staff in it place their own agency's posts on the map."""

from django.db import migrations

GROUP = "Admin instansi"


def create_group(apps, schema_editor):
    # Django makes permissions after the whole migrate run; the group needs its one now (the
    # same row Django would make, so its own run finds it there).
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="agencies", model="station")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="change_station", defaults={"name": "Can change station"}
    )
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(permission)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0004_merge_feed_role_stations"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
