from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from jingwu.lib import coords

from .models import Grid, MapFeature, Region
from .services import locate

router = Router(tags=["geo"])


@router.get("/grids", summary="Grids as a GeoJSON FeatureCollection")
def grids(request: HttpRequest, region: str = "") -> dict[str, Any]:
    qs = Grid.objects.select_related("region").order_by("code")
    if region:
        qs = qs.filter(region__code=region)
    features = [
        {
            "type": "Feature",
            "id": g.code,
            "geometry": g.geometry,
            "properties": {"code": g.code, "name": g.name, "region": g.region.code, "region_name": g.region.name},
        }
        for g in qs
    ]
    return {"type": "FeatureCollection", "features": features}


@router.get("/basemap", summary="The town's own base map (roads, rivers, landmarks) as a GeoJSON FeatureCollection")
def basemap(request: HttpRequest) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "id": f.pk,
            "geometry": f.geometry,
            "properties": {"kind": f.kind, "name": f.name, "rank": f.rank},
        }
        for f in MapFeature.objects.order_by("kind", "rank", "id")
    ]
    # Village and community names, where their grids are: what makes the map read like a place.
    features += [
        {
            "type": "Feature",
            "id": f"region-{r.code}",
            "geometry": {"type": "Point", "coordinates": [r.center_lon, r.center_lat]},
            "properties": {"kind": "place", "name": r.name, "rank": 1},
        }
        for r in Region.objects.exclude(level="town").order_by("code")
    ]
    return {"type": "FeatureCollection", "features": features}


@router.get("/regions", summary="Town, villages and communities as a GeoJSON FeatureCollection")
def regions(request: HttpRequest) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "id": r.code,
            "geometry": r.geometry,
            "properties": {
                "code": r.code,
                "name": r.name,
                "level": r.level,
                "parent": r.parent.code if r.parent else None,
            },
        }
        for r in Region.objects.select_related("parent").order_by("code")
    ]
    return {"type": "FeatureCollection", "features": features}


class LocateOut(Schema):
    lon: float
    lat: float
    grid: str | None
    grid_name: str | None
    region: str | None
    region_name: str | None


@router.get("/locate", response=LocateOut, summary="Which grid a point is in (crs: wgs84, gcj02, bd09)")
def locate_point(request: HttpRequest, lon: float, lat: float, crs: coords.CRS = coords.CRS.WGS84) -> dict[str, Any]:
    try:
        wlon, wlat = coords.to_wgs84(lon, lat, crs)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from exc
    hit = locate(wlon, wlat)
    if hit is None:
        return {"lon": wlon, "lat": wlat, "grid": None, "grid_name": None, "region": None, "region_name": None}
    grid = Grid.objects.select_related("region").get(pk=hit.grid_id)
    return {
        "lon": wlon,
        "lat": wlat,
        "grid": grid.code,
        "grid_name": grid.name,
        "region": grid.region.code,
        "region_name": grid.region.name,
    }
