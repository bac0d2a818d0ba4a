"""The audit log partitioned by month on PostgreSQL: a city writes tens of thousands of rows a day, kept for
years (等保 asks for at least six months); months are then read, detached and archived whole. The primary key
becomes (id, at), as PostgreSQL requires the partition key in it; ids stay unique (one identity sequence), and
Django still knows the row by ``id``. Every index keeps its name. SQLite (a town) keeps one table."""

from django.db import migrations

INDEXES = """
SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = 'audit_auditevent_flat'::regclass AND NOT x.indisprimary
"""
FKEYS = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'audit_auditevent_flat'::regclass AND contype = 'f'
"""


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from jingwu.lib.partitions import ensure_monthly

    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT relkind FROM pg_class WHERE oid = 'audit_auditevent'::regclass")
        if cur.fetchone()[0] == "p":
            return
        cur.execute("LOCK TABLE audit_auditevent IN ACCESS EXCLUSIVE MODE")
        cur.execute("ALTER TABLE audit_auditevent RENAME TO audit_auditevent_flat")
        cur.execute(INDEXES)
        indexes = cur.fetchall()
        cur.execute(FKEYS)
        fkeys = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'ALTER INDEX "{name}" RENAME TO "{name[:50]}_flat"')
        for name, _ in fkeys:
            cur.execute(f'ALTER TABLE audit_auditevent_flat RENAME CONSTRAINT "{name}" TO "{name[:50]}_flat"')
        cur.execute("ALTER TABLE audit_auditevent_flat RENAME CONSTRAINT audit_auditevent_pkey TO audit_auditevent_flat_pkey")
        cur.execute(
            "CREATE TABLE audit_auditevent (LIKE audit_auditevent_flat INCLUDING DEFAULTS INCLUDING IDENTITY) "
            "PARTITION BY RANGE (at)"
        )
        cur.execute("ALTER TABLE audit_auditevent ADD CONSTRAINT audit_auditevent_pkey PRIMARY KEY (id, at)")
        cur.execute("CREATE TABLE audit_auditevent_default PARTITION OF audit_auditevent DEFAULT")
        for _, ddl in indexes:
            cur.execute(ddl.replace(" ON public.audit_auditevent_flat ", " ON public.audit_auditevent "))
        for name, ddl in fkeys:
            cur.execute(f'ALTER TABLE audit_auditevent ADD CONSTRAINT "{name}" {ddl}')
        cur.execute("SELECT min(at) FROM audit_auditevent_flat")
        first = cur.fetchone()[0]
    ensure_monthly("audit_auditevent", months_ahead=3, first=first.date() if first else None)
    with schema_editor.connection.cursor() as cur:
        cur.execute("INSERT INTO audit_auditevent SELECT * FROM audit_auditevent_flat")
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), "
            "coalesce((SELECT max(id) FROM audit_auditevent_flat), 0) + 1, false)"
        )
        cur.execute("DROP TABLE audit_auditevent_flat")


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("audit", "0004_city_indexes")]
    operations = [migrations.RunPython(partition, migrations.RunPython.noop)]
