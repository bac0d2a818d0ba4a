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


def reseal_rows(model: Any, batch: int = 500) -> int:
    """Seal every non-empty value of ``model``'s sealed fields under the newest key (values from before
    encryption included). Used by the migration that turned encryption on and by key rotation. Returns the
    number of rows rewritten."""
    names = sealed_fields(model)
    if not names:
        return 0
    q = models.Q()
    for name in names:
        q |= ~models.Q(**{name: ""})
    done = 0
    last = 0
    while True:
        rows = list(model._base_manager.filter(q, pk__gt=last).order_by("pk").only("pk", *names)[:batch])
        if not rows:
            return done
        model._base_manager.bulk_update(rows, names)
        done += len(rows)
        last = rows[-1].pk
