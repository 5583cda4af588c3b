"""The Support group: support staff see everything in the console and run its audited actions,
and change nothing by hand (support/access.py). `manage.py support_user create` puts new support
accounts in it.

Django creates permissions after all migrations have run (post_migrate), so the two this group
needs are created here when they do not exist yet.
"""

from django.db import migrations

GROUP = "Support"
PERMISSIONS = {
    "use_console": "Can see everything in the support console",
    "run_actions": "Can run the support console's audited actions",
}


def group_create(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(
        app_label="support", model="supportconsole"
    )
    permissions = [
        Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in PERMISSIONS.items()
    ]
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*permissions)


def group_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0001_console_permissions_and_held_plans"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(group_create, group_delete)]
