"""Only the registry's configuration is kept in the admin: the care groups with their visit cycles and the
departments that keep the registry. People, addresses and visits are not: the system administrator (三员分立)
has no need to read personal data, and every read of it goes through the audited pages."""

from __future__ import annotations

from django.contrib import admin

from .models import CareGroup, Steward


@admin.register(CareGroup)
class CareGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "visit_days", "restricted", "position", "active"]
    list_editable = ["visit_days", "position", "active"]


@admin.register(Steward)
class StewardAdmin(admin.ModelAdmin):
    list_display = ["department", "exports"]
