"""Patrols end to end: a river chief's patrol with a finding that becomes a case and is closed; coverage on a
hand-built section and grid with the value worked out here; implausible tracks flagged and reviewed; batches and
starts that are sent twice stored once; bad input refused with nothing written; who sees which patrol."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from jingwu.audit.models import AuditEvent
from jingwu.cases.choices import State
from jingwu.cases.models import Case
from jingwu.org.choices import Role
from jingwu.org.models import Person
from jingwu.patrols import geometry, services, stats
from jingwu.patrols.choices import ChiefLevel, Review
from jingwu.patrols.models import Checkpoint, Patrol, River, RiverChief, Section, TrackBatch

from .conftest import jpeg
from .flows import act
from .test_api import Api, err

R = geometry.R
LAT = 39.045  # the section runs east–west through grid A1's middle
KX = R * math.cos(LAT * geometry.DEG) * geometry.DEG  # metres per degree of longitude there
KY = R * geometry.DEG


@pytest.fixture
def river(cast: Any) -> dict[str, Any]:
    """One river with one 0.01° section through grid A1 (117.10→117.11 E at 39.045 N), its town chief and
    village chief (the village chief also a grid worker: a village cadre holds both roles)."""
    r = River.objects.create(code="HD01", name="陈台子排河")
    s, _ = services.save_section(
        river=r,
        code="HD01-01",
        name="甲村段",
        geometry_json={"type": "LineString", "coordinates": [[117.10, LAT], [117.11, LAT]]},
    )
    User = get_user_model()
    chiefs = {}
    for name, level in (("hz_town", ChiefLevel.TOWN), ("hz_a", ChiefLevel.VILLAGE)):
        u = User.objects.create_user(name, password="pw")
        p = Person.objects.create(user=u, name=f"{name}河长", role=Role.RIVER_CHIEF)
        RiverChief.objects.create(person=p, river=r, section=s if level == ChiefLevel.VILLAGE else None, level=level)
        chiefs[name] = u
    return {"river": r, "section": s, **chiefs}


def walk(
    start: tuple[float, float], end: tuple[float, float], t0: float, *, seconds: float = 20, speed: float = 1.4
) -> list[list[float]]:
    """Points from start to end at a walker's speed, one every ``seconds``."""
    dx, dy = (end[0] - start[0]) * KX, (end[1] - start[1]) * KY
    n = max(1, int(math.hypot(dx, dy) / (speed * seconds)))
    return [
        [t0 + i * seconds, start[0] + (end[0] - start[0]) * i / n, start[1] + (end[1] - start[1]) * i / n, 5.0]
        for i in range(n + 1)
    ]


# --- coverage, worked out by hand -----------------------------------------------------------------------------


def test_section_coverage_is_the_walked_stretch_plus_the_reach(river: Any) -> None:
    """Walking the section's western half on its line: covered are that half and the reach (50 m) beyond where
    the walk stopped — the buffer's round cap meets the line straight ahead at exactly the reach."""
    section = river["section"]
    length = 0.01 * KX  # the frame is centred on the section: metres are exactly these
    assert section.length_m == pytest.approx(length, abs=0.1)
    pts = walk((117.10, LAT), (117.105, LAT), 1_772_413_200)
    m = geometry.measure(pts, geometry.target_geometry(section.geometry), geometry.Limits(reach_m=50))
    assert m.coverage == pytest.approx((0.005 * KX + 50) / length, abs=1e-4)
    assert m.distance_m == pytest.approx(0.005 * KX, rel=1e-6)
    assert m.flags == [] and m.jumps == 0


def test_grid_coverage_is_a_band_of_twice_the_reach(cast: Any) -> None:
    """Crossing grid A1 west to east through its middle, starting and ending outside it: covered is a band
    2 × 100 m high across the whole grid, so coverage = 200 m / the grid's height."""
    from jingwu.geo.models import Grid

    grid = Grid.objects.get(code="120111103201001")  # 117.10–117.11 E, 39.04–39.05 N
    pts = walk((117.099, 39.045), (117.111, 39.045), 1_772_413_200)
    limits = geometry.Limits(reach_m=100)
    m = geometry.measure(pts, geometry.target_geometry(grid.geometry), limits)
    height = 0.01 * KY
    # Measured along lines 5 m apart (a twentieth of the reach) through the middles of 5 m strips: 222 of them
    # cross the grid (1,111.95 m high), and the 40 within 100 m of the track are covered across the whole width.
    assert math.floor((height - 2.5) / 5) + 1 == 222
    assert m.coverage == pytest.approx(40 / 222, abs=1e-6)
    # Within one strip of the exact share.
    assert abs(m.coverage - 200 / height) < 5 / height
    assert m.flags == []


