"""Grid lookup and GeoJSON exchange."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.db import transaction
from shapely.geometry import mapping, shape
from shapely.strtree import STRtree

from jingwu.audit import services as audit
from jingwu.lib.cached import SharedVersioned

from .models import Grid, Region, RegionLevel


@dataclass(frozen=True)
class Located:
    grid_id: int
    grid_code: str
    region_id: int


class GridIndex:
    def __init__(self, rows: list[tuple[int, str, int, dict[str, Any]]]) -> None:
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.codes = [r[1] for r in rows]
        self.region_ids = np.array([r[2] for r in rows], dtype=np.int64)
        self.geoms = [shape(r[3]) for r in rows]
        for g in self.geoms:
            shapely.prepare(g)
        self.tree = STRtree(self.geoms)

    def __len__(self) -> int:
        return len(self.geoms)

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Index into this index's grids for each point, or -1 outside every grid.

        A point on a shared border belongs to one grid only: the lowest index wins, so the answer
        does not depend on the tree's internal order.
        """
        points = shapely.points(lons, lats)
        result = np.full(len(points), -1, dtype=np.int64)
        if not len(self.geoms):
            return result
        pairs = self.tree.query(points, predicate="intersects")
        if pairs.shape[1]:
            # Reverse so that, for points in several grids, the smallest tree index is written last.
            order = np.lexsort((-pairs[1], pairs[0]))
            result[pairs[0][order]] = pairs[1][order]
        return result

    def locate(self, lon: float, lat: float) -> Located | None:
        i = int(self.locate_many(np.array([lon]), np.array([lat]))[0])
        if i < 0:
            return None
        return Located(int(self.ids[i]), self.codes[i], int(self.region_ids[i]))


def _build_index() -> GridIndex:
    return GridIndex(list(Grid.objects.order_by("id").values_list("id", "code", "region_id", "geometry")))


index_cache: SharedVersioned[GridIndex] = SharedVersioned("geo-grids", _build_index)


def locate(lon: float, lat: float) -> Located | None:
    """The grid and region containing a WGS-84 point, or None outside the territory."""
    return index_cache.get().locate(lon, lat)


# --- GeoJSON ---------------------------------------------------------------------------------------


def export_geojson() -> dict[str, Any]:
    features: list[dict[str, Any]] = []
    for r in Region.objects.select_related("parent").order_by("code"):
        props = {
            "type": "region",
            "code": r.code,
            "name": r.name,
            "level": r.level,
            "parent": r.parent.code if r.parent else None,
        }
        features.append({"type": "Feature", "properties": props, "geometry": r.geometry})
    for g in Grid.objects.select_related("region").order_by("code"):
        props = {"type": "grid", "code": g.code, "name": g.name, "region": g.region.code}
        features.append({"type": "Feature", "properties": props, "geometry": g.geometry})
    return {"type": "FeatureCollection", "features": features}


class GeoImportError(ValueError):
    pass


def _clean_geometry(raw: Any, where: str) -> dict[str, Any]:
    try:
        geom = shape(raw)
    except Exception as exc:
        raise GeoImportError(f"{where}: geometry is not valid GeoJSON ({exc})") from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise GeoImportError(f"{where}: geometry must be a Polygon or MultiPolygon, not {geom.geom_type}")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise GeoImportError(f"{where}: geometry is invalid and cannot be repaired")
    return dict(mapping(geom))


@transaction.atomic
def import_geojson(data: dict[str, Any], *, actor: Any = None) -> dict[str, int]:
    """Create or update regions and grids by code. All or nothing: one bad feature aborts the file.

    A feature is a region when ``properties.type == "region"`` or it has ``level``; otherwise a grid,
    which names its region by code in ``properties.region``.
    """
    if data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise GeoImportError("the file must be a GeoJSON FeatureCollection")
    regions = [
        f
        for f in data["features"]
        if (f.get("properties") or {}).get("type") == "region" or "level" in (f.get("properties") or {})
    ]
    grids = [f for f in data["features"] if f not in regions]
    counts = {"regions": 0, "grids": 0}
    levels = {c.value for c in RegionLevel}
    # Parents first: sort by code length then code, so the town precedes its villages.
    for n, f in enumerate(sorted(regions, key=lambda f: str(f["properties"].get("code", ""))), 1):
        p = f["properties"]
        where = f"region {p.get('code') or n}"
        code, name, level = str(p.get("code", "")), str(p.get("name", "")).strip(), p.get("level", "village")
        if not code.isdigit() or len(code) > 12 or not name or level not in levels:
            raise GeoImportError(f"{where}: needs a numeric code (≤12 digits), a name and a valid level")
        parent = None
        if p.get("parent"):
            parent = Region.objects.filter(code=p["parent"]).first()
            if parent is None:
                raise GeoImportError(f"{where}: unknown parent region {p['parent']}")
        geometry = _clean_geometry(f.get("geometry"), where)
        obj = Region.objects.filter(code=code).first() or Region(code=code)
        obj.name, obj.level, obj.parent, obj.geometry = name, level, parent, geometry
        obj.save()
        counts["regions"] += 1
    for n, f in enumerate(grids, 1):
        p = f.get("properties") or {}
        code = str(p.get("code", ""))
        where = f"grid {code or n}"
        if len(code) != 15 or not code.isdigit():
            raise GeoImportError(f"{where}: grid code must be 15 digits")
        region = Region.objects.filter(code=str(p.get("region", ""))).first()
        if region is None:
            raise GeoImportError(f"{where}: unknown region {p.get('region')!r}")
        geometry = _clean_geometry(f.get("geometry"), where)
        grid = Grid.objects.filter(code=code).first() or Grid(code=code)
        grid.name, grid.region, grid.geometry = str(p.get("name") or code), region, geometry
        grid.save()
        counts["grids"] += 1
    audit.record("import_grids", "geo", "", actor=actor, data=counts)
    transaction.on_commit(index_cache.invalidate)
    return counts


def load_geojson_file(path: str, *, actor: Any = None) -> dict[str, int]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise GeoImportError(f"cannot read {path}: {exc}") from exc
    return import_geojson(data, actor=actor)
