from django.contrib import admin

from .models import Grid, MapFeature, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name"]
    list_select_related = ["region"]


@admin.register(MapFeature)
class MapFeatureAdmin(admin.ModelAdmin):
    list_display = ["kind", "name", "rank"]
    list_filter = ["kind"]
    search_fields = ["name"]
