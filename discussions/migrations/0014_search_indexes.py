"""UX-06: the indexes the Discussion search (discussions.search) reads on PostgreSQL.

Product titles are searched by substring through a GIN trigram index on UPPER(title)
(the pg_trgm extension, trusted since PostgreSQL 13: a database owner may create it);
logins and shop names by prefix through UPPER(...) text_pattern_ops indexes, which
serve `UPPER(x) LIKE 'ABC%'` whatever the database's collation. The expressions are
those Django's icontains/istartswith write (UPPER(x::text)), so the admin's search uses
them too. SQLite (development) gets none: its lists are small."""

from django.db import migrations

INDEXES = [
    ("dsc_search_title_trgm_idx", "orders_orderline USING gin (UPPER(title) gin_trgm_ops)"),
    ("dsc_search_login_idx", "auth_user (UPPER(username) text_pattern_ops)"),
    ("dsc_search_shop_name_idx", "orders_selleraccount (UPPER(display_name) text_pattern_ops)"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _definition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("discussions", "0013_notification_reopened_labels"),
        ("orders", "0009_order_list_indexes"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
