from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

ROLES = {"system": "admin", "security": "security_admin", "audit": "auditor"}


class Command(BaseCommand):
    help = (
        "Create one of the three administrators (三员分立): --role system | security | audit. Each is one named "
        "person's account; the password is asked for (or read from standard input when it is not a terminal) "
        "and must be changed at the first sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", choices=sorted(ROLES), required=True)
        parser.add_argument("--name", required=True, help="the person's real name (no shared accounts)")
        parser.add_argument("--phone", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.password_validation import validate_password
        from django.core.exceptions import ValidationError
        from django.db import transaction

        from jingwu.audit import services as audit
        from jingwu.org.models import Person

        User = get_user_model()
        username, name = opts["username"].strip(), opts["name"].strip()
        if not username or not name:
            raise CommandError("a username and the person's name are required")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"user {username!r} exists already")
        if sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("the two passwords differ")
        else:
            password = sys.stdin.readline().rstrip("\n")
        user = User(username=username)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        role = ROLES[opts["role"]]
        with transaction.atomic():
            user.set_password(password)
            user.save()
            Person.objects.create(user=user, name=name, role=role, phone=opts["phone"], must_change_password=True)
            audit.record("admin.create_admin", "user", user.pk, data={"username": username, "role": role})
        self.stdout.write(f"{username}: {role} ({name}); the password must be changed at the first sign-in")
