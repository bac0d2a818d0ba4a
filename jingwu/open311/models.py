from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jingwu.cases.models import Case, Category
from jingwu.lib.fields import SealedField


class ApiKey(models.Model):
    """A client application allowed to POST. Only the key's SHA-256 is stored; the admin shows it once."""

    name = models.CharField(_("客户端应用"), max_length=64, unique=True, help_text=_("记录为案件来源，例如“随手拍App”"))
    contact = models.CharField(_("联系人"), max_length=128, blank=True)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("前缀"), max_length=8, editable=False)
    active = models.BooleanField(_("有效"), default=True, help_text=_("取消勾选即吊销"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 API 密钥")
        verbose_name_plural = _("Open311 API 密钥")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Datatype(models.TextChoices):
    STRING = "string", "string"
    NUMBER = "number", "number"
    DATETIME = "datetime", "datetime"
    TEXT = "text", "text"
    SINGLE = "singlevaluelist", "singlevaluelist"
    MULTI = "multivaluelist", "multivaluelist"


class ServiceAttribute(models.Model):
    """An extra question asked when a category is reported through Open311 (service definition)."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="open311_attributes", verbose_name=_("类别")
    )
    code = models.SlugField(_("代码"), max_length=64)
    variable = models.BooleanField(_("需要回答"), default=True, help_text=_("否：仅为说明文字"))
    datatype = models.CharField(_("数据类型"), max_length=16, choices=Datatype.choices)
    required = models.BooleanField(_("必填"), default=False)
    description = models.CharField(_("问题"), max_length=300)
    datatype_description = models.CharField(_("格式说明"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=1)
    values = models.JSONField(
        _("选项"), default=list, blank=True, help_text=_('列表：[{"key": "big", "name": "大量"}, …]，仅用于单选/多选')
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Open311 附加问题")
        verbose_name_plural = _("Open311 附加问题")
        ordering = ["category", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="unique_attribute_code")]

    def __str__(self) -> str:
        return f"{self.category.code}.{self.code}"

    def value_keys(self) -> list[str]:
        return [str(v.get("key")) for v in self.values if isinstance(v, dict)]


class ServiceRequest(models.Model):
    """What an Open311 client sent with a case: its key, token, answers and (private) contact details."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="open311")
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT)
    token = models.CharField(max_length=32, unique=True)
    attributes = models.JSONField(default=dict, blank=True)
    email = SealedField(max_length=254, blank=True)
    device_id = SealedField(max_length=128, blank=True)
    account_id = SealedField(max_length=128, blank=True)
    media_url = models.URLField(max_length=1000, blank=True)

    class Meta:
        verbose_name = _("Open311 服务请求")
        verbose_name_plural = _("Open311 服务请求")

    def __str__(self) -> str:
        return f"{self.case} via {self.api_key.name}"
