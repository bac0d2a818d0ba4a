"""The indicators (their other names, unit, department, whether figures are year to date) and the congress's
targets are kept in the admin as well as on the pages; a task's units and milestones can be corrected there.
Figures and reports are read there, not edited: they carry who entered them and when."""

from __future__ import annotations

from django.contrib import admin

from .models import Actual, Indicator, Milestone, Project, Target, Task, TaskUnit


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "department", "cumulative", "position"]
    list_editable = ["position"]
    search_fields = ["name"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["year", "indicator", "value", "growth_pct", "department", "source"]
    list_filter = ["year"]
    readonly_fields = ["created_by", "created_at"]


@admin.register(Actual)
class ActualAdmin(admin.ModelAdmin):
    list_display = ["indicator", "year", "period", "kind", "value", "growth_pct", "source", "entered_at"]
    list_filter = ["year", "kind"]

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


class UnitInline(admin.TabularInline):
    model = TaskUnit
    extra = 0


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "year", "deadline", "status", "progress"]
    list_filter = ["year", "status", "source"]
    search_fields = ["number", "title"]
    readonly_fields = [
        "number",
        "status",
        "progress",
        "created_by",
        "created_at",
        "reported_at",
        "confirmed_by",
        "confirmed_at",
    ]
    exclude = ["client_key"]
    inlines = [UnitInline, MilestoneInline]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["year", "category", "name", "budget", "department", "region", "progress", "status"]
    list_filter = ["year", "category", "status"]
    search_fields = ["name"]
    readonly_fields = ["lon", "lat", "region", "progress", "status", "updated_at"]
