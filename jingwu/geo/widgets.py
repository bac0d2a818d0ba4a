"""Boundaries drawn and edited on a map in the admin (Leaflet with Geoman), not typed as GeoJSON."""

from __future__ import annotations

from typing import Any

from django import forms


class MapWidget(forms.Textarea):
    """The geometry as GeoJSON in a (folded) text box, kept in step with an editable map above it. The other
    grids are drawn grey around it, and the town's base map under it, so a boundary is drawn against its
    neighbours."""

    template_name = "geo/map_widget.html"

    def __init__(self, kind: str = "polygon", attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"rows": 6, **(attrs or {})})
        self.kind = kind

    def format_value(self, value: Any) -> str | None:
        # An empty geometry is an empty box, not the JSON word "null".
        return None if value in (None, "", "null") else super().format_value(value)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["kind"] = self.kind
        return context

    class Media:
        css = {"all": ("leaflet/leaflet.css", "geoman/leaflet-geoman.css", "geo/map_widget.css")}
        js = ("leaflet/leaflet.js", "geoman/leaflet-geoman.min.js", "geo/map_widget.js")
