"""Trigram indexes for partial matches in the staff search, on PostgreSQL only.

SQLite has no pg_trgm: there the search uses the exact forms only (see returns.admin.search).
The index expressions are the ones Django writes for ``icontains`` (``UPPER(col::text)``), so
the planner uses them for ``LIKE '%…%'``.
"""

from django.db import migrations

INDEXES = [
    ("returns_rr_rma_trgm", "returns_returnrequest", "rma"),
    ("returns_rr_tracking_trgm", "returns_returnrequest", "tracking_number"),
    ("returns_order_number_trgm", "returns_order", "number"),
    ("returns_order_email_trgm", "returns_order", "email"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("returns", "0009_admin_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
