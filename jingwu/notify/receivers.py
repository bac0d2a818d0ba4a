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
    if change is None or getattr(_quiet, "on", False):
        return
    case = Case.objects.select_related("handler").filter(pk=change.object_id).first()
    if case is None:
        return
    record = Transition.objects.filter(pk=change.transition_id).first() if change.transition_id else None
    for event, people in rules.events_for(change, case, record):
        for person in people:
            if change.actor and person.user.get_username() == change.actor:
                continue  # nobody is told of their own action
            # A grid worker opens the task on the phone; everyone else the case page.
            url = f"/phone/#task/{case.number}" if person.role == Role.GRID_WORKER else f"/cases/{case.number}/"
            notify(person.user, event, f"{change.transition_id}:{event}", case, url)


def _enqueue(pk: int) -> Any:
    from .jobs import deliver

    return lambda: deliver.enqueue(pk)


def notify(user: Any, event: str, key: str, case: Case | None = None, url: str = "") -> Notification | None:
    """One notification for this person and event, delivered on the event's channels; None if it exists."""
    from .channels import available

    title, _channels = rules.EVENTS[event]
    with override("zh-hans"):  # stored as written for the person; the pages show them as stored
        text = _(title)
        body = f"{case.number} · {case.description[:80]}" if case is not None else ""
    try:
        with transaction.atomic():
            n = Notification.objects.create(
                user=user,
                key=key[:64],
                event=event,
                title=text,
                body=body,
                url=url or (f"/cases/{case.number}/" if case is not None else ""),
                case=case,
                created_at=clock.now(),
            )
    except IntegrityError:
        return None  # told already
    for channel in rules.channels_for(event):
        if channel == "inapp" or channel not in available():
            continue
        d = Delivery.objects.create(notification=n, channel=channel)
        transaction.on_commit(_enqueue(d.pk))
    return n
