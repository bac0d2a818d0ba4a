from django.apps import AppConfig


class ToyConfig(AppConfig):
    name = "tests.toy"
    label = "toy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jingwu.cases.signals import case_changed, workflow_changed

        from . import domain

        case_changed.connect(domain.follow_case, dispatch_uid="toy-follow-case")
        workflow_changed.connect(domain.on_beacon_step, dispatch_uid="toy-beacon-step")
