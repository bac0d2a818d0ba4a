from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jingwu.geo.models import Grid

from .choices import DepartmentKind, Role


class Department(models.Model):
    """A responsibility unit (责任单位) that handles dispatched cases."""

    code = models.CharField(_("编码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=64, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=DepartmentKind.choices)
    phone = models.CharField(_("值班电话"), max_length=32, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A user's place in the organisation: a primary role (more in ``PersonRole``), a department for
    handlers, grids for grid workers."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person", verbose_name=_("账号")
    )
    name = models.CharField(_("姓名"), max_length=32)
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, db_index=True)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
        verbose_name=_("所属单位"),
    )
    grids = models.ManyToManyField(
        Grid, through="GridAssignment", related_name="workers", blank=True, verbose_name=_("负责网格")
    )
    # An initial or reset password: the person must choose their own before anything else (等保 2.0).
    must_change_password = models.BooleanField(_("须修改初始密码"), default=False)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class PersonRole(models.Model):
    """A further role a person holds besides ``Person.role`` (a village cadre who is also 河长; a department
    head who is also 包案领导). The person acts in whichever of their roles a step allows."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="extra_roles", verbose_name=_("人员"))
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, db_index=True)

    class Meta:
        verbose_name = _("兼任角色")
        verbose_name_plural = _("兼任角色")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["person", "role"], name="unique_person_role")]

    def __str__(self) -> str:
        return f"{self.person.name}: {self.get_role_display()}"


class GridAssignment(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, verbose_name=_("网格员"))
    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, verbose_name=_("网格"))

    class Meta:
        verbose_name = _("网格分配")
        verbose_name_plural = _("网格分配")
        constraints = [models.UniqueConstraint(fields=["person", "grid"], name="unique_grid_assignment")]

    def __str__(self) -> str:
        return f"{self.person.name} → {self.grid.code}"


class ApiToken(models.Model):
    """A bearer token for phones and API clients. Only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=64, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(_("已吊销"), default=False)

    class Meta:
        verbose_name = _("API令牌")
        verbose_name_plural = _("API令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
