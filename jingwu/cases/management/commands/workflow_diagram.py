from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jingwu.cases import engine, services  # noqa: F401  (services registers the case workflow)
from jingwu.cases.workflow import markdown, mermaid


class Command(BaseCommand):
    help = (
        "Print the case workflow as a Mermaid state diagram, or with --markdown as docs/workflow.md's table; "
        "--workflow NAME prints another registered workflow's table, --all every one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--markdown", action="store_true")
        parser.add_argument("--workflow", help="a registered workflow's name (see GET /api/workflows)")
        parser.add_argument("--all", action="store_true", help="every registered workflow, as Markdown")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["all"]:
            self.stdout.write("\n".join(w.markdown() for w in engine.all_workflows()))
        elif opts["workflow"] and opts["workflow"] != "case":
            self.stdout.write(engine.get(opts["workflow"]).markdown())
        else:
            self.stdout.write(markdown() if opts["markdown"] else mermaid())
