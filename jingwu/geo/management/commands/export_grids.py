from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jingwu.geo.services import export_geojson


class Command(BaseCommand):
    help = "Export regions and grids as one GeoJSON FeatureCollection (to a file, or stdout with -)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="-")

    def handle(self, *args: Any, **opts: Any) -> None:
        text = json.dumps(export_geojson(), ensure_ascii=False)
        if opts["file"] == "-":
            sys.stdout.write(text + "\n")
        else:
            with open(opts["file"], "w", encoding="utf-8") as fh:
                fh.write(text)