def test_checkpoints_are_met_only_within_their_radius(river: Any) -> None:
    section = river["section"]
    near = Checkpoint.objects.create(section=section, name="排口1", lon=117.102, lat=LAT + 30 / KY, radius_m=50)
    far = Checkpoint.objects.create(section=section, name="闸站", lon=117.109, lat=LAT, radius_m=50)
    pts = walk((117.10, LAT), (117.105, LAT), 1_772_413_200)
    m = geometry.measure(
        pts,
        geometry.target_geometry(section.geometry),
        geometry.Limits(),
        [(c.pk, c.lon, c.lat, float(c.radius_m)) for c in (near, far)],
    )
    assert [cid for cid, _ in m.checkins] == [near.pk]


# --- a patrol through the API, a finding through the loop ----------------------------------------------------------


def test_river_patrol_with_a_finding_that_is_closed(cast: Any, river: Any, at: Any) -> None:
    chief = Api(river["hz_a"])
    t0 = at.now
    r = chief.post(
        "/patrols", {"kind": "river", "section": "HD01-01", "client_key": "p-1", "started_at": t0.isoformat()}
    )
    assert r.status_code == 201, r.content
    patrol = r.json()
    assert patrol["state"] == "active" and patrol["section"]["code"] == "HD01-01"
    # Sent again (the answer was lost): the same patrol.
    again = chief.post("/patrols", {"kind": "river", "section": "HD01-01", "client_key": "p-1"})
    assert again.status_code == 200 and again.json()["id"] == patrol["id"]

    at.move(t0 + timedelta(minutes=40))
    pts = walk((117.10, LAT), (117.11, LAT), t0.timestamp())
    # As a GeoJSON LineString with its times, in two batches; the first one sent twice.
    half = len(pts) // 2
    for key, part in (("b1", pts[:half]), ("b1", pts[:half]), ("b2", pts[half:])):
        body = {
            "key": key,
            "track": {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[p[1], p[2]] for p in part]},
                "properties": {"times": [p[0] for p in part]},
            },
        }
        assert chief.post("/patrols/p-1/track", body).status_code in (200, 201)
    assert TrackBatch.objects.filter(patrol_id=patrol["id"]).count() == 2

    found = chief.form(
        "/patrols/p-1/findings",
        {"description": "河道内漂浮垃圾", "lon": "117.104", "lat": str(LAT), "client_key": "f-1", "photos": jpeg()},
    )
    assert found.status_code == 201, found.content
    number = found.json()["case"]["number"]
    case = Case.objects.get(number=number)
    # The river's category; a chief's finding starts at 待立案 (the chief saw it), in grid A1.
    assert (case.category.kind, case.category.code) == ("matter", "90004")
    assert case.status == State.TO_FILE and case.grid.code == "120111103201001"
    retry = chief.form(
        "/patrols/p-1/findings",
        {"description": "河道内漂浮垃圾", "lon": "117.104", "lat": str(LAT), "client_key": "f-1", "photos": jpeg()},
    )
    assert retry.status_code == 200 and retry.json()["case"]["number"] == number
    assert Case.objects.filter(finding__patrol_id=patrol["id"]).count() == 1

    ended = chief.post("/patrols/p-1/end", {})
    assert ended.status_code == 200
    e = ended.json()
    assert e["state"] == "ended" and e["flags"] == [] and e["counts"] is True
    assert e["distance_m"] == pytest.approx(0.01 * KX, rel=1e-3)
    assert e["coverage"] == pytest.approx(1.0) and e["duration_s"] == 40 * 60
    assert chief.post("/patrols/p-1/end", {}).json()["ended_at"] == e["ended_at"]  # idempotent

    # The case runs the one loop to 结案.
    c = act(case, "file", cast["shiftlead"])
    c = act(c, "dispatch", cast["dispatcher"], department="B05")
    c = act(c, "feedback", cast["h_city"], photos=[jpeg()])
    c = act(c, "check", cast["gw_a"], outcome="pass", photos=[jpeg()])
    c = act(c, "close", cast["shiftlead"])
    assert c.status == State.CLOSED

    rows = Api(cast["leader"]).get("/patrols/stats", by="river").json()["rows"]
    assert rows == [
        {
            "key": "HD01",
            "label": "陈台子排河",
            "patrols": 1,
            "flagged": 0,
            "active": 0,
            "distance_km": round(0.01 * KX / 1000, 1),
            "hours": round(40 / 60, 1),
            "coverage": 1.0,
            "checkins": None,
            "findings": 1,
            "findings_closed": 1,
        }
    ]
    detail = chief.get(f"/patrols/{patrol['id']}").json()
    assert len(detail["track"]["geometry"]["coordinates"]) == len(pts)
    assert detail["findings"][0]["number"] == number and detail["findings"][0]["status"] == "closed"
    assert AuditEvent.objects.filter(action__in=["patrol.start", "patrol.end"]).count() == 2


