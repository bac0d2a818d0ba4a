from django.contrib import admin

from .models import Enterprise


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    """Read-only here: the registry changes through its pages, API and Excel import (checked and recorded)."""

    list_display = ["name", "credit_code", "industry", "risk", "grid", "active"]
    list_filter = ["industry", "risk", "active"]
    search_fields = ["name", "credit_code"]
    exclude = ["legal_rep", "contact_name", "contact_phone"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
