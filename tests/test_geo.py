import json
from typing import Any

import numpy as np
import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError
from shapely.geometry import shape

from jingwu.geo import town
from jingwu.geo.models import Grid, Region
from jingwu.geo.services import GeoImportError, GridIndex, export_geojson, import_geojson, locate

from .conftest import IN_A, IN_B, OUTSIDE, square, territory


def test_the_town_has_125_grids_with_15_digit_codes_tiling_it() -> None:
    features = town.build("120111", "103")
    regions = [f for f in features if f["properties"]["type"] == "region"]
    grids = [f for f in features if f["properties"]["type"] == "grid"]
    assert len(grids) == 125
    codes = [g["properties"]["code"] for g in grids]
    assert len(set(codes)) == 125 and all(len(c) == 15 and c.isdigit() and c.startswith("120111103") for c in codes)
    levels = [r["properties"]["level"] for r in regions]
    assert levels.count("town") == 1 and levels.count("village") == 18 and levels.count("community") == 6
    names = {r["properties"]["name"] for r in regions}
    assert {"付村", "小南河村", "牛坨子村", "智达里社区", "燕南园社区"} <= names
    # Grids tile the town: no overlaps, no gaps, all inside the real location's box.
    boundary = shape(regions[0]["geometry"])
    cells = [shape(g["geometry"]) for g in grids]
    assert all(c.is_valid and c.area > 0 for c in cells)
    assert abs(sum(c.area for c in cells) - boundary.area) / boundary.area < 1e-3
    assert shapely.union_all(cells).symmetric_difference(boundary).area / boundary.area < 1e-3
    minx, miny, maxx, maxy = boundary.bounds
    assert minx >= 117.05 and maxx <= 117.20 and miny >= 38.98 and maxy <= 39.10
    # Every grid's code starts with its region's code.
    assert all(g["properties"]["code"][:12] == g["properties"]["region"] for g in grids)


def test_the_town_is_the_same_every_time() -> None:
    assert town.build("120111", "103") == town.build("120111", "103")


def test_locate_many_agrees_with_a_plain_point_in_polygon_test() -> None:
    features = [f for f in town.build("120111", "103") if f["properties"]["type"] == "grid"]
    index = GridIndex([(i, f["properties"]["code"], 1, f["geometry"]) for i, f in enumerate(features)])
    rng = np.random.default_rng(7)
    lons, lats = rng.uniform(117.04, 117.21, 2000), rng.uniform(38.97, 39.11, 2000)
    got = index.locate_many(lons, lats)
    shapes = [shape(f["geometry"]) for f in features]
    for lon, lat, hit in zip(lons, lats, got, strict=True):
        containing = [i for i, s in enumerate(shapes) if s.intersects(shapely.Point(lon, lat))]
        assert hit == (min(containing) if containing else -1)
    assert (got >= 0).sum() > 1000  # most of the box is inside the town


def test_a_point_on_a_shared_border_gets_one_grid_deterministically() -> None:
    index = GridIndex([(1, "a", 1, square(0, 0)), (2, "b", 1, square(0.01, 0))])
    assert index.locate(0.01, 0.005) == index.locate(0.01, 0.005)
    assert index.locate(0.01, 0.005).grid_code == "a"  # type: ignore[union-attr]


@pytest.mark.django_db
def test_locate_finds_grid_and_region_and_follows_changes(cast: Any) -> None:
    hit = locate(*IN_A)
    assert hit is not None and hit.grid_code == "120111103201001"
    assert Region.objects.get(pk=hit.region_id).name == "甲村"
    assert locate(*IN_B).grid_code == "120111103202001"  # type: ignore[union-attr]
    assert locate(*OUTSIDE) is None
    # Move grid B1 away: the index is rebuilt at once in this process.
    g = Grid.objects.get(code="120111103202001")
    g.geometry = square(118.0, 40.0)
    g.save()
    assert locate(*IN_B) is None


@pytest.mark.django_db
def test_geojson_export_imports_back_identically(cast: Any, tmp_path: Any) -> None:
    exported = export_geojson()
    assert len(exported["features"]) == 3 + 4
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    call_command("import_grids", str(path))
    assert export_geojson() == exported
    assert Grid.objects.count() == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda d: d.update(type="Feature"), "FeatureCollection"),
        (lambda d: d["features"][3]["properties"].update(code="123"), "15 digits"),
        (lambda d: d["features"][3]["properties"].update(region="999"), "unknown region"),
        (lambda d: d["features"][3].update(geometry={"type": "Point", "coordinates": [1, 2]}), "Polygon"),
        (lambda d: d["features"][1]["properties"].update(parent="1"), "unknown parent"),
    ],
)
def test_bad_geojson_is_refused_whole(db: Any, mutate: Any, message: str) -> None:
    data = territory()
    mutate(data)
    with pytest.raises(GeoImportError, match=message):
        import_geojson(data)
    assert Grid.objects.count() == 0 and Region.objects.count() == 0


@pytest.mark.django_db
def test_import_grids_command_reports_errors_clearly(tmp_path: Any) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_grids", str(bad))


def test_base_map_presets_and_the_hosts_the_csp_allows() -> None:
    from jingwu.geo import basemaps

    local = basemaps.layers("")
    assert local["preset"] == "local" and local["bases"] == [] and local["local"] == "/api/basemap"
    tdt = basemaps.layers("", tianditu_key="KEY")
    assert tdt["preset"] == "tianditu" and tdt["crs"] == "wgs84"
    assert [b["name"] for b in tdt["bases"]] == ["vector", "imagery"]
    assert "T=vec_w" in tdt["bases"][0]["url"] and "T=cva_w" in tdt["bases"][0]["labels"]  # annotation layer
    assert "tk=KEY" in tdt["bases"][1]["labels"] and "T=cia_w" in tdt["bases"][1]["labels"]
    assert basemaps.hosts(tdt) == ["https://*.tianditu.gov.cn"]
    gaode = basemaps.layers("gaode")
    assert gaode["crs"] == "gcj02" and basemaps.hosts(gaode) == ["https://*.is.autonavi.com"]
    intranet = basemaps.layers("", tile_url="http://10.1.2.3/wmts/{z}/{y}/{x}.png", crs="gcj02")
    assert intranet["preset"] == "xyz" and intranet["crs"] == "gcj02"
    assert basemaps.hosts(intranet) == ["http://10.1.2.3"]
    assert basemaps.layers("tianditu")["preset"] == "local"  # named, but without a key nothing can be drawn


def test_the_demo_town_has_a_base_map_of_its_own() -> None:
    from collections import Counter

    from jingwu.geo import town

    features = town.build("120111", "103", grids=40, seed=7)
    base = town.base_features(features, seed=7)
    kinds = Counter(f["kind"] for f in base)
    assert kinds["river"] == 2 and kinds["landmark"] == len(town.LANDMARKS) and kinds["road"] >= 10
    assert {f["name"] for f in base if f["kind"] == "river"} == set(town.RIVERS)
    from shapely.geometry import shape

    boundary = shape(next(f["geometry"] for f in features if f["properties"].get("level") == "town"))
    assert all(boundary.buffer(1e-9).covers(shape(f["geometry"])) for f in base if f["kind"] in ("road", "river"))