def test_grid_patrol_of_own_grid_only_and_finding_in_any_category(cast: Any, at: Any) -> None:
    gw = Api(cast["gw_a"])
    err(gw.post("/patrols", {"kind": "grid", "grid": "120111103202001", "client_key": "g"}), 403, "not_your_grid")
    err(gw.post("/patrols", {"kind": "river", "section": "x", "client_key": "g"}), 403, "not_your_section")
    r = gw.post("/patrols", {"kind": "grid", "grid": "120111103201001", "client_key": "g"})
    assert r.status_code == 201
    f = gw.form(
        "/patrols/g/findings",
        {"description": "占道经营", "lon": "117.105", "lat": "39.045", "category": "matter:09006", "photos": jpeg()},
    )
    assert f.status_code == 201, f.content
    case = Case.objects.get(number=f.json()["case"]["number"])
    # A grid worker in their own grid: 待立案 by the loop's own rule, in the category given.
    assert case.status == State.TO_FILE and case.category.code == "09006"
    # Nobody else writes to it, or sees it.
    err(Api(cast["gw_b"]).post("/patrols/g/end", {}), 404)
    err(Api(cast["gw_b"]).get(f"/patrols/{r.json()['id']}"), 404)
    assert Api(cast["gw_b"]).get("/patrols").json()["count"] == 0
    assert Api(cast["shiftlead"]).get("/patrols").json()["count"] == 1


# --- implausible tracks ------------------------------------------------------------------------------------------


def test_a_jump_faster_than_a_car_is_flagged_and_counts_only_once_accepted(cast: Any, at: Any) -> None:
    gw = Api(cast["gw_a"])
    assert gw.post("/patrols", {"kind": "grid", "grid": "120111103201001", "client_key": "j"}).status_code == 201
    t0 = at.now.timestamp()
    pts = walk((117.101, 39.045), (117.109, 39.045), t0)
    # One point 5 km away ten seconds after its neighbour: 1,800 km/h.
    jump_at = len(pts) // 2
    pts.insert(jump_at, [pts[jump_at - 1][0] + 10, 117.16, 39.045, 5.0])
    for p in pts[jump_at + 1 :]:
        p[0] += 10
    at.move(at.now + timedelta(hours=1))
    assert gw.post("/patrols/j/track", {"key": "k", "points": pts}).status_code == 201
    e = gw.post("/patrols/j/end", {}).json()
    assert [f["code"] for f in e["flags"]] == ["jump"] and e["flags"][0]["count"] == 1
    assert e["review"] == "pending" and e["counts"] is False
    # The jump is not in the distance: the walk alone.
    assert e["distance_m"] == pytest.approx(0.008 * KX, rel=1e-3)
    total = Api(cast["leader"]).get("/patrols/stats").json()["rows"][0]
    assert (total["patrols"], total["flagged"]) == (0, 1)

    err(Api(cast["gw_a"]).post(f"/patrols/{e['id']}/review", {"accept": True}), 403, "forbidden_role")
    err(Api(cast["leader"]).post(f"/patrols/{e['id']}/review", {"accept": False}), 400, "reason_required")
    ok = Api(cast["leader"]).post(f"/patrols/{e['id']}/review", {"accept": True, "note": "信号漂移，已核实"})
    assert ok.status_code == 200 and ok.json()["counts"] is True
    total = Api(cast["leader"]).get("/patrols/stats").json()["rows"][0]
    assert (total["patrols"], total["flagged"]) == (1, 0)


