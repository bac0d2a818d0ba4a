from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Back up the database and the photos into one .tar.gz file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="default: var/backups/jingwu-YYYYmmdd-HHMMSS.tar.gz")

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.conf import settings

        from jingwu.lib import clock
        from jingwu.ops.backup import BackupError, backup

        out = Path(opts["file"] or Path(settings.VAR_DIR) / "backups" / f"jingwu-{clock.now():%Y%m%d-%H%M%S}.tar.gz")
        try:
            manifest = backup(out)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if manifest.get("media_storage"):
            self.stdout.write(
                f"{out}: {manifest['vendor']} database ({out.stat().st_size:,} bytes); the photos are not in it: "
                f"they are in the object store {manifest['media_storage']}, backed up by the store's own means "
                "(versioning, replication, mc mirror)"
            )
            return
        self.stdout.write(
            f"{out}: {manifest['vendor']} database, {manifest['media_files']} photos ({out.stat().st_size:,} bytes)"
        )
