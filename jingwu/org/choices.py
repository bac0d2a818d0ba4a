from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员")
    OPERATOR = "operator", _("受理员")
    SHIFT_LEAD = "shift_lead", _("值班长")
    DISPATCHER = "dispatcher", _("派遣员")
    HANDLER = "handler", _("部门处置人员")
    LEADER = "leader", _("领导")
    ADMIN = "admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDITOR = "auditor", _("审计管理员")
    INSPECTOR = "inspector", _("第三方检查员")
    RIVER_CHIEF = "river_chief", _("河长")
    PETITION_CLERK = "petition_clerk", _("信访专员")
    DEPUTY = "deputy", _("人大代表")
    SUPERVISOR = "supervisor", _("督查员")
    PUBLIC = "public", _("公众")
    SYSTEM = "system", _("系统")


class DepartmentKind(models.TextChoices):
    COMMITTEE = "committee", _("委")
    OFFICE = "office", _("办")
    CENTER = "center", _("中心")
    ENFORCEMENT = "enforcement", _("综合执法队")
    EXTERNAL = "external", _("驻镇/外部单位")
    VILLAGE = "village", _("村居")


# Roles that see every case (the command centre and leadership).
SEE_ALL = frozenset(
    {Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER, Role.LEADER, Role.AUDITOR, Role.ADMIN, Role.SUPERVISOR}
)
# Roles whose holders see, besides what any other role of theirs shows, the cases they reported themselves.
REPORTERS = frozenset({Role.PUBLIC, Role.INSPECTOR, Role.RIVER_CHIEF, Role.DEPUTY, Role.PETITION_CLERK})
# 三员分立 (GB/T 22239-2019 level 3): the system, security and audit administrators. No person holds two.
ADMIN_ROLES = frozenset({Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})
