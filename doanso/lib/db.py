"""Database helpers shared by the apps."""

from __future__ import annotations

from django.db import connection
from django.db.models import Model


def refresh_planner_statistics(*models: type[Model]) -> None:
    """ANALYZE the tables of ``models`` (every table when none is given) on PostgreSQL.

    For bulk loaders such as the demo seed. Rows written in one long transaction are invisible to
    autovacuum, and a table that autovacuum last saw empty is recorded with zero rows: the planner
    then trusts any index to find "nothing", and each lookup by response walks a whole index
    (minutes instead of seconds for the demo). ANALYZE inside the transaction counts its own rows.
    SQLite estimates from the real b-trees and needs nothing.
    """
    if connection.vendor != "postgresql":
        return
    tables = {model._meta.db_table for model in models}
    tables |= {field.m2m_db_table() for model in models for field in model._meta.local_many_to_many}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in sorted(tables)))
