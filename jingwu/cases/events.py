"""Delivery of workflow events: after commit, to every receiver on its own, with retries.

A receiver that raises is logged, and the task worker delivers the same event to that receiver again
(at once, then after 1, 5, 30 and 120 minutes). The action that caused the event is committed and its
caller has its answer: a slow or broken subscriber (a notification, a domain's ledger) cannot undo it.
Receivers must therefore be idempotent, and importable by dotted path so a worker can find them.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from .signals import case_changed, workflow_changed

log = logging.getLogger("jingwu.events")

SIGNALS: dict[str, Signal] = {"case_changed": case_changed, "workflow_changed": workflow_changed}
RETRY_DELAYS = (timedelta(0), timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))


@dataclass(frozen=True)
class Change:
    """One step of one workflow, as every receiver sees it."""

    workflow: str  # "case", or the name a domain registered ("alarm", "toy")
    kind: str  # the model, "app_label.model"
    object_id: str
    ref: str  # the object's readable reference (a case number)
    action: str
    outcome: str
    from_state: str
    to_state: str
    actor: str  # username ("sys:iot" for a system actor; "" for the public)
    actor_name: str
    role: str
    at: str  # ISO 8601
    version: int
    transition_id: int | None
    # The domain object behind a case (safety.hazard, 17), when a domain raised it.
    origin_kind: str = ""
    origin_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _path(receiver: Any) -> str | None:
    module, qualname = getattr(receiver, "__module__", None), getattr(receiver, "__qualname__", "")
    if not module or not qualname or "<" in qualname:
        return None  # a closure or lambda: no worker can import it
    return f"{module}.{qualname}"


def deliver(signal_name: str, sender: Any, change: Change, **legacy: Any) -> None:
    """Call every receiver now; schedule a retry for each that fails."""
    signal = SIGNALS[signal_name]
    for receiver, result in signal.send_robust(sender=sender, change=change, **legacy):
        if isinstance(result, Exception):
            path = _path(receiver)
            log.error(
                "event receiver %s failed on %s %s:%s %s",
                path or receiver,
                signal_name,
                change.workflow,
                change.ref,
                change.action,
                exc_info=(type(result), result, result.__traceback__),
            )
            if path is not None:
                _schedule(path, signal_name, sender, change, legacy, attempt=1)


def send_after_commit(signal_name: str, sender: Any, change: Change, **legacy: Any) -> None:
    transaction.on_commit(lambda: deliver(signal_name, sender, change, **legacy))


def _sender_label(sender: Any) -> str:
    meta = getattr(sender, "_meta", None)
    return meta.label if meta is not None else ""


def _schedule(path: str, signal_name: str, sender: Any, change: Change, legacy: dict[str, Any], attempt: int) -> None:
    delay = RETRY_DELAYS[attempt - 1]
    run_after = timezone.now() + delay if delay else None
    try:
        redeliver.using(run_after=run_after).enqueue(
            path, signal_name, _sender_label(sender), change.as_dict(), legacy, attempt
        )
    except Exception:  # the queue itself is down: the event is logged above, the action stands
        log.exception("could not queue a retry of %s for %s", path, change.ref)


@task()
def redeliver(
    path: str, signal_name: str, sender_label: str, change: dict[str, Any], legacy: dict[str, Any], attempt: int
) -> str:
    """The task worker's side: the same event, to the one receiver that failed."""
    from django.apps import apps

    receiver = import_string(path)
    sender = apps.get_model(sender_label) if sender_label else None
    event = Change(**change)
    try:
        receiver(signal=SIGNALS[signal_name], sender=sender, change=event, **legacy)
    except Exception:
        if attempt < len(RETRY_DELAYS):
            log.warning("event receiver %s failed again (attempt %d) on %s", path, attempt + 1, event.ref)
            _schedule(path, signal_name, sender, event, legacy, attempt + 1)
            return "retrying"
        log.exception("event receiver %s gave up on %s after %d attempts", path, event.ref, attempt + 1)
        return "gave up"
    return "delivered"
