from typing import Any

from django.contrib import admin

from .models import Grid, MapFeature, Region
from .widgets import MapWidget


class MapAdmin(admin.ModelAdmin):
    """The geometry is drawn on a map."""

    map_kind = "polygon"

    def formfield_for_dbfield(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name == "geometry":
            kwargs["widget"] = MapWidget(kind=self.map_kind)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Region)
class RegionAdmin(MapAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]


@admin.register(Grid)
class GridAdmin(MapAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name"]
    list_select_related = ["region"]


@admin.register(MapFeature)
class MapFeatureAdmin(MapAdmin):
    map_kind = "feature"

    list_display = ["kind", "name", "rank"]
    list_filter = ["kind"]
    search_fields = ["name"]
