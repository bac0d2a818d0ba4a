from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "jingwu.org"
    verbose_name = _("组织与人员")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from .models import ApiToken, Person, PersonRole
        from .services import token_users

        def changed(**kwargs: object) -> None:
            token_users.invalidate()

        for model in (ApiToken, Person, PersonRole, get_user_model()):
            name = model.__name__
            post_save.connect(changed, sender=model, dispatch_uid=f"tokens-{name}-save", weak=False)
            post_delete.connect(changed, sender=model, dispatch_uid=f"tokens-{name}-delete", weak=False)
