"""Delivering notifications on their channels, by the task worker: each delivery once, a failure retried."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from jingwu.lib import clock

from .models import Delivery

log = logging.getLogger("jingwu.notify")
RETRIES = (timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1))


@task()
def deliver(delivery_id: int) -> str:
    from .channels import CHANNELS, Skip

    with transaction.atomic():
        rows = Delivery.objects.select_for_update(of=("self",)).select_related(
            "notification__user", "notification__case"
        )
        d = rows.filter(pk=delivery_id).first()
        if d is None or d.status != Delivery.Status.PENDING:
            return d.status if d else "gone"  # sent already: a repeated task sends nothing twice
        d.attempts += 1
        try:
            CHANNELS[d.channel].send(d)
        except Skip as why:
            d.status, d.error = Delivery.Status.SENT, f"skipped: {why}"[:300]
        except Exception as exc:
            log.warning("notification %s on %s failed: %s", d.notification_id, d.channel, exc)
            d.error = str(exc)[:300]
            if d.attempts > len(RETRIES):
                d.status = Delivery.Status.FAILED
            else:
                # Queued in the same transaction (the queue is this database): saved and retried, or neither.
                deliver.using(run_after=timezone.now() + RETRIES[d.attempts - 1]).enqueue(delivery_id)
        else:
            d.status, d.sent_at, d.error = Delivery.Status.SENT, clock.now(), ""
        d.save()
    return str(d.status)
