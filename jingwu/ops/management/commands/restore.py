from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Restore the database and the photos from a backup file (replaces what is there now)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **opts: Any) -> None:
        from jingwu.ops.backup import BackupError, restore

        src = Path(opts["file"])
        if not src.is_file():
            raise CommandError(f"no backup file {src}")
        if not opts["yes"]:
            answer = input(f"Replace the database and the photos with {src}? Type 'yes': ")
            if answer.strip() != "yes":
                raise CommandError("not restored")
        try:
            manifest = restore(src)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {src} (made {manifest['created_at']}, {manifest['media_files']} photos)")
        if manifest.get("media_storage"):
            self.stdout.write(
                f"the photos were in the object store {manifest['media_storage']} when it was made; "
                "they are not in the file: restore the bucket by the store's own means if needed"
            )
        if "media_uploaded" in manifest:
            self.stdout.write(f"{manifest['media_uploaded']} photos put into the object store")
        if "previous_media" in manifest:
            self.stdout.write(f"the photos there before are kept in {manifest['previous_media']}")