def test_a_track_outside_the_grid_is_flagged(cast: Any, at: Any) -> None:
    p, _ = services.start(actor=cast["gw_a"], kind="grid", grid="120111103201001", client_key="o")
    # Walking in grid B1's east, more than 500 m from A1.
    pts = walk((117.1165, 39.041), (117.1195, 39.049), at.now.timestamp())
    at.move(at.now + timedelta(hours=1))
    services.add_points(actor=cast["gw_a"], patrol=p, key="k", points=pts)
    e = services.end(actor=cast["gw_a"], patrol="o")
    assert [f["code"] for f in e.flags] == ["outside"] and e.review == Review.PENDING
    assert e.coverage == 0.0 and not e.counts


# --- bad input ---------------------------------------------------------------------------------------------------


def test_bad_track_input_is_refused_and_nothing_is_written(cast: Any, at: Any) -> None:
    gw = Api(cast["gw_a"])
    gw.post("/patrols", {"kind": "grid", "grid": "120111103201001", "client_key": "v"})
    t = at.now.timestamp()
    for body, code in (
        ({"key": "a", "points": [[t, 200, 39.0, 5]]}, "invalid_point"),
        ({"key": "a", "points": [[t, "x", 39.0]]}, "invalid_point"),
        ({"key": "a", "points": [{"at": "yesterday", "lon": 117.1, "lat": 39.04}]}, "invalid_time"),
        ({"key": "a", "points": [[t - 86400, 117.1, 39.04]]}, "point_out_of_time"),
        ({"key": "a", "points": []}, "points_required"),
        ({"key": "a", "track": {"type": "LineString", "coordinates": [[117.1, 39.04]]}}, "times_required"),
        ({"key": "a", "track": {"type": "Point", "coordinates": [117.1, 39.04]}}, "invalid_geometry"),
    ):
        err(gw.post("/patrols/v/track", body), 400, code)
    # One bad point among good ones: the whole batch is refused.
    good = walk((117.101, 39.045), (117.102, 39.045), t)
    err(gw.post("/patrols/v/track", {"key": "a", "points": [*good, [t, 117.1, 91, 0]]}), 400, "invalid_point")
    assert not TrackBatch.objects.exists()
    err(gw.post("/patrols/v/end", {"ended_at": (at.now - timedelta(hours=1)).isoformat()}), 400, "ended_before_start")
    err(gw.post("/patrols", {"kind": "boat", "grid": "x", "client_key": "z"}), 400)
    err(gw.form("/patrols/v/findings", {"description": "无位置"}), 400, "location_required")
    err(Api(cast["citizen"]).post("/patrols", {"kind": "grid", "grid": "1", "client_key": "c"}), 403, "forbidden_role")
    assert Patrol.objects.count() == 1 and not Case.objects.exists()


def test_late_points_after_the_end_are_kept_and_measured(cast: Any, at: Any) -> None:
    """A phone that lost signal sends its last batch after it ended the patrol: the measures follow."""
    p, _ = services.start(actor=cast["gw_a"], kind="grid", grid="120111103201001", client_key="late")
    pts = walk((117.099, 39.045), (117.111, 39.045), at.now.timestamp())
    at.move(at.now + timedelta(hours=1))
    services.add_points(actor=cast["gw_a"], patrol=p, key="1", points=pts[:3])
    first = services.end(actor=cast["gw_a"], patrol="late")
    services.add_points(actor=cast["gw_a"], patrol="late", key="2", points=pts[3:])
    p.refresh_from_db()
    assert p.points == len(pts) and p.coverage > first.coverage
    assert p.coverage == pytest.approx(40 / 222, abs=1e-4)


def test_rivers_import_from_geojson(cast: Any) -> None:
    body = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"river_code": "HD09", "river_name": "程村排河", "code": f"HD09-0{i}", "name": f"{i}段"},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[117.10 + i * 0.005, 39.035], [117.105 + i * 0.005, 39.035]],
                },
            }
            for i in range(2)
        ],
    }
    err(Api(cast["gw_a"]).post("/patrols/rivers/import", body), 403)
    r = Api(cast["shiftlead"]).post("/patrols/rivers/import", body)
    assert r.json() == {"rivers": 1, "created": 2, "updated": 0}
    assert Api(cast["shiftlead"]).post("/patrols/rivers/import", body).json()["updated"] == 2
    bad = {
        **body,
        "features": [
            {**body["features"][0], "geometry": {"type": "LineString", "coordinates": [[118.5, 40], [118.6, 40]]}}
        ],
    }
    err(Api(cast["shiftlead"]).post("/patrols/rivers/import", bad), 400, "outside_territory")
    fc = Api(cast["gw_a"]).get("/patrols/rivers").json()
    assert [f["properties"]["code"] for f in fc["features"]] == ["HD09-00", "HD09-01"]
    assert Section.objects.get(code="HD09-00").length_m == pytest.approx(
        0.005 * R * math.cos(39.035 * geometry.DEG) * geometry.DEG, abs=0.1
    )


