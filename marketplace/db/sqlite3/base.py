"""SQLite engine that lets ``flush`` empty append-only tables.

Test isolation and ``manage.py flush`` empty every table with DELETE on SQLite (PostgreSQL uses
TRUNCATE, which row triggers do not see). Only for that statement list are the append-only
triggers dropped and recreated, from their own stored definitions; every other path still hits them.
"""

from django.db.backends.sqlite3 import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if not statements:
            return statements
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_append_only_%'")
            triggers = cursor.fetchall()
        drops = [f'DROP TRIGGER "{name}";' for name, _ in triggers]
        creates = [f"{sql};" for _, sql in triggers]
        return drops + statements + creates


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
