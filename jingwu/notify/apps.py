from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "jingwu.notify"
    verbose_name = _("消息通知")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from jingwu.cases.signals import case_changed

        from . import receivers

        case_changed.connect(receivers.on_case_changed, dispatch_uid="jingwu.notify.on_case_changed")
        user_logged_out.connect(receivers.forget_device, dispatch_uid="jingwu.notify.forget_device")
