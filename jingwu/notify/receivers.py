"""From the loop's events to notifications. Idempotent: an event redelivered makes nothing twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from jingwu.cases.models import Case, Transition
from jingwu.lib import clock
from jingwu.org.choices import Role

from . import rules
from .models import Delivery, Notification

_quiet = threading.local()


@contextmanager
def quiet() -> Iterator[None]:
    """No notifications for what happens inside: loading a year of history (the demo, an import) is not news."""
    _quiet.on = True
    try:
        yield
    finally:
        _quiet.on = False


def on_case_changed(signal: Any = None, sender: Any = None, change: Any = None, **kwargs: Any) -> None:
    if change is None or getattr(_quiet, "on", False) or not rules.may_tell(change):
        return
    case = Case.objects.select_related("handler").filter(pk=change.object_id).first()
    if case is None:
        return
    # The step's own record where it says more than the event: a warning, the supporting departments, a name.
    record = (
        Transition.objects.filter(pk=change.transition_id).first()
        if change.transition_id and change.action in ("note", "dispatch", "assign")
        else None
    )
    from .channels import available

    for event, people in rules.events_for(change, case, record):
        # Nobody is told of their own action. A grid worker opens the task on the phone, others the case page.
        told = [p for p in people if not (change.actor and p.user.get_username() == change.actor)]
        key = f"{change.transition_id}:{event}"
        if not set(rules.channels_for(event)) & available():
            # In-app only: one INSERT for everyone, a repeated event skipped by the unique key.
            Notification.objects.bulk_create(
                [_row(p.user, event, key, case, _url(p, case)) for p in told], ignore_conflicts=True
            )
            continue
        for person in told:
            notify(person.user, event, key, case, _url(person, case))


def _url(person: Any, case: Case) -> str:
    return f"/phone/#task/{case.number}" if person.role == Role.GRID_WORKER else f"/cases/{case.number}/"


def _row(user: Any, event: str, key: str, case: Case | None, url: str, body: str = "") -> Notification:
    title = rules.EVENTS[event][0]
    with override("zh-hans"):  # stored as sent; the pages show the title in the reader's language
        text = _(title)
    return Notification(
        user=user,
        key=key[:64],
        event=event,
        title=text,
        body=f"{case.number} · {case.description[:80]}" if case is not None else body[:300],
        url=url or (f"/cases/{case.number}/" if case is not None else ""),
        case=case,
        created_at=clock.now(),
    )


def notify(
    user: Any, event: str, key: str, case: Case | None = None, url: str = "", body: str = ""
) -> Notification | None:
    """One notification for this person and event, delivered on the event's channels; None if it exists. ``body``
    is the text of an event about no case (a supervision task)."""
    from .channels import available
    from .jobs import deliver

    try:
        # The row, its deliveries and their tasks in one transaction (the task queue is this database): a
        # crash leaves all or none, and a retried event finds the row and stops.
        with transaction.atomic():
            n = _row(user, event, key, case, url, body)
            n.save(force_insert=True)
            for channel in rules.channels_for(event):
                if channel != "inapp" and channel in available():
                    deliver.enqueue(Delivery.objects.create(notification=n, channel=channel).pk)
    except IntegrityError:
        return None  # told already
    return n


def forget_device(sender: Any = None, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    """Signed out: this person's push subscriptions go (the device may be handed to someone else, who
    subscribes afresh)."""
    if user is not None:
        from .models import PushSubscription

        PushSubscription.objects.filter(user=user).delete()