def test_stats_by_month_person_and_grid(cast: Any, at: Any) -> None:
    for i, key in enumerate(("m1", "m2")):
        p, _ = services.start(actor=cast["gw_a"], kind="grid", grid="120111103201001", client_key=key)
        pts = walk((117.099, 39.045), (117.111, 39.045), at.now.timestamp())
        at.move(at.now + timedelta(hours=1 + i))
        services.add_points(actor=cast["gw_a"], patrol=p, key="k", points=pts)
        services.end(actor=cast["gw_a"], patrol=p)
    qs = Patrol.objects.all()
    by_person = stats.figures(qs, "person")
    assert len(by_person) == 1 and by_person[0]["patrols"] == 2 and by_person[0]["hours"] == 3.0
    # The whole selection is one row, whatever the number of patrols.
    total = stats.figures(qs, "total")
    assert len(total) == 1 and total[0]["patrols"] == 2 and total[0]["hours"] == 3.0
    assert stats.figures(qs, "month")[0]["key"] == "2026-03"
    assert stats.figures(qs, "grid")[0]["key"] == "120111103201001"
    assert stats.figures(qs, "region")[0]["key"] == "120111103201"


# --- what a cold review found --------------------------------------------------------------------------------------


def test_a_bad_first_fix_is_dropped_not_the_walk(cast: Any) -> None:
    from jingwu.geo.models import Grid

    grid = Grid.objects.get(code="120111103201001")
    pts = walk((117.099, 39.045), (117.111, 39.045), 1_772_413_200)
    bad = [[pts[0][0] - 20, 117.35, 39.045, 5.0], *pts]  # the phone's first fix 20 km away
    m = geometry.measure(bad, geometry.target_geometry(grid.geometry), geometry.Limits(reach_m=100))
    assert m.jumps == 2 and m.kept == len(pts)  # the bad fix dropped, and the jump from it counted
    assert m.distance_m == pytest.approx(0.012 * KX, rel=1e-3)
    assert m.coverage == pytest.approx(40 / 222, abs=1e-6)


def test_a_drive_between_two_walks_is_not_counted_as_walked(cast: Any) -> None:
    """Two walks 4 km apart, the second starting 20 s after the first ends (the phone had no fix in the car):
    each walk is measured, the 4 km between them is not."""
    from jingwu.geo.models import Grid

    grid = Grid.objects.get(code="120111103201001")
    one = walk((117.101, 39.045), (117.109, 39.045), 1_772_413_200)
    two = walk((117.151, 39.045), (117.159, 39.045), one[-1][0] + 20)
    m = geometry.measure(one + two, geometry.target_geometry(grid.geometry), geometry.Limits(reach_m=100))
    assert m.kept == len(one) + len(two) and m.jumps == 1
    assert m.distance_m == pytest.approx(2 * 0.008 * KX, rel=1e-3)
    assert {f["code"] for f in m.flags} == {"jump", "outside"}
    # The first walk's band only (the second is outside the grid), not the road between.
    alone = geometry.measure(one, geometry.target_geometry(grid.geometry), geometry.Limits(reach_m=100))
    assert m.coverage == pytest.approx(alone.coverage, abs=1e-9)


def test_a_checkpoint_between_two_fixes_is_passed(cast: Any) -> None:
    from jingwu.geo.models import Grid

    grid = Grid.objects.get(code="120111103201001")
    pts = walk((117.101, 39.045), (117.109, 39.045), 1_772_413_200, seconds=180)  # a fix every 250 m
    m = geometry.measure(pts, geometry.target_geometry(grid.geometry), geometry.Limits(), [(7, 117.105, 39.045, 30.0)])
    assert [cid for cid, _ in m.checkins] == [7]
    assert pts[0][0] < m.checkins[0][1] < pts[-1][0]


