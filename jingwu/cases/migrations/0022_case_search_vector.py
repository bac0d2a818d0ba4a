"""The words' tsvector kept in a stored column on PostgreSQL (issue 16).

The GIN index of 0018 was over the expression ``to_tsvector('simple', search)``. It finds the cases of a rare
word, but a common word (井盖: one case in twenty) is read newest first along the primary key and every row read
was checked by computing its vector again, about 10 µs a row: the slowest list of the centre. A generated column
computes the vector once, when the row is written; the check becomes a comparison and the index covers the
column. Django does not know the column (SQLite has no tsvector); ``Case.search`` keeps the words and the
``words`` lookup reads the vector.

On an installation that already holds years of cases this rewrites the cases table under an exclusive lock (the
column is computed for every row, then every index of the table is rebuilt): minutes for a city's ten million
cases, during which the cases cannot be read. Run it in a maintenance window (``docs/scale.md``).
"""

from django.db import migrations

FORWARD = (
    "ALTER TABLE cases_case ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search)) STORED",
    "DROP INDEX IF EXISTS case_search_idx",
    "CREATE INDEX IF NOT EXISTS case_search_idx ON cases_case USING gin (search_vector)",
)
BACKWARD = (
    "ALTER TABLE cases_case DROP COLUMN IF EXISTS search_vector",
    "CREATE INDEX IF NOT EXISTS case_search_idx ON cases_case "
    "USING gin (to_tsvector('simple'::regconfig, COALESCE(search, ''::text)))",
)


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("cases", "0021_open_duplicates")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
