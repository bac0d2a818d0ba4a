"""Names people read for the audit trail's codes: actions ("case.dispatch" is 派遣) and roles."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jingwu.cases.choices import Action
from jingwu.org.choices import Role

# Actions outside the workflow table; workflow steps ("case.dispatch") take the step's own name.
LABELS = {
    "case.report": gettext_noop("上报案件"),
    "case.note": gettext_noop("添加备注"),
    "case.add_photos": gettext_noop("补充照片"),
    "case.reveal_reporter": gettext_noop("查看上报人联系方式"),
    "case.export": gettext_noop("导出案件"),
    "case.batch": gettext_noop("批量操作"),
    "auth.login": gettext_noop("登录"),
    "auth.logout": gettext_noop("退出"),
    "auth.login_failed": gettext_noop("登录失败"),
    "auth.otp_failed": gettext_noop("动态口令错误"),
    "auth.otp_enrolled": gettext_noop("启用动态口令"),
    "auth.otp_removed": gettext_noop("停用动态口令"),
    "user.password_change": gettext_noop("修改密码"),
    "admin.add": gettext_noop("后台新增"),
    "admin.change": gettext_noop("后台修改"),
    "admin.delete": gettext_noop("后台删除"),
    "admin.create_admin": gettext_noop("创建管理员"),
    "token.issue": gettext_noop("签发令牌"),
    "token.revoke": gettext_noop("吊销令牌"),
    "open311.key_create": gettext_noop("创建Open311密钥"),
    "open311.key_revoke": gettext_noop("吊销Open311密钥"),
    "privacy.rotate_keys": gettext_noop("轮换数据密钥"),
    "privacy.rekey_registry": gettext_noop("重算基础信息检索索引"),
    "registry.view": gettext_noop("查看人员信息"),
    "registry.reveal": gettext_noop("查看人员完整信息"),
    "registry.search": gettext_noop("查询人员"),
    "registry.proposals_view": gettext_noop("查看信息变更申请"),
    "registry.export": gettext_noop("导出人员信息"),
    "registry.import": gettext_noop("导入基础信息"),
    "registry.visit": gettext_noop("登记走访"),
    "registry.proposal": gettext_noop("审核信息变更申请"),
    "registry.phone_list": gettext_noop("网格员打开走访名单"),
    "privacy.erase": gettext_noop("到期删除个人信息"),
    "import_grids": gettext_noop("导入网格"),
    "audit.export": gettext_noop("导出审计记录"),
}


def action_label(code: str) -> str:
    if code in LABELS:
        return _(LABELS[code])
    workflow, _dot, step = code.partition(".")
    if workflow == "case" and step in Action.values:
        return str(Action(step).label)
    return code


def role_label(code: str) -> str:
    return str(Role(code).label) if code in Role.values else code


# The kinds of object the trail names; an admin change names its model ("org.person"), shown by its own name.
TYPE_LABELS = {
    "case": gettext_noop("案件"),
    "user": gettext_noop("账号"),
    "geo": gettext_noop("网格数据"),
    "system": gettext_noop("系统"),
    "audit": gettext_noop("审计记录"),
    "open311_key": gettext_noop("Open311密钥"),
    "admin": gettext_noop("后台"),
}


def type_label(code: str) -> str:
    if code in TYPE_LABELS:
        return _(TYPE_LABELS[code])
    if "." in code:
        from django.apps import apps

        try:
            return str(apps.get_model(code)._meta.verbose_name)
        except (LookupError, ValueError):
            return code
    return code


def people(user_ids: set[int]) -> dict[int, str]:
    """ "姓名（账号）" for each user id: the trail stores account names, people search and read real names."""
    from django.contrib.auth import get_user_model

    rows = get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username", "person__name")
    return {pk: f"{name}（{username}）" if name else username for pk, username, name in rows}
