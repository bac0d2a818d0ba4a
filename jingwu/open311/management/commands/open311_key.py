from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Open311 client keys: create NAME [--contact C] | list | revoke NAME"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("verb", choices=["create", "list", "revoke"])
        parser.add_argument("name", nargs="?")
        parser.add_argument("--contact", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        from jingwu.open311.models import ApiKey
        from jingwu.open311.services import create_key, revoke_key

        verb, name = opts["verb"], opts["name"]
        if verb == "list":
            for key in ApiKey.objects.order_by("name"):
                state = "active" if key.active else "revoked"
                self.stdout.write(f"{key.prefix}…  {state:<8} {key.name}  {key.contact}")
            return
        if not name:
            raise CommandError(f"open311-key {verb} needs the client's NAME")
        if verb == "create":
            if ApiKey.objects.filter(name=name).exists():
                raise CommandError(f"a key named {name!r} exists; revoke it or choose another name")
            _, raw = create_key(name, opts["contact"])
            self.stdout.write(raw)
            self.stderr.write(f"the key for {name} is shown once: store it now")
            return
        found = ApiKey.objects.filter(name=name).first()
        if found is None:
            raise CommandError(f"no key named {name!r}")
        revoke_key(found)
        self.stdout.write(f"revoked {found.prefix}… ({name})")
