from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class HouseUse(models.TextChoices):
    HOME = "home", _("住宅")
    SHOP = "shop", _("商业")
    MIXED = "mixed", _("商住混合")
    FACTORY = "factory", _("工业/仓储")
    PUBLIC = "public", _("公共服务")
    OTHER = "other", _("其他")


class Ownership(models.TextChoices):
    PRIVATE = "private", _("个人产权")
    COLLECTIVE = "collective", _("集体产权")
    PUBLIC = "public", _("公房")
    UNIT = "unit", _("单位产权")
    OTHER = "other", _("其他")


class PersonKind(models.TextChoices):
    REGISTERED = "registered", _("户籍人口")
    FLOATING = "floating", _("流动人口")
    OVERSEAS = "overseas", _("境外人员")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    OTHER = "other", _("其他")


class Left(models.TextChoices):
    """Why a person is no longer on the registry: kept as a reason, the record itself stays (history)."""

    MOVED_AWAY = "moved_away", _("迁出辖区")
    DIED = "died", _("死亡")
    DUPLICATE = "duplicate", _("重复登记")


class Scheme(models.TextChoices):
    PENSION = "pension", _("养老保险")
    MEDICAL = "medical", _("医疗保险")
    JOB = "job", _("新增就业")


class ProposalKind(models.TextChoices):
    ADD = "add", _("新增人员")
    EDIT = "edit", _("更正信息")
    MOVE = "move", _("人员迁移")


class ProposalState(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已退回")


class DisabilityKind(models.TextChoices):
    """GB/T 26341-2010 残疾人残疾分类和分级: the seven kinds; grades 一级 (most severe) to 四级."""

    SIGHT = "sight", _("视力残疾")
    HEARING = "hearing", _("听力残疾")
    SPEECH = "speech", _("言语残疾")
    LIMB = "limb", _("肢体残疾")
    INTELLECT = "intellect", _("智力残疾")
    MENTAL = "mental", _("精神残疾")
    MULTIPLE = "multiple", _("多重残疾")
