"""The staff pages at the two screen sizes a command centre has (1366×768 laptops, 1920×1080 wall screens):
screenshots for review, and what a person would notice measured from the page: a status badge broken over
two lines, a table wider than its card, a chart label cut off or dropped."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jingwu.cases.models import Case

from ..flows import act, to_state

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [(1366, 768), (1920, 1080), (2560, 1440)]

# Every status badge on one line, inside its cell; no table wider than its scrolling box.
LAYOUT_CHECK = """() => {
  const badges = [...document.querySelectorAll('.badge.state, .badge.late')];
  const broken = badges.filter(b => b.getClientRects().length !== 1 || b.getBoundingClientRect().height > 32)
                       .map(b => b.textContent.trim());
  const wide = [...document.querySelectorAll('.table-responsive')]
                 .filter(t => t.scrollWidth > t.clientWidth + 1).map(t => t.parentElement.id || t.className);
  return {badges: badges.length, broken, wide, page: document.documentElement.scrollWidth - window.innerWidth};
}"""

# Every text of every chart (ECharts draws SVG here) inside the chart's own box.
CHART_CHECK = """(id) => {
  const svg = document.querySelector('#' + id + ' svg');
  const box = svg.getBoundingClientRect();
  const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim());
  const outside = r => r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1
                      || r.bottom > box.bottom + 1;
  const clipped = texts.filter(t => { const r = t.getBoundingClientRect(); return r.width > 0 && outside(r); })
    .map(t => t.textContent);
  return {texts: texts.map(t => t.textContent), clipped};
}"""


def town(cast: Any) -> None:
    for state in ("reported", "verifying", "to_file", "to_dispatch", "handling", "returned", "to_check", "to_close"):
        to_state(cast, state)
    act(to_state(cast, "to_close"), "close", cast["shiftlead"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_command_centre_case_page_and_audit_at_both_sizes(cast: Any, new_page: Any, shot: Any, size: Any) -> None:
    town(cast)
    tag = f"{size[0]}x{size[1]}"
    page = new_page("operator", size=size)
    page.goto("/centre/")
    page.wait_for_selector("#map[data-grids]")
    result = page.evaluate(LAYOUT_CHECK)
    assert result["badges"] >= 9 and result["broken"] == [] and result["wide"] == [] and result["page"] <= 0, result
    shot(page, f"20-centre-{tag}")
    number = Case.objects.filter(status="handling").first().number
    page.goto(f"/cases/{number}/")
    page.wait_for_selector("#case-map")
    result = page.evaluate(LAYOUT_CHECK)
    assert result["broken"] == [] and result["page"] <= 0, result
    shot(page, f"21-case-{tag}")
    auditor = new_page("auditor", size=size)
    auditor.goto("/audit/")
    auditor.wait_for_selector("#audit-rows")
    result = auditor.evaluate(LAYOUT_CHECK)
    assert result["wide"] == [] and result["page"] <= 0, result
    shot(auditor, f"22-audit-{tag}")
    assert page.js_errors == [] and auditor.js_errors == []


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overview_charts_draw_every_label_inside_the_chart(cast: Any, new_page: Any, shot: Any, size: Any) -> None:
    from datetime import timedelta

    from jingwu.lib import clock

    # A week ago: the handling deadlines have passed, so the units' chart has cases due (应结案) to click.
    with clock.frozen_at(clock.now() - timedelta(days=7)):
        town(cast)
    page = new_page("leader", size=size)
    page.goto("/overview/")
    for chart in ("chart-months", "chart-regions", "chart-departments"):
        page.wait_for_selector(f"#{chart} svg text")
    page.wait_for_timeout(400)  # the charts' entry animation
    for chart in ("chart-months", "chart-regions", "chart-departments"):
        result = page.evaluate(CHART_CHECK, chart)
        assert result["clipped"] == [], (chart, result)
    departments = page.evaluate(CHART_CHECK, "chart-departments")["texts"]
    assert any(t.startswith("环卫") for t in departments)  # every category label drawn, none dropped
    result = page.evaluate(LAYOUT_CHECK)
    assert result["page"] <= 0, result
    shot(page, f"23-overview-{size[0]}x{size[1]}")
    # A click on a department's bar opens the list of the cases it counts.
    page.locator("#chart-departments").scroll_into_view_if_needed()
    value, at = page.evaluate(
        """() => {
          // The first unit with cases due: the middle of its own bar (the 应结案 series, beside 结案).
          const c = window.JingwuCharts['chart-departments'], values = c.getOption().series[0].data;
          const i = values.findIndex((v) => v > 0);
          const box = c.getModel().getSeriesByIndex(0).getData().getItemLayout(i);
          const r = document.getElementById('chart-departments').getBoundingClientRect();
          return [values[i], [r.left + box.x + box.width / 2, r.top + box.y + box.height / 2]];
        }"""
    )
    page.mouse.click(*at)
    page.wait_for_url("**/centre/?*measure=due*")
    assert int(page.text_content("#case-total").strip()) == value
    assert page.js_errors == []


def test_maps_read_like_a_place_with_legend_and_the_cases_around(cast: Any, new_page: Any, shot: Any) -> None:
    from jingwu.geo.models import MapFeature, Region

    MapFeature.objects.create(
        kind="road",
        name="精武大道",
        rank=1,
        geometry={"type": "LineString", "coordinates": [[117.10, 39.04], [117.12, 39.04]]},
    )
    MapFeature.objects.create(
        kind="landmark", name="精武镇人民政府", geometry={"type": "Point", "coordinates": [117.105, 39.045]}
    )
    case = to_state(cast, "handling")
    to_state(cast, "to_dispatch")  # a neighbour, a few metres away in the same grid
    page = new_page("operator", size=(1366, 768))
    page.goto(f"/cases/{case.number}/")
    page.wait_for_selector("#case-map[data-base][data-legend='3']")
    places = Region.objects.exclude(level="town").count()
    assert int(page.get_attribute("#case-map", "data-base")) == 2 + places  # the features, and a name per village
    assert "甲村" in page.inner_text("#case-map")
    assert page.get_attribute("#case-map", "data-nearby") == "1"
    assert page.inner_text(".jw-legend").count("\n") >= 2 and "本案" in page.inner_text(".jw-legend")
    assert "精武镇人民政府" in page.inner_text("#case-map")  # landmarks named on the map itself
    shot(page, "24-case-map")
    page.goto("/centre/")
    page.wait_for_selector("#map[data-grids][data-legend]")
    page.evaluate("JingwuMap.maps.map.setZoom(16, {animate: false})")
    page.wait_for_selector(".jw-grid-code")  # grid codes appear at high zoom
    assert page.js_errors == []


def test_gcj02_tiles_keep_points_right_both_ways(cast: Any, new_page: Any, settings: Any) -> None:
    from jingwu.geo import basemaps
    from jingwu.lib import coords

    settings.JINGWU_BASEMAP_LAYERS = basemaps.layers("gaode")
    policy = {**settings.CONTENT_SECURITY_POLICY, "DIRECTIVES": dict(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"])}
    tiles = basemaps.hosts(settings.JINGWU_BASEMAP_LAYERS)
    policy["DIRECTIVES"]["img-src"] = [*policy["DIRECTIVES"]["img-src"], *tiles]
    settings.CONTENT_SECURITY_POLICY = policy  # as the settings module does for the preset in force
    case = to_state(cast, "handling")
    page = new_page("operator", size=(1366, 768))
    # No tile server is reachable from the test: the tiles fail, the positions must still be right.
    page.route("**/*autonavi.com/**", lambda route: route.abort())
    page.goto(f"/cases/{case.number}/")
    page.wait_for_selector("#case-map[data-preset='gaode']")
    centre = page.evaluate("(() => { const c = JingwuMap.maps['case-map'].getCenter(); return [c.lng, c.lat]; })()")
    want = coords.wgs84_to_gcj02(case.lon, case.lat)
    assert abs(centre[0] - want[0]) < 1e-6 and abs(centre[1] - want[1]) < 1e-6  # drawn where 高德 has it
    # A click on the GCJ-02 map is stored in WGS-84.
    public = new_page(size=(1366, 768))
    public.route("**/*autonavi.com/**", lambda route: route.abort())
    public.goto("/public/")
    public.wait_for_selector("#public-map[data-grids]")
    gcj = coords.wgs84_to_gcj02(117.105, 39.045)
    public.evaluate(f"JingwuMap.maps['public-map'].fire('click', {{latlng: L.latLng({gcj[1]}, {gcj[0]})}})")
    lon, lat = float(public.input_value("#lon")), float(public.input_value("#lat"))
    assert abs(lon - 117.105) < 2e-6 and abs(lat - 39.045) < 2e-6
    assert page.js_errors == [] and public.js_errors == []


def test_grid_boundaries_are_edited_on_a_map_in_the_admin(cast: Any, new_page: Any, shot: Any) -> None:
    from jingwu.geo.models import Grid

    grid = Grid.objects.order_by("code").first()
    assert grid is not None
    page = new_page("admin", size=(1366, 900))
    page.goto(f"/admin/geo/grid/{grid.pk}/change/")
    page.wait_for_selector(".jw-map-widget[data-ready='1']")
    page.wait_for_selector(".leaflet-pm-toolbar")  # Geoman's drawing tools
    shot(page, "25-admin-grid-map")
    # The drawing tools speak Chinese, as the admin around them does.
    titles = page.eval_on_selector_all(".leaflet-pm-toolbar [title]", "els => els.map(e => e.title)")
    assert "绘制多边形" in titles and not any(re.search("[A-Za-z]{3,}", t) for t in titles), titles
    # Move a vertex on the map (what dragging it does): the form's GeoJSON follows, and saving stores it.
    before = grid.geometry["coordinates"][0][0]
    page.evaluate(
        """() => {
          const layer = window.JingwuAdminMaps[0].editable.getLayers()[0];
          const ring = layer.getLatLngs()[0];
          ring[0] = L.latLng(ring[0].lat + 0.0005, ring[0].lng);
          layer.setLatLngs([ring]);
          layer.fire('pm:edit', {layer});
        }"""
    )
    assert page.get_attribute(".jw-map-widget", "data-edited") == "1"
    page.click("input[name=_save]")
    page.wait_for_load_state()
    grid.refresh_from_db()
    after = grid.geometry["coordinates"][0]
    assert grid.geometry["type"] == "Polygon" and after[0] == after[-1]  # still a closed ring
    assert abs(after[0][1] - (before[1] + 0.0005)) < 1e-6 and abs(after[0][0] - before[0]) < 1e-6
    assert page.js_errors == []


def test_undoing_work_asks_in_a_dialog_and_the_result_shows_as_a_toast(cast: Any, new_page: Any, shot: Any) -> None:
    from ..flows import public_report

    case = public_report(cast)
    page = new_page("operator", size=(1366, 768))
    page.goto(f"/cases/{case.number}/")
    page.click("form[data-action='void'] button[type=submit]")
    page.wait_for_selector("#confirm-modal.show")
    assert case.number in page.text_content("#confirm-text")
    page.click("#confirm-cancel")  # thought better of it: nothing is sent
    page.wait_for_selector("#confirm-modal", state="hidden")
    case.refresh_from_db()
    assert case.status == "reported"
    page.click("form[data-action='void'] button[type=submit]")
    page.wait_for_selector("#confirm-modal.show")
    shot(page, "26-confirm-dialog")
    page.click("#confirm-ok")
    page.wait_for_selector("#action-done.show")
    assert "作废" in page.text_content("#action-done")
    case.refresh_from_db()
    assert case.status == "voided"
    page.wait_for_selector("#action-done", state="hidden", timeout=9000)  # the toast leaves by itself
    assert page.js_errors == []


def test_the_desk_fits_a_phone(cast: Any, new_page: Any, shot: Any) -> None:
    for _ in range(3):
        to_state(cast, "handling")
    page = new_page("h_env", mobile=True)
    page.goto("/desk/")
    page.wait_for_selector("#inbox tr[data-number]")
    result = page.evaluate(LAYOUT_CHECK)
    assert result["wide"] == [] and result["page"] <= 0, result  # the deadline and the button in view
    shot(page, "27-desk-phone")
    assert page.js_errors == []
