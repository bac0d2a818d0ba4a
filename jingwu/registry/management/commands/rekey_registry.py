from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Recompute the registry's search digests (name, ID number, phone) from the sealed values under the "
        "current JINGWU_INDEX_KEY: run it after changing that key. Batched; safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.db import transaction

        from jingwu.audit import services as audit
        from jingwu.registry import services
        from jingwu.registry.models import Resident

        done = changed = 0
        last = 0
        while True:
            rows = list(
                Resident.objects.filter(pk__gt=last)
                .order_by("pk")
                .only("pk", "name", "id_number", "phone", "name_key", "id_key", "phone_key")[: opts["batch"]]
            )
            if not rows:
                break
            stale = []
            for r in rows:
                keys = (
                    services.name_key(r.name),
                    services.id_key(r.id_number) if r.id_number else "",
                    services.phone_key(r.phone) if r.phone else "",
                )
                if keys != (r.name_key, r.id_key, r.phone_key):
                    r.name_key, r.id_key, r.phone_key = keys
                    stale.append(r)
            with transaction.atomic():
                Resident.objects.bulk_update(stale, ["name_key", "id_key", "phone_key"])
            done += len(rows)
            changed += len(stale)
            last = rows[-1].pk
        audit.record("privacy.rekey_registry", "system", "registry", data={"rows": done, "changed": changed})
        self.stdout.write(f"{done} residents read, {changed} digests recomputed")
