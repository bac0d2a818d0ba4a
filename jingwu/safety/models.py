"""Enterprises and places (生产经营单位/场所): the registry that inspections, hazards and devices hang on."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jingwu.geo.models import Grid, Region
from jingwu.lib.fields import SealedField

from .choices import Industry, RiskLevel


class Enterprise(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    # GB 32100-2015; individual shops (个体工商户 without one, 七小) may have none.
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True)
    industry = models.CharField(_("行业门类"), max_length=1, choices=Industry.choices)
    # The report's own classes, as the town names them (化工, 家具制造, 餐饮 …).
    industry_class = models.CharField(_("行业类别"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("网格"))
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("村/社区"))
    # Personal data, encrypted at rest; shown masked except to those whose work needs it.
    legal_rep = SealedField(_("法定代表人"), max_length=32, blank=True)
    contact_name = SealedField(_("安全联系人"), max_length=32, blank=True)
    contact_phone = SealedField(_("联系电话"), max_length=32, blank=True)
    risk = models.CharField(_("风险等级"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.BLUE)
    tags = models.JSONField(_("标签"), default=list, blank=True)
    active = models.BooleanField(_("在营"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("登记时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("生产经营单位")
        verbose_name_plural = _("生产经营单位")
        ordering = ["id"]
        indexes = [models.Index(fields=["grid", "risk"]), models.Index(fields=["industry", "risk"])]

    def __str__(self) -> str:
        return self.name
