"""The two staff roles as groups, with the permissions the services check."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from returns.roles import ROLES, ensure_roles


def create_roles(apps, schema_editor):
    # Permissions are normally made after migrate; make them now so groups can hold them.
    config = apps.get_app_config("returns")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
