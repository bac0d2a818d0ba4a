from django.contrib import admin

from .models import Checklist, ChecklistItem, Company, Enterprise, Inspector, Plan


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


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 1
    fields = ["position", "text", "basis", "severity", "hazard_type"]


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    """检查表: a town edits the standard ones (``jingwu.safety.checklists``) or adds its own. An inspection keeps
    each item's text as it read that day, so editing a checklist never rewrites a past record."""

    list_display = ["name", "industry", "tag", "active"]
    list_filter = ["active", "industry"]
    inlines = [ChecklistItemInline]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    """第三方检查机构. Deactivating one shuts its inspectors out of every task and 复查."""

    list_display = ["name", "credit_code", "phone", "active"]
    list_filter = ["active"]
    search_fields = ["name", "credit_code"]


@admin.register(Inspector)
class InspectorAdmin(admin.ModelAdmin):
    """Who inspects for whom: a person with the inspector role, and their company (none: the town's own). An
    inspector account without this row sees no task."""

    list_display = ["person", "company"]
    list_filter = ["company"]
    autocomplete_fields = ["person"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Read here: plans are made on the safety pages by shift leads and leaders."""

    list_display = ["name", "checklist", "every", "company", "assignee", "starts_on", "ends_on", "active"]
    list_filter = ["every", "active", "company"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
