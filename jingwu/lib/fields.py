"""Model fields for personal data."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull

from . import crypto


class EmptyOnlyExact(Exact):
    """``field=""`` on a sealed column. Any other value would silently never match, because each sealing
    of the same text differs, so it is refused."""

    def get_prep_lookup(self) -> Any:
        if self.rhs != "":
            raise FieldError("a sealed field can only be compared with the empty string")
        return super().get_prep_lookup()


class SealedField(models.TextField):
    """Text kept encrypted in the database (``lib/crypto``) and plain in Python.

    ``max_length`` bounds the plain text (forms and validation); the column is unbounded, since a sealed
    value is about twice as long. A sealed column cannot be searched or compared in SQL; equality look-ups
    need a keyed digest beside it.
    """

    description = "Encrypted text"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return value
        return crypto.open_(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return value
        return crypto.seal(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        return {"exact": EmptyOnlyExact, "isnull": IsNull}.get(lookup_name)


def sealed_fields(model: Any) -> list[str]:
    return [f.name for f in model._meta.get_fields() if isinstance(f, SealedField)]


def _rewrite(model: Any, change: Any, batch: int) -> int:
    """Rewrite every non-empty sealed value of ``model`` as ``change(stored) -> stored`` in raw SQL: the
    stored text itself, never the opened value, so that nothing unreadable is ever written back."""
    from django.db import connection

    names = sealed_fields(model)
    if not names:
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    pk = model._meta.pk.column
    columns = [model._meta.get_field(n).column for n in names]
    quoted = [connection.ops.quote_name(c) for c in columns]
    nonempty = " OR ".join(f"{q} <> ''" for q in quoted)
    done, last = 0, None
    with connection.cursor() as cur:
        while True:
            after = "" if last is None else f"AND {connection.ops.quote_name(pk)} > %s"
            cur.execute(
                f"SELECT {connection.ops.quote_name(pk)}, {', '.join(quoted)} FROM {table} "
                f"WHERE ({nonempty}) {after} ORDER BY {connection.ops.quote_name(pk)} LIMIT {int(batch)}",
                [] if last is None else [last],
            )
            rows = cur.fetchall()
            if not rows:
                return done
            for row in rows:
                values = [change(v or "") for v in row[1:]]
                sets = ", ".join(f"{q} = %s" for q in quoted)
                cur.execute(f"UPDATE {table} SET {sets} WHERE {connection.ops.quote_name(pk)} = %s", [*values, row[0]])
            done += len(rows)
            last = rows[-1][0]


def reseal_rows(model: Any, batch: int = 500) -> int:
    """Seal every non-empty value of ``model``'s sealed fields under the newest key (values from before
    encryption included). Used by the migration that turned encryption on and by key rotation; stops with
    ``KeyMissing`` at a value none of the keys opens. Returns the number of rows rewritten."""
    return _rewrite(model, crypto.reseal, batch)


def unseal_rows(model: Any, batch: int = 500) -> int:
    """The reverse: every sealed value back to plain text (a migration undone)."""
    return _rewrite(model, crypto.open_strict, batch)