def test_keys_ids_and_reused_batch_keys(cast: Any, at: Any) -> None:
    gw = Api(cast["gw_a"])
    err(gw.post("/patrols", {"kind": "grid", "grid": "120111103201001", "client_key": "123"}), 400, "invalid_key")
    first = gw.post("/patrols", {"kind": "grid", "grid": "120111103201001", "client_key": "a"}).json()
    t = at.now.timestamp()
    assert (
        gw.post(f"/patrols/{first['id']}/track", {"key": "k", "points": [[t, 117.105, 39.045, 5]]}).status_code == 201
    )
    assert gw.post("/patrols/a/track", {"key": "k", "points": [[t, 117.105, 39.045, 5]]}).status_code == 200
    err(gw.post("/patrols/a/track", {"key": "k", "points": [[t + 5, 117.106, 39.045, 5]]}), 409, "batch_key_reused")
    assert TrackBatch.objects.count() == 1
    err(gw.get("/patrols/²"), 404)
    err(gw.post("/patrols/²/end", {}), 404)
    err(gw.post("/patrols", {"kind": "grid", "grid": "²", "client_key": "b"}), 403, "not_your_grid")


def test_points_after_the_end_are_kept_but_not_measured(cast: Any, at: Any) -> None:
    p, _ = services.start(actor=cast["gw_a"], kind="grid", grid="120111103201001", client_key="after")
    pts = walk((117.101, 39.045), (117.105, 39.045), at.now.timestamp())
    at.move(at.now + timedelta(hours=1))
    services.add_points(actor=cast["gw_a"], patrol=p, key="1", points=pts)
    first = services.end(actor=cast["gw_a"], patrol=p)
    at.move(at.now + timedelta(hours=1))
    later = walk((117.101, 39.041), (117.109, 39.049), at.now.timestamp() - 1800)
    services.add_points(actor=cast["gw_a"], patrol=p, key="2", points=later)
    p.refresh_from_db()
    assert (p.distance_m, p.coverage, p.points) == (first.distance_m, first.coverage, first.points)
    assert TrackBatch.objects.filter(patrol=p).count() == 2


def test_malformed_shapes_are_400_not_500(cast: Any, at: Any) -> None:
    gw = Api(cast["gw_a"])
    gw.post("/patrols", {"kind": "grid", "grid": "120111103201001", "client_key": "m"})
    t = at.now.timestamp()
    for body in (
        {"key": "a", "track": {"type": "Feature", "geometry": [1, 2]}},
        {"key": "a", "track": {"type": "Feature", "properties": [1], "geometry": {"type": "LineString"}}},
        {"key": "a", "points": [[t, True, False]]},
        {"key": "a", "points": [["x"]]},
        {"key": "a", "points": "nope"},
    ):
        assert gw.post("/patrols/m/track", body).status_code == 400, body
    lead = Api(cast["shiftlead"])
    for body in (
        {"type": "FeatureCollection", "features": ["x"]},
        {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": [1]}]},
        {
            "type": "FeatureCollection",
            "features": [{"properties": {"river_code": "R", "code": "R-1"}, "geometry": None}],
        },
        [1, 2],
    ):
        err(lead.post("/patrols/rivers/import", body), 400)
    assert not TrackBatch.objects.exists() and not River.objects.exists()


def test_times_far_off_or_in_zones_postgresql_refuses_are_handled(cast: Any, at: Any) -> None:
    """Found by the OpenAPI fuzz on PostgreSQL: a zone of +19:47 is valid ISO 8601 but not a PostgreSQL one."""
    gw = Api(cast["leader"])
    assert gw.get("/patrols/stats", to="2026-03-01T07:42:11+19:47", kind="river").status_code == 200
    err(gw.get("/patrols/stats", to="0170-07-01T07:42:11+19:47"), 400, "invalid_time")
    err(gw.get("/patrols", **{"from": "2999-01-01T00:00:00Z"}), 400, "invalid_time")
    worker = Api(cast["gw_a"])
    start = (at.now - timedelta(minutes=5)).astimezone(ZoneInfo("Etc/GMT-14")).isoformat()  # UTC+14: Kiribati
    r = worker.post("/patrols", {"kind": "grid", "grid": "120111103201001", "client_key": "z", "started_at": start})
    assert r.status_code == 201, r.content
    odd = (at.now - timedelta(minutes=4)).strftime("%Y-%m-%dT%H:%M:%S") + "+19:47"
    assert (
        worker.post(
            "/patrols/z/track", {"key": "k", "points": [{"at": odd, "lon": 117.105, "lat": 39.045}]}
        ).status_code
        == 400
    )
