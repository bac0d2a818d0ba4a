from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "API tokens: create USERNAME [--name N] | list [USERNAME] | revoke PREFIX"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("verb", choices=["create", "list", "revoke"])
        parser.add_argument("subject", nargs="?", help="a username (create, list) or a token prefix (revoke)")
        parser.add_argument("--name", default="cli", help="what the token is for")

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.contrib.auth import get_user_model

        from jingwu.audit import services as audit
        from jingwu.org.models import ApiToken
        from jingwu.org.services import issue_token

        verb, subject = opts["verb"], opts["subject"]
        if verb == "list":
            qs = ApiToken.objects.select_related("user").order_by("user__username", "id")
            if subject:
                qs = qs.filter(user__username=subject)
            for t in qs:
                state = "revoked" if t.revoked else "active"
                self.stdout.write(f"{t.prefix}…  {state:<8} {t.user.get_username():<16} {t.name}")
            return
        if not subject:
            raise CommandError(f"token {verb} needs a {'username' if verb == 'create' else 'token prefix'}")
        if verb == "create":
            user = get_user_model().objects.filter(username=subject, is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {subject!r}")
            self.stdout.write(issue_token(user, opts["name"]))
            self.stderr.write("the token is shown once: store it now")
            return
        tokens = list(ApiToken.objects.filter(prefix=subject[:8], revoked=False))
        if len(tokens) != 1:
            raise CommandError(f"{len(tokens)} active tokens start with {subject!r}; give a longer prefix")
        ApiToken.objects.filter(pk=tokens[0].pk).update(revoked=True)
        audit.record("token.revoke", "user", tokens[0].user_id, data={"prefix": tokens[0].prefix})
        self.stdout.write(f"revoked {tokens[0].prefix}…")
