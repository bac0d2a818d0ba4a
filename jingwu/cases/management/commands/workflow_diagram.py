from typing import Any

from django.core.management.base import BaseCommand

from jingwu.cases.workflow import mermaid


class Command(BaseCommand):
    help = "Print the workflow table as a Mermaid state diagram (docs/workflow.md is made from it)."

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(mermaid())
