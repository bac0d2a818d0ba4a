from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from jingwu.lib.privacy import mask_email, mask_id

from .models import ApiKey, ServiceAttribute, ServiceRequest
from .services import create_key


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "contact", "active", "created_at", "last_used_at"]
    list_filter = ["active"]
    search_fields = ["name", "contact"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if not change:
            key, raw = create_key(obj.name, obj.contact, actor=request.user)
            obj.pk, obj.digest, obj.prefix = key.pk, key.digest, key.prefix
            messages.warning(request, f"API key for {obj.name} (shown once, store it now): {raw}")
            return
        super().save_model(request, obj, form, change)


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ["category", "code", "datatype", "required", "order", "description"]
    list_filter = ["datatype", "required"]
    search_fields = ["code", "description", "category__name", "category__code"]
    autocomplete_fields = ["category"]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ["case", "api_key", "token"]
    list_select_related = ["case", "api_key"]
    # The client's contact details are shown masked: the administrators' work never needs them in full.
    readonly_fields = fields = ("case", "api_key", "token", "attributes", "masked_email", "masked_device", "media_url")

    @admin.display(description=_("电子邮箱"))
    def masked_email(self, obj: ServiceRequest) -> str:
        return mask_email(obj.email)

    @admin.display(description=_("设备与账号"))
    def masked_device(self, obj: ServiceRequest) -> str:
        return " / ".join(mask_id(v) for v in (obj.device_id, obj.account_id) if v)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
