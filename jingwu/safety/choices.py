from django.db import models
from django.utils.translation import gettext_lazy as _


class Industry(models.TextChoices):
    """GB/T 4754-2017 门类 (sections), the level a town's registry uses."""

    A = "A", _("农、林、牧、渔业")
    B = "B", _("采矿业")
    C = "C", _("制造业")
    D = "D", _("电力、热力、燃气及水生产和供应业")
    E = "E", _("建筑业")
    F = "F", _("批发和零售业")
    G = "G", _("交通运输、仓储和邮政业")
    H = "H", _("住宿和餐饮业")
    I = "I", _("信息传输、软件和信息技术服务业")  # noqa: E741 - the standard's letter
    J = "J", _("金融业")
    K = "K", _("房地产业")
    L = "L", _("租赁和商务服务业")
    M = "M", _("科学研究和技术服务业")
    N = "N", _("水利、环境和公共设施管理业")
    O = "O", _("居民服务、修理和其他服务业")  # noqa: E741
    P = "P", _("教育")
    Q = "Q", _("卫生和社会工作")
    R = "R", _("文化、体育和娱乐业")
    S = "S", _("公共管理、社会保障和社会组织")
    T = "T", _("国际组织")


class RiskLevel(models.TextChoices):
    RED = "red", _("红（重大风险）")
    ORANGE = "orange", _("橙（较大风险）")
    YELLOW = "yellow", _("黄（一般风险）")
    BLUE = "blue", _("蓝（低风险）")


class Tag(models.TextChoices):
    FIRE_KEY = "fire_key", _("重点消防单位")
    VOC = "voc", _("涉VOCs企业")
    SEVEN_SMALL = "seven_small", _("七小行业")
    SITE = "site", _("建筑工地")
    HAZCHEM = "hazchem", _("危化品")
    GAS = "gas", _("燃气")
    CROWDED = "crowded", _("人员密集场所")


class Severity(models.TextChoices):
    """隐患等级 (安全生产事故隐患排查治理暂行规定, 国家安监总局令第16号)."""

    GENERAL = "general", _("一般隐患")
    MAJOR = "major", _("重大隐患")


class HazardType(models.TextChoices):
    FIRE = "fire", _("消防安全")
    ELECTRIC = "electric", _("用电安全")
    HAZCHEM = "hazchem", _("危险化学品")
    GAS = "gas", _("燃气安全")
    EQUIPMENT = "equipment", _("特种设备")
    WORKPLACE = "workplace", _("作业场所")
    EXIT = "exit", _("安全出口与疏散")
    MANAGEMENT = "management", _("安全管理制度")
    ENVIRONMENT = "environment", _("环保设施")
    OTHER = "other", _("其他")


class Result(models.TextChoices):
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")
    NA = "na", _("不适用")


class Every(models.TextChoices):
    """How often a plan inspects each place: one task per place per period."""

    WEEK = "week", _("每周")
    MONTH = "month", _("每月")
    QUARTER = "quarter", _("每季度")
    HALF = "half", _("每半年")
    YEAR = "year", _("每年")


class TaskState(models.TextChoices):
    TODO = "todo", _("待检查")
    DONE = "done", _("已检查")
    CANCELLED = "cancelled", _("已取消")
