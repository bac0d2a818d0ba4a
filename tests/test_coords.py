import pytest

from jingwu.lib import coords
from jingwu.lib.privacy import mask_name, mask_phone


@pytest.mark.parametrize("lon,lat", [(117.125, 39.04), (116.3975, 39.9087), (121.4737, 31.2304), (113.26, 23.13)])
def test_gcj02_round_trips_to_a_millimetre(lon: float, lat: float) -> None:
    glon, glat = coords.wgs84_to_gcj02(lon, lat)
    # The offset in China is a few hundred metres, never zero.
    assert 50 < coords.distance_m(lon, lat, glon, glat) < 1000
    back = coords.gcj02_to_wgs84(glon, glat)
    assert coords.distance_m(lon, lat, *back) < 0.001


@pytest.mark.parametrize("lon,lat", [(117.125, 39.04), (121.4737, 31.2304)])
def test_bd09_round_trips(lon: float, lat: float) -> None:
    blon, blat = coords.from_wgs84(lon, lat, "bd09")
    assert coords.distance_m(lon, lat, *coords.to_wgs84(blon, blat, "bd09")) < 0.05


def test_points_outside_china_are_not_shifted() -> None:
    assert coords.wgs84_to_gcj02(-0.1276, 51.5072) == (-0.1276, 51.5072)


def test_a_published_reference_point() -> None:
    # Tiananmen: WGS-84 (116.391248, 39.907501) is shown by Amap at about (116.397490, 39.908900).
    glon, glat = coords.wgs84_to_gcj02(116.391248, 39.907501)
    assert abs(glon - 116.39749) < 0.0002 and abs(glat - 39.9089) < 0.0002


def test_out_of_range_coordinates_are_refused() -> None:
    with pytest.raises(ValueError):
        coords.to_wgs84(200, 39, "wgs84")
    with pytest.raises(ValueError):
        coords.to_wgs84(117, 39, "mercator")


def test_masking() -> None:
    assert mask_phone("13912345678") == "139****5678"
    assert mask_name("张三丰") == "张**"
    assert mask_name("") == ""
