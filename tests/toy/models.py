"""A toy domain, built the way the next modules are (docs/architecture.md, "Plugging in a domain"): its own
model with a state and a version, its own three-step workflow, a system actor, and a case it raises."""

from __future__ import annotations

from typing import Any

from django.db import models

from jingwu.org.choices import SEE_ALL
from jingwu.org.services import roles_of


class BeaconState(models.TextChoices):
    RAISED = "raised", "告警"
    ACKNOWLEDGED = "acknowledged", "已确认"
    CLEARED = "cleared", "已解除"


class BeaconAction(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", "确认"
    CLEAR = "clear", "解除"
    REOPEN = "reopen", "复发"


class BeaconQuerySet(models.QuerySet["Beacon"]):
    def visible_to(self, user: Any) -> BeaconQuerySet:
        return self if any(r in SEE_ALL for r in roles_of(user)) else self.none()


class Beacon(models.Model):
    name = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=BeaconState.choices, default=BeaconState.RAISED)
    version = models.PositiveIntegerField(default=1)
    due_at = models.DateTimeField(null=True, blank=True)
    raised_by = models.ForeignKey("auth.User", null=True, on_delete=models.PROTECT)
    # What the domain learns from the case's events (the case is found by its origin link, not stored here).
    case_state = models.CharField(max_length=16, blank=True)

    objects = BeaconQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name
