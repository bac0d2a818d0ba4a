"""Grid lookup and GeoJSON exchange."""

from __future__ import annotations

import json
import math
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

_intersects_xy = shapely.intersects_xy


@dataclass(frozen=True)
class Located:
    grid_id: int
    grid_code: str
    region_id: int


class GridIndex:
    """Point → grid for a whole territory.

    A raster over the territory's bounding box answers most points by array indexing: a raster cell
    wholly inside one grid names that grid; a cell touching no grid is outside. Only points in cells
    that straddle a border go to the STRtree for an exact point-in-polygon test.
    """

    BOUNDARY = -2
    CELLS_PER_GRID = 32

    def __init__(self, rows: list[tuple[int, str, int, dict[str, Any]]]) -> None:
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.codes = [r[1] for r in rows]
        self.region_ids = np.array([r[2] for r in rows], dtype=np.int64)
        self.geoms = np.array([shape(r[3]) for r in rows], dtype=object)
        self.located = [Located(int(r[0]), r[1], int(r[2])) for r in rows]
        self.tree = STRtree(self.geoms)
        self._build_raster()

    def _build_raster(self) -> None:
        if not len(self.geoms):
            self.raster = np.full((1, 1), -1, dtype=np.int64)
            self.origin, self.step = (0.0, 0.0), (1.0, 1.0)
            self._cells, self._border_list, self.border_starts = [-1], [], [0, 0]
            self.border_grids = np.zeros(0, dtype=np.int64)
            self.border_geoms = self.geoms[:0]
            self._nx = self._ny = 1
            self._ox, self._oy, self._sx, self._sy = 0.0, 0.0, 1.0, 1.0
            return
        minx, miny, maxx, maxy = shapely.total_bounds(self.geoms)
        width, height = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
        cells = max(1, len(self.geoms) * self.CELLS_PER_GRID)
        nx = max(1, int(np.sqrt(cells * width / height)))
        ny = max(1, int(np.ceil(cells / nx)))
        self.origin, self.step = (minx, miny), (width / nx, height / ny)
        ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
        x0 = minx + ix.ravel() * self.step[0]
        y0 = miny + iy.ravel() * self.step[1]
        boxes = shapely.box(x0, y0, x0 + self.step[0], y0 + self.step[1])
        raster = np.full(len(boxes), -1, dtype=np.int64)
        box_idx, geom_idx = self.tree.query(boxes, predicate="intersects")
        counts = np.bincount(box_idx, minlength=len(boxes))
        raster[counts > 1] = self.BOUNDARY
        single = np.flatnonzero(counts[box_idx] == 1)
        b, g = box_idx[single], geom_idx[single]
        inside = shapely.contains_properly(self.geoms[g], boxes[b])
        raster[b[inside]] = g[inside]
        raster[b[~inside]] = self.BOUNDARY
        self.raster = raster.reshape(ny, nx)
        # Each border cell keeps the grids it touches (lowest first, as the exact test decides ties), so that a
        # single point is tested against two or three prepared polygons rather than sent to the tree: in a
        # city's dense centre most points fall in border cells.
        order = np.lexsort((geom_idx, box_idx))
        box_idx, geom_idx = box_idx[order], geom_idx[order]
        border = raster[box_idx] == self.BOUNDARY
        starts = np.searchsorted(box_idx[border], np.arange(len(boxes) + 1))
        self.border_grids = geom_idx[border]
        self.border_geoms = self.geoms[self.border_grids]
        self.border_starts = starts.tolist()
        shapely.prepare(self.geoms)
        self._cells = self.raster.ravel().tolist()
        self._border_list = self.border_grids.tolist()
        self._nx, self._ny = nx, ny
        self._ox, self._oy, self._sx, self._sy = minx, miny, self.step[0], self.step[1]

    def __len__(self) -> int:
        return len(self.geoms)

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Index into this index's grids for each point, or -1 outside every grid.

        A point on a shared border belongs to one grid only: the lowest index wins, so the answer
        does not depend on the tree's internal order.
        """
        lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
        ny, nx = self.raster.shape
        cx = np.floor((lons - self.origin[0]) / self.step[0]).astype(np.int64)
        cy = np.floor((lats - self.origin[1]) / self.step[1]).astype(np.int64)
        inside_box = (cx >= 0) & (cx < nx) & (cy >= 0) & (cy < ny)
        result = np.full(len(lons), -1, dtype=np.int64)
        result[inside_box] = self.raster[cy[inside_box], cx[inside_box]]
        # Points exactly on the raster's outer edge and border cells get the exact test.
        exact = np.flatnonzero((result == self.BOUNDARY) | (~inside_box & self._in_bounds(lons, lats)))
        if len(exact):
            none = np.iinfo(np.int64).max
            found = np.full(len(exact), none, dtype=np.int64)
            hits, grids = self.tree.query(shapely.points(lons[exact], lats[exact]), predicate="intersects")
            np.minimum.at(found, hits, grids)
            found[found == none] = -1
            result[exact] = found
        return result

    def _in_bounds(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        ny, nx = self.raster.shape
        maxx = self.origin[0] + nx * self.step[0]
        maxy = self.origin[1] + ny * self.step[1]
        return (lons >= self.origin[0]) & (lons <= maxx) & (lats >= self.origin[1]) & (lats <= maxy)

    def locate(self, lon: float, lat: float) -> Located | None:
        nx, ny = self._nx, self._ny
        cx = math.floor((lon - self._ox) / self._sx)
        cy = math.floor((lat - self._oy) / self._sy)
        if 0 <= cx < nx and 0 <= cy < ny:
            cell = cy * nx + cx
            i = self._cells[cell]
            if i == -2:  # BOUNDARY
                starts = self.border_starts
                start = starts[cell]
                # One vectorised call over the cell's few prepared polygons (per-call overhead dominates).
                hit = _intersects_xy(self.border_geoms[start : starts[cell + 1]], lon, lat)
                i = self._border_list[start + hit.argmax()] if hit.any() else -1
        else:  # on the raster's outer edge (or outside): the exact test
            hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
            i = int(hits.min()) if len(hits) else -1
        if i < 0:
            return None
        return self.located[i]


def _build_index() -> GridIndex:
    return GridIndex(list(Grid.objects.order_by("id").values_list("id", "code", "region_id", "geometry")))


index_cache: SharedVersioned[GridIndex] = SharedVersioned("geo-grids", _build_index)


def locate(lon: float, lat: float) -> Located | None:
    """The grid and region containing a WGS-84 point, or None outside the territory."""
    return index_cache.get().locate(lon, lat)


def place_from_text(text: str) -> tuple[float, float] | None:
    """A point for an address that names a village or community of the territory (no street geocoder)."""
    text = text.strip()
    if not text:
        return None
    for region in Region.objects.exclude(level=RegionLevel.TOWN).order_by("-level", "code"):
        stem = region.name.removesuffix("社区").removesuffix("村")
        if region.name in text or (len(stem) >= 2 and stem in text):
            return region.center_lon, region.center_lat
    return None


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
