"""Base maps: presets for 天地图 (vector and imagery, with their annotation layers; a key is needed), 高德 (in
GCJ-02: the pages shift every WGS-84 position onto it and clicks back, so points stay right), any XYZ or
WMTS-REST server on an intranet, and the town's own vector base map (``MapFeature``) where none is reachable.

No Django import at module level: the settings use ``hosts()`` for the Content-Security-Policy.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

TIANDITU = "https://t{s}.tianditu.gov.cn/DataServer?T=%s_w&x={x}&y={y}&l={z}&tk=%s"
GAODE_VECTOR = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
GAODE_IMAGERY = "https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}"
GAODE_LABELS = "https://webst0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}"
PRESETS = ("local", "tianditu", "gaode", "xyz")


def preset(name: str, tianditu_key: str, tile_url: str) -> str:
    """The preset in force: the one named, else 天地图 when a key is set, an XYZ server when a URL is, else
    the town's own base map."""
    if name in PRESETS:
        return name
    if tianditu_key:
        return "tianditu"
    return "xyz" if tile_url else "local"


def layers(
    name: str,
    *,
    tianditu_key: str = "",
    tile_url: str = "",
    imagery_url: str = "",
    labels_url: str = "",
    subdomains: str = "",
    crs: str = "wgs84",
    attribution: str = "",
) -> dict[str, Any]:
    """What the pages' map script needs: the base layers to switch between, the datum their tiles are in,
    and the attribution line."""
    chosen = preset(name, tianditu_key, tile_url)
    bases: list[dict[str, str]] = []
    if chosen == "tianditu" and tianditu_key:
        bases = [
            {"name": "vector", "url": TIANDITU % ("vec", tianditu_key), "labels": TIANDITU % ("cva", tianditu_key)},
            {"name": "imagery", "url": TIANDITU % ("img", tianditu_key), "labels": TIANDITU % ("cia", tianditu_key)},
        ]
        subdomains, crs, attribution = "01234567", "wgs84", attribution or "© 天地图"
    elif chosen == "gaode":
        bases = [
            {"name": "vector", "url": GAODE_VECTOR, "labels": ""},
            {"name": "imagery", "url": GAODE_IMAGERY, "labels": GAODE_LABELS},
        ]
        subdomains, crs, attribution = "1234", "gcj02", attribution or "© 高德地图"
    elif chosen == "xyz" and tile_url:
        bases = [{"name": "vector", "url": tile_url, "labels": labels_url}]
        if imagery_url:
            bases.append({"name": "imagery", "url": imagery_url, "labels": labels_url})
    return {
        "preset": chosen if bases or chosen == "local" else "local",
        "bases": bases,
        "subdomains": subdomains or "abc",
        "crs": crs if crs in ("wgs84", "gcj02") else "wgs84",
        "attribution": attribution,
        "local": "/api/basemap",
    }


def hosts(config: dict[str, Any]) -> list[str]:
    """The tile servers' origins for the CSP's img-src ("t{s}.tianditu.gov.cn" becomes "*.tianditu.gov.cn")."""
    out: set[str] = set()
    for base in config["bases"]:
        for url in (base["url"], base.get("labels", "")):
            parts = urlsplit(url)
            if not parts.scheme or not parts.netloc:
                continue
            first, _dot, rest = parts.netloc.partition(".")
            netloc = f"*.{rest}" if "{" in first and rest else parts.netloc
            out.add(f"{parts.scheme}://{netloc}")
    return sorted(out)
