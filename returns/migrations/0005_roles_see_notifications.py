"""Customer service sees the email outbox and can send a failed email again."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from returns.roles import ensure_roles


def update_roles(apps, schema_editor):
    config = apps.get_app_config("returns")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [("returns", "0004_statuschange_note_help")]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
