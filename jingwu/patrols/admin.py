"""Rivers, sections, chiefs and required points are kept in the admin; patrols are read there, never edited
(they are what the phones sent, measured)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from jingwu.lib.errors import ServiceError

from . import services
from .models import Checkpoint, Patrol, River, RiverChief, Section


class SectionForm(forms.ModelForm):
    """The service's checks (a LineString inside the territory) as form errors; length, village and grid derived."""

    class Meta:
        model = Section
        fields = ["river", "code", "name", "geometry"]
        help_texts = {
            "geometry": gettext_lazy(
                'GeoJSON LineString（WGS-84）：{"type": "LineString", "coordinates": [[经度, 纬度], …]}'
            )
        }

    def clean_geometry(self) -> Any:
        try:
            return services._line(self.cleaned_data.get("geometry"), self.cleaned_data.get("code") or "")
        except ServiceError as exc:
            raise forms.ValidationError(str(exc)) from exc


class ChiefInline(admin.TabularInline):
    model = RiverChief
    extra = 0
    autocomplete_fields = ["person"]


class CheckpointInline(admin.TabularInline):
    model = Checkpoint
    extra = 0
    fields = ["name", "lon", "lat", "radius_m"]


@admin.register(River)
class RiverAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "active"]
    search_fields = ["code", "name"]
    inlines = [ChiefInline]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    form = SectionForm
    list_display = ["code", "name", "river", "length_m", "region"]
    list_filter = ["river"]
    search_fields = ["code", "name"]
    inlines = [CheckpointInline]

    def save_model(self, request: HttpRequest, obj: Section, form: Any, change: bool) -> None:
        services.save_section(river=obj.river, code=obj.code, name=obj.name, geometry_json=obj.geometry)
        obj.refresh_from_db() if obj.pk else None
        saved = Section.objects.get(code=obj.code)
        obj.pk = saved.pk


@admin.register(Patrol)
class PatrolAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "person", "started_at", "distance_m", "coverage", "review"]
    list_filter = ["kind", "review", "state"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
