from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from shapely.geometry import shape


class RegionLevel(models.TextChoices):
    TOWN = "town", _("镇/街道")
    VILLAGE = "village", _("村")
    COMMUNITY = "community", _("社区")


def validate_geometry(value: Any) -> None:
    try:
        geom = shape(value)
    except Exception as exc:
        raise ValidationError(_("不是有效的 GeoJSON 几何")) from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise ValidationError(_("边界必须是多边形"))
    if not geom.is_valid:
        raise ValidationError(_("多边形自相交或无效"))


class GeoArea(models.Model):
    """Polygon stored as GeoJSON (WGS-84) with its bounding box, so no GIS extension is needed."""

    geometry = models.JSONField(_("边界"), validators=[validate_geometry])
    min_lon = models.FloatField(editable=False, default=0)
    min_lat = models.FloatField(editable=False, default=0)
    max_lon = models.FloatField(editable=False, default=0)
    max_lat = models.FloatField(editable=False, default=0)
    center_lon = models.FloatField(editable=False, default=0)
    center_lat = models.FloatField(editable=False, default=0)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        geom = shape(self.geometry)
        self.min_lon, self.min_lat, self.max_lon, self.max_lat = geom.bounds
        point = geom.representative_point()
        self.center_lon, self.center_lat = point.x, point.y
        super().save(*args, **kwargs)


class Region(GeoArea):
    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级")
    )

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Grid(GeoArea):
    """A unit grid (单元网格). Code: 6 区县 + 3 乡镇 + 3 村/社区 + 3 sequence = 15 digits."""

    code = models.CharField(_("网格编码"), max_length=15, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="grids", verbose_name=_("所属村/社区"))

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if len(self.code) != 15 or not self.code.isdigit():
            raise ValidationError({"code": _("网格编码必须是15位数字")})


class MapFeatureKind(models.TextChoices):
    ROAD = "road", _("道路")
    RIVER = "river", _("河流")
    WATER = "water", _("水面")
    LANDMARK = "landmark", _("地标")


class MapFeature(models.Model):
    """A feature of the town's own base map (roads, rivers, landmarks), drawn where no tile server is reachable
    (an intranet, the demo) and as an overlay elsewhere. GeoJSON in WGS-84."""

    kind = models.CharField(_("类型"), max_length=16, choices=MapFeatureKind.choices)
    name = models.CharField(_("名称"), max_length=64, blank=True)
    rank = models.PositiveSmallIntegerField(_("等级"), default=2, help_text=_("道路：1 主干路，2 次干路，3 支路"))
    geometry = models.JSONField(_("几何"))

    class Meta:
        verbose_name = _("底图要素")
        verbose_name_plural = _("底图要素")
        ordering = ["kind", "rank", "id"]

    def __str__(self) -> str:
        return self.name or self.get_kind_display()
