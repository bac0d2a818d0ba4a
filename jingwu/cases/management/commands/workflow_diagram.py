from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jingwu.cases.workflow import markdown, mermaid


class Command(BaseCommand):
    help = "Print the workflow table as a Mermaid state diagram, or with --markdown as docs/workflow.md's table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--markdown", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(markdown() if opts["markdown"] else mermaid())
