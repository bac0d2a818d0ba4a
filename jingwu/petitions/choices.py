from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """How a petition came in (信访形式)."""

    VISIT = "visit", _("走访")
    LETTER = "letter", _("来信")
    PHONE = "phone", _("来电")
    ONLINE = "online", _("网上信访")
    TRANSFERRED = "transferred", _("上级转办")


class Decision(models.TextChoices):
    ACCEPTED = "accepted", _("受理")
    REJECTED = "rejected", _("不予受理")


class ReviewResult(models.TextChoices):
    UPHELD = "upheld", _("维持原处理意见")
    OVERTURNED = "overturned", _("撤销并重新办理")


class Stage(models.TextChoices):
    """Where a petition stands, derived from its decision, its reply and its reviews (never stored)."""

    TO_DECIDE = "to_decide", _("待受理")
    REJECTED = "rejected", _("不予受理")
    HANDLING = "handling", _("办理中")
    REPLIED = "replied", _("已答复")
    REVIEW = "review", _("复查中")
    REREVIEW = "rereview", _("复核中")
    FINAL = "final", _("已终结")
