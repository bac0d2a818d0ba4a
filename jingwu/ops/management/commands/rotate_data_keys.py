from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Re-seal every personal-data field under the newest key of JINGWU_DATA_KEYS (put the new key first, "
        "keep the old ones after it until this has run). --new-key prints a fresh key and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--new-key", action="store_true", help="print a fresh key and exit")

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.apps import apps
        from django.db import transaction

        from jingwu.audit import services as audit
        from jingwu.lib import crypto
        from jingwu.lib.fields import reseal_rows, sealed_fields

        if opts["new_key"]:
            self.stdout.write(crypto.new_key())
            return
        counts: dict[str, int] = {}
        try:
            for model in apps.get_models():
                if sealed_fields(model):
                    with transaction.atomic():
                        counts[model._meta.label] = reseal_rows(model)
        except crypto.KeyMissing as exc:
            raise CommandError(str(exc)) from exc
        audit.record("privacy.rotate_keys", "system", "data_keys", data={"rows": counts})
        for label, n in counts.items():
            self.stdout.write(f"{label}: {n} rows re-sealed")
