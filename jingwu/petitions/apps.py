from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "jingwu.petitions"
    verbose_name = _("信访与代表建议")

    def ready(self) -> None:
        from jingwu.cases import origins

        from . import services

        # A petition's handling limit counts from its acceptance, its reply is checked by the petition clerk,
        # and its row follows its case. Who sees a petition is the case rule's (``Case.objects.visible_to``),
        # so it adds nobody here.
        origins.register(
            origins.Origin(
                kind=services.PETITION_KIND,
                deadline=services.petition_deadline,
                follow=services.follow_petition,
                may_check=services.clerk_checks,
                link=services.petition_link,
            )
        )
        # A suggestion is seen as other cases are, and by its own deputy.
        origins.register(
            origins.Origin(
                kind=services.SUGGESTION_KIND,
                deadline=services.suggestion_deadline,
                follow=services.follow_suggestion,
                may_check=services.clerk_checks,
                visible=services.deputy_sees,
                link=services.suggestion_link,
            )
        )
