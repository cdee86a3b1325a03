"""Database-level guards for append-only tables (the audit log, and later the ledger).

The ORM refuses updates and deletes on these models too, but raw SQL, a shell or a future bug
would slip past that; the database itself refuses. Use :func:`append_only_operations` in a
migration. Triggers are named ``<table>_append_only_<action>`` so the SQLite backend can find
them when a test flush empties every table.
"""

from django.db import migrations

REFUSAL = "append-only table: rows cannot be changed or deleted"

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION refuse_append_only_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{REFUSAL} (%)', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def _postgres_sql(table: str) -> tuple[str, str]:
    create = POSTGRES_FUNCTION + (
        f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}" '
        "FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change();"
    )
    drop = f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}";'
    return create, drop


def _sqlite_sql(table: str) -> tuple[list[str], list[str]]:
    create = [
        f'CREATE TRIGGER "{table}_append_only_{action.lower()}" BEFORE {action} ON "{table}" '
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END;"
        for action in ("UPDATE", "DELETE")
    ]
    drop = [f'DROP TRIGGER IF EXISTS "{table}_append_only_{action}";' for action in ("update", "delete")]
    return create, drop


def append_only_operations(table: str) -> list[migrations.RunPython]:
    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            create, _ = _postgres_sql(table)
            schema_editor.execute(create, params=None)
        elif schema_editor.connection.vendor == "sqlite":
            for statement in _sqlite_sql(table)[0]:
                schema_editor.execute(statement)

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(_postgres_sql(table)[1], params=None)
        elif schema_editor.connection.vendor == "sqlite":
            for statement in _sqlite_sql(table)[1]:
                schema_editor.execute(statement)

    return [migrations.RunPython(forwards, backwards)]
