from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingwu.geo.services import GeoImportError, load_geojson_file


class Command(BaseCommand):
    help = "Import regions and grids from a GeoJSON FeatureCollection (created or updated by code)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="GeoJSON file (WGS-84)")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            counts = load_geojson_file(opts["file"])
        except GeoImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"imported {counts['regions']} regions and {counts['grids']} grids")
