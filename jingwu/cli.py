"""``jingwu``: one console script over the management commands.

``jingwu demo``, ``jingwu serve``, ``jingwu worker``, ``jingwu import-grids FILE``,
``jingwu create-admin``; any other Django management command works too (``jingwu migrate``).
"""

from __future__ import annotations

import os
import sys

COMMANDS = {
    "demo": ("demo", "load the demo town and a year of cases, print the accounts, serve on :8000"),
    "serve": ("serve", "serve with gunicorn (migrates and collects static files first: --no-migrate on nodes)"),
    "worker": ("worker", "run the background task worker and the scheduler (warnings, escalation, rollups)"),
    "import-grids": ("import_grids", "import regions and grids from a GeoJSON file"),
    "export-grids": ("export_grids", "export regions and grids as GeoJSON"),
    "create-admin": ("create_admin", "create an administrator: USERNAME --role system|security|audit --name NAME"),
    "workflow-diagram": ("workflow_diagram", "print the workflow table as a Mermaid diagram"),
    "vapid-keys": ("vapid_keys", "make a VAPID key pair for Web Push notifications"),
    "hj212": ("hj212", "receive HJ 212-2017 monitoring data over TCP: --bind HOST:PORT (default 0.0.0.0:6000)"),
    "mqtt": ("mqtt", "bridge MQTT readings and events in (MQTT_URL; MQTT 5 shared subscription)"),
    "simulate": ("simulate", "drive the demo's devices over HJ 212 and MQTT (exceedances, faults, a fire alarm)"),
    "read-report": ("read_report", "read a government work report's figures and tasks for review: FILE [--json]"),
    "rekey-registry": ("rekey_registry", "recompute the registry's search digests (after JINGWU_INDEX_KEY changed)"),
    "migrate": ("migrate", "create or update the database tables"),
    "open311-key": ("open311_key", "Open311 client keys: create NAME | list | revoke NAME"),
    "token": ("token", "API tokens: create USERNAME [--name N] | list [USERNAME] | revoke PREFIX"),
    "backup": ("backup", "back up the database and the photos into one file [FILE]"),
    "restore": ("restore", "restore the database and the photos from a backup FILE [--yes]"),
    "audit-verify": ("audit_verify", "check the audit trail against its seals (exits non-zero if altered)"),
    "audit-export": ("audit_export", "audit rows as JSON lines [--since DATE] [--until DATE]"),
}


def usage() -> str:
    lines = ["usage: jingwu COMMAND [options]   (jingwu COMMAND --help for its options)", "", "commands:"]
    lines += [f"  {name:<18} {text}" for name, (_, text) in COMMANDS.items()]
    lines += ["", "Settings come from the environment: DATABASE_URL (default SQLite in ./var), JINGWU_* (see docs/)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingwu.settings")
    from django.core.management import execute_from_command_line

    name = argv[0]
    command = COMMANDS[name][0] if name in COMMANDS else name.replace("-", "_")
    execute_from_command_line(["jingwu", command, *argv[1:]])


if __name__ == "__main__":
    main()
