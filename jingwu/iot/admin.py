import secrets
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jingwu.lib.errors import ServiceError

from .models import Alarm, Device, Rule, Screen
from .services import FIELDS, check, save_device


class DeviceForm(forms.ModelForm):
    """The service's own checks, as form errors (one identifier at least, a PW for HJ 212, both coordinates)."""

    class Meta:
        model = Device
        fields = ["name", "type", "place", "address", "lon", "lat", "mn", "client_id", "pw", "interval", "state"]
        help_texts = {
            "mn": gettext_lazy("HJ 212 站点（空气、VOCs、水质）填写；需同时填写访问密码"),
            "client_id": gettext_lazy("MQTT 设备填写；设备发布到 jingwu/v1/<客户端标识>/data 与 /event"),
            "lon": gettext_lazy("WGS-84 经度；不填则用所属单位的位置"),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        probe = Device(**{k: v for k, v in data.items() if k in self.Meta.fields})
        probe.pk = self.instance.pk
        probe.mn = probe.mn or None
        probe.client_id = probe.client_id or None
        try:
            check(probe)
        except ServiceError as exc:
            raise ValidationError(exc.message) from exc
        return data


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    """Devices are saved through ``services.save_device``: the grid follows the location, identifiers are
    checked, the change is audited, and a new device's HTTP token is shown once."""

    list_display = ["name", "type", "place", "mn", "client_id", "state", "last_seen"]
    list_filter = ["type", "state"]
    search_fields = ["name", "mn", "client_id"]
    autocomplete_fields = ["place"]
    form = DeviceForm

    def has_delete_permission(self, request: HttpRequest, obj: Device | None = None) -> bool:
        # A device with history is disabled, not deleted (its readings and alarms are the record).
        if obj is not None and (obj.last_seen is not None or obj.alarms.exists()):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Device, form: Any, change: bool) -> None:
        data = {f: form.cleaned_data.get(f) for f in FIELDS if f in form.cleaned_data}
        data["place"] = form.cleaned_data.get("place")
        saved, token = save_device(data, actor=request.user, device=Device.objects.get(pk=obj.pk) if change else None)
        obj.pk = saved.pk
        if token:
            messages.warning(
                request,
                _(
                    "设备的 HTTP 令牌（只显示这一次，请交给设备或网关）：%(t)s；"
                    "网关以请求头 Authorization: Device <令牌> 调用 /api/iot/ingest"
                )
                % {"t": token},
            )


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    """告警规则. Receivers read them again within 30 seconds of a change."""

    list_display = ["name", "kind", "device_type", "code", "event", "above", "below", "duration", "category", "active"]
    list_filter = ["kind", "device_type", "severity", "active"]
    search_fields = ["name", "code"]


@admin.register(Screen)
class ScreenAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "address", "active"]
    list_filter = ["active"]
    filter_horizontal = ["stations"]
    readonly_fields = ["address"]
    fields = ["name", "region", "stations", "active", "address"]

    @admin.display(description=gettext_lazy("屏幕地址"))
    def address(self, obj: Screen) -> str:
        return format_html("<code>/led/{}/</code>", obj.token) if obj.token else "—"

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None:
            field.help_text = _("不选则显示本村/社区内的空气站")
        return field

    def save_model(self, request: HttpRequest, obj: Screen, form: Any, change: bool) -> None:
        if not obj.token:
            obj.token = secrets.token_urlsafe(24)
        super().save_model(request, obj, form, change)


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    """Read here: alarms are acknowledged and cleared on the monitoring pages and the API (recorded steps)."""

    list_display = ["id", "device", "rule", "status", "raised_at", "count", "case"]
    list_filter = ["status", "rule"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
