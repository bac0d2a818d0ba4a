from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from jingwu.lib.privacy import mask_name, mask_phone

from .models import Attachment, Case, CaseSupport, Category, FilingCondition, RoutingRule, Transition


class FilingConditionInline(admin.TabularInline):
    model = FilingCondition
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["kind", "code", "name", "major_name", "case_kind", "is_local", "is_public", "active"]
    list_filter = ["kind", "major_name", "is_local", "is_public", "active"]
    search_fields = ["code", "name", "name_en", "keywords"]
    inlines = [FilingConditionInline]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TransitionInline(ReadOnlyInline):
    model = Transition
    fields = ["seq", "at", "action", "outcome", "from_state", "to_state", "actor_name", "role", "note"]


class SupportInline(ReadOnlyInline):
    model = CaseSupport
    fields = ["department", "added_at", "replied_at"]


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["kind", "file", "at"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: workflow state changes only through the service functions."""

    list_display = ["number", "status", "category", "source", "grid", "department", "reported_at", "due_at"]
    # The reporter only masked: a full look goes through the case page's audited reveal.
    exclude = ["reporter_name", "reporter_phone"]
    readonly_fields = ["reporter_masked"]
    list_filter = ["status", "source", "kind", "region"]
    search_fields = ["number", "description", "address"]
    list_select_related = ["category", "grid", "department"]
    date_hierarchy = "reported_at"
    inlines = [SupportInline, TransitionInline, AttachmentInline]

    @admin.display(description=_("上报人"))
    def reporter_masked(self, obj: Case) -> str:
        return " ".join(v for v in (mask_name(obj.reporter_name), mask_phone(obj.reporter_phone)) if v) or "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["priority", "category", "category_kind", "category_major", "region", "grid", "department"]
    list_display_links = ["department"]
    list_editable = ["priority"]
    list_select_related = ["category", "region", "grid", "department"]
