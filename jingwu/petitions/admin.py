from django.contrib import admin

from .models import CongressSession, Deputy, Limits, Suggestion


@admin.register(Limits)
class LimitsAdmin(admin.ModelAdmin):
    """信访工作条例 time limits. One row: while there is none the 条例's defaults apply."""

    list_display = ["accept_days", "handle_days", "extension_days", "review_days", "rereview_days", "working_days"]

    def has_add_permission(self, request: object) -> bool:
        return not Limits.objects.exists()


@admin.register(CongressSession)
class CongressSessionAdmin(admin.ModelAdmin):
    list_display = ["name", "opened_on"]


@admin.register(Deputy)
class DeputyAdmin(admin.ModelAdmin):
    list_display = ["person", "constituency", "active"]
    list_filter = ["active"]
    search_fields = ["person__name", "constituency"]


# Petitions are not in the admin at all: the system administrator (三员分立) is not among those who may see
# them (``cases.models.CaseQuerySet.visible_to``); they change through the loop, on the petition pages and API.


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    """Read-only: suggestions change through the loop (pages, API)."""

    list_display = ["session", "number", "title", "deputy", "lead", "assessment", "second_assessment"]
    list_filter = ["session"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
