from django.contrib import admin

from .models import CongressSession, Deputy, Limits, Petition, Suggestion


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


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    """Read-only, without the petitioner: petitions change through the loop (pages, API), which records every
    step, and the petitioner is shown only to those handling the petition, each look audited."""

    list_display = ["number", "subject", "channel", "received_at", "decision", "status"]
    list_filter = ["channel", "decision"]
    search_fields = ["number", "subject"]
    exclude = ["petitioner_name", "petitioner_id_number", "petitioner_phone", "petitioner_address"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    """Read-only: suggestions change through the loop (pages, API)."""

    list_display = ["session", "number", "title", "deputy", "lead", "assessment", "second_assessment"]
    list_filter = ["session"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
