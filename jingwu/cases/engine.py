"""The workflow layer every domain uses: a table of steps, hooks, scopes and stage limits for any model
with a state and a version, and the one ``perform()`` that takes a step.

A case's loop is the first workflow (``cases.workflow.CASE``); an alarm's 告警→确认→解除, a supervision
task's 下达→反馈→督办→办结 or a suggestion's 答复→评价 are others. Whatever the model, a step runs the same
way: one transaction, a row lock, the version check, the table, the actor's role and scope, the hook, one
transition row, one audit row, and the event after commit (``cases.events``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.db.models import Max
from django.utils.translation import gettext

from jingwu.audit import services as audit
from jingwu.lib import clock
from jingwu.lib import text as textlib
from jingwu.lib.errors import Conflict, Forbidden, Invalid, InvalidState, NotFound
from jingwu.lib.worktime import Limit
from jingwu.org.actors import Acting, resolve
from jingwu.org.choices import Role

from .events import Change, send_after_commit
from .models import ObjectTransition


@dataclass(frozen=True)
class Step:
    """(one of ``sources``, ``action``[, ``outcome``]) → ``target``, for ``roles`` within ``scope``."""

    action: str
    sources: frozenset[str]
    target: str  # "" keeps the state (a request, an escalation)
    roles: frozenset[str]
    outcome: str = ""
    needs_reason: bool = False
    needs_photo: bool = False
    # Which of the allowed roles' holders: a name the workflow's ``scopes`` maps to a check.
    scope: str = ""
    counts_as: str = ""

    def target_from(self, state: str) -> str:
        return self.target or state


@dataclass
class StepInput:
    """What every step may carry. Workflows with more (a department, a category) subclass it."""

    outcome: str = ""
    note: str = ""
    reason: str = ""
    public_note: str = ""
    photos: Sequence[Any] = ()
    client_key: str | None = None


# hook(obj, data, now, acting, role, record): adjust the object for its action before the state changes.
Hook = Callable[[Any, Any, datetime, Acting, str, Any], None]
# scope(obj, acting): raise Forbidden when this actor is not the one the step is for.
Scope = Callable[[Any, Acting], None]


def states(*values: Any) -> frozenset[str]:
    return frozenset(str(v) for v in values)


@dataclass
class Workflow:
    """A model's life as data. Subclass to change how rows are locked, written or checked."""

    name: str
    label: str
    model: type[models.Model]
    states: type[models.TextChoices]
    actions: type[models.TextChoices]
    steps: tuple[Step, ...]
    open_states: frozenset[str]
    initial: str = ""
    hooks: Mapping[str, Hook] = field(default_factory=dict)
    scopes: Mapping[str, Scope] = field(default_factory=dict)
    # Stage limits: how long an object may stay in a state before it is late.
    limits: Mapping[str, Limit] = field(default_factory=dict)
    outcomes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    state_field: str = "status"
    # How the API finds an object by the id in its URL.
    lookup_field: str = "pk"
    # Actions that are not steps of the table (a remark, the first report).
    not_steps: frozenset[str] = frozenset()
    # Who raised the object (a user id): a system actor acts only on what it raised unless it is not own_only.
    raised_by: Callable[[Any], int | None] = lambda obj: None

    transition_model: ClassVar[type[models.Model]] = ObjectTransition

    # --- the table ------------------------------------------------------------------------------------

    def find_step(self, state: str, action: str, outcome: str = "") -> Step | None:
        for step in self.steps:
            if step.action == action and state in step.sources and (not step.outcome or step.outcome == outcome):
                return step
        return None

    def steps_for(self, action: str) -> list[Step]:
        return [s for s in self.steps if s.action == action]

    def available(self, state: str, roles: Iterable[str] | str) -> list[Step]:
        wanted = {roles} if isinstance(roles, str) else set(roles)
        return [s for s in self.steps if state in s.sources and s.roles & wanted]

    def table(self) -> dict[str, Any]:
        """The published form (``GET /api/workflows/<name>``, ``docs/workflows.md``)."""
        return {
            "name": self.name,
            "label": str(self.label),
            "model": self.model._meta.label_lower,
            "initial": self.initial,
            "states": [
                {
                    "state": s.value,
                    "label": str(s.label),
                    "open": s.value in self.open_states,
                    "limit": _limit_text(self.limits.get(s.value)),
                }
                for s in self.states
            ],
            "steps": [
                {
                    "action": s.action,
                    "label": _label(self.actions, s.action),
                    "outcome": s.outcome,
                    "from": sorted(s.sources),
                    "to": s.target or "(unchanged)",
                    "roles": sorted(s.roles),
                    "needs_reason": s.needs_reason,
                    "needs_photo": s.needs_photo,
                    "scope": s.scope,
                    "counts_as": s.counts_as,
                }
                for s in self.steps
            ],
        }

    def markdown(self) -> str:
        lines = [
            f"### {self.label} (`{self.name}`, {self.model._meta.label})",
            "",
            "| From | Action | Outcome | To | Who | Needs | Counts as |",
            "|---|---|---|---|---|---|---|",
        ]
        for s in self.steps:
            needs = ", ".join(n for n, on in (("reason", s.needs_reason), ("photo", s.needs_photo)) if on)
            scope = f" ({s.scope})" if s.scope else ""
            lines.append(
                f"| {', '.join(sorted(s.sources))} | {s.action} | {s.outcome} | {s.target or '(unchanged)'} | "
                f"{', '.join(sorted(s.roles))}{scope} | {needs} | {s.counts_as} |"
            )
        return "\n".join(lines) + "\n"

    # --- what a subclass may change ----------------------------------------------------------------

    def lock(self, ref: Any) -> Any:
        pk = ref.pk if isinstance(ref, models.Model) else ref
        try:
            return self.model._default_manager.select_for_update().get(pk=pk)
        except (ObjectDoesNotExist, ValueError, TypeError) as exc:
            raise NotFound(gettext("%(name)s %(ref)s 不存在") % {"name": self.name, "ref": ref}) from exc

    def ref(self, obj: Any) -> str:
        return str(obj.pk)

    def precheck(self, data: Any) -> None:
        """Validation before the transaction (photos are decoded here)."""

    def check(self, step: Step, obj: Any, data: Any, acting: Acting, role: str) -> None:
        if step.needs_reason and not (data.reason.strip() or data.note.strip()):
            raise Invalid(gettext("请填写原因"), code="reason_required")
        if step.needs_photo and len(data.photos) < 1:
            raise Invalid(gettext("需要至少1张照片"), code="photo_required")
        if len(data.note) > 2000:
            raise Invalid(gettext("说明不能超过2000字"), code="note_too_long")

    def due(self, obj: Any, state: str, now: datetime) -> datetime | None:
        limit = self.limits.get(state)
        if limit is None:
            return None
        from jingwu.workcal.services import get_calendar

        return get_calendar().add_limit(now, limit)

    def due_on_stay(self, obj: Any, state: str, before: datetime | None) -> datetime | None:
        """The deadline after a step that keeps the state (a request, an escalation): unchanged by default."""
        return before

    def new_record(self, obj: Any, **fields: Any) -> Any:
        return ObjectTransition(workflow=self.name, object_id=str(obj.pk), **fields)

    def records(self, obj: Any) -> models.QuerySet[Any]:
        return ObjectTransition.objects.filter(workflow=self.name, object_id=str(obj.pk))

    def is_same_object(self, record: Any, obj: Any) -> bool:
        return bool(record.workflow == self.name and record.object_id == str(obj.pk))

    def after_step(self, obj: Any, record: Any, data: Any, acting: Acting, now: datetime) -> None:
        """After the rows are written, inside the transaction (photos, domain rows)."""

    def change_extra(self, obj: Any) -> dict[str, Any]:
        return {}

    def announce(self, obj: Any, record: Any, change: Change) -> None:
        send_after_commit("workflow_changed", self.model, change)


_registry: dict[str, Workflow] = {}


def register(workflow: Workflow) -> Workflow:
    _registry[workflow.name] = workflow
    return workflow


def get(name: str) -> Workflow:
    try:
        return _registry[name]
    except KeyError as exc:
        raise NotFound(gettext("没有流程 %(name)s") % {"name": name}) from exc


def all_workflows() -> list[Workflow]:
    return sorted(_registry.values(), key=lambda w: (w.name != "case", w.name))


def for_model(model: type[models.Model]) -> Workflow:
    for wf in _registry.values():
        if wf.model is model:
            return wf
    raise LookupError(f"no workflow is registered for {model._meta.label}")


def _label(choices: type[models.TextChoices], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _limit_text(limit: Limit | None) -> str | None:
    return f"{limit.value} {limit.unit.value}" if limit else None


def perform(
    ref: Any, action: str, *, actor: Any, version: int, data: Any = None, workflow: Workflow | str | None = None
) -> Any:
    """Take one step of ``workflow`` (by default the one registered for ``ref``'s model) on one object."""
    wf = get(workflow) if isinstance(workflow, str) else workflow
    if wf is None:
        if not isinstance(ref, models.Model):
            raise TypeError("perform() needs the workflow when given a key rather than an object")
        wf = for_model(type(ref))
    data = data if data is not None else StepInput()
    if action not in wf.actions.values or action in wf.not_steps:
        raise Invalid(gettext("未知动作 %(action)s") % {"action": repr(action)}, code="unknown_action")
    acting = resolve(actor)
    if action in wf.outcomes and data.outcome not in wf.outcomes[action]:
        raise Invalid(
            gettext("outcome 必须是 %(outcomes)s") % {"outcomes": "/".join(wf.outcomes[action])}, code="invalid_outcome"
        )
    raw_key = (data.client_key or "").strip() or None
    if raw_key is not None and len(raw_key) > 64:
        raise Invalid(gettext("幂等键最长64个字符"), code="invalid_key")
    client_key = acting.key(raw_key)
    for name in ("note", "reason", "public_note", "outcome"):
        textlib.check(getattr(data, name, "") or "", name)
    wf.precheck(data)
    with transaction.atomic():
        obj = wf.lock(ref)
        if client_key is not None:
            done: Any = wf.transition_model._default_manager.filter(client_key=client_key).first()
            if done is not None:
                if not wf.is_same_object(done, obj) or done.action != action:
                    raise Conflict(gettext("该幂等键已被使用"), code="key_reused")
                return obj  # a retry of a step that already happened
        role = acting.role_for(r for s in wf.steps_for(action) for r in s.roles)
        if role is None:
            raise Forbidden(
                gettext("角色 %(role)s 不能执行 %(action)s") % {"role": acting.role, "action": action},
                code="forbidden_role",
            )
        if obj.version != version:
            raise Conflict(
                gettext("已被他人处理，请刷新后重试"),
                details={"current_version": obj.version, "status": getattr(obj, wf.state_field)},
            )
        state = getattr(obj, wf.state_field)
        step = wf.find_step(state, action, data.outcome)
        if step is None:
            raise InvalidState(
                gettext("状态 %(state)s 不能执行 %(action)s") % {"state": state, "action": action},
                details={"status": state},
            )
        role = acting.role_for(step.roles)
        if role is None:
            raise Forbidden(
                gettext("角色 %(role)s 不能执行 %(action)s") % {"role": acting.role, "action": action},
                code="forbidden_role",
            )
        _check_system(wf, step, obj, acting, role)
        if step.scope:
            wf.scopes[step.scope](obj, acting)
        wf.check(step, obj, data, acting, role)

        now = clock.now()
        before = getattr(obj, "due_at", None)
        target = step.target_from(state)
        record = wf.new_record(
            obj,
            action=action,
            outcome=data.outcome,
            from_state=state,
            to_state=target,
            actor=acting.user if acting.user_id else None,
            actor_name=acting.name[:64],
            role=role,
            at=now,
            note=data.note.strip(),
            reason=data.reason.strip()[:32],
            public_note=data.public_note.strip()[:500],
            deadline_before=before,
            client_key=client_key,
        )
        if target != state and before is not None:
            record.on_time = now <= before
        hook = wf.hooks.get(action)
        if hook is not None:
            hook(obj, data, now, acting, role, record)
        setattr(obj, wf.state_field, target)
        if hasattr(obj, "due_at"):
            if target != state:
                obj.due_at = wf.due(obj, target, now) if target in wf.open_states else None
            else:
                obj.due_at = wf.due_on_stay(obj, state, before)
            record.deadline_after = obj.due_at
        obj.version += 1
        if hasattr(obj, "updated_at"):
            obj.updated_at = now
        obj.save()
        record.seq = (wf.records(obj).aggregate(m=Max("seq"))["m"] or 0) + 1
        record.save()
        wf.after_step(obj, record, data, acting, now)
        audit.record(
            f"{wf.name}.{action}",
            wf.name,
            wf.ref(obj),
            actor=acting.user,
            role=role,
            data={
                "from": state,
                "to": target,
                "version": obj.version,
                **({"outcome": data.outcome} if data.outcome else {}),
                **({"system": acting.system.key} if acting.system else {}),
            },
        )
        wf.announce(obj, record, change_for(wf, obj, record, acting))
    return obj


def describe(wf: Workflow, obj: Any, roles: Iterable[str]) -> dict[str, Any]:
    """An object as the generic API shows it: state, version, deadline, timeline and the steps open to
    these roles. A domain's own API shows more; this is what every workflow has."""
    state = getattr(obj, wf.state_field)
    records = wf.records(obj).order_by("seq")
    return {
        "workflow": wf.name,
        "id": str(getattr(obj, wf.lookup_field)),
        "state": state,
        "state_label": _label(wf.states, state),
        "version": obj.version,
        "due_at": getattr(obj, "due_at", None),
        "timeline": [
            {
                "seq": r.seq,
                "action": r.action,
                "outcome": r.outcome,
                "from_state": r.from_state,
                "to_state": r.to_state,
                "actor_name": r.actor_name,
                "role": r.role,
                "at": r.at,
                "note": r.note,
            }
            for r in records
        ],
        "actions": [
            {"action": s.action, "outcome": s.outcome, "label": _label(wf.actions, s.action)}
            for s in wf.available(state, tuple(roles))
        ],
    }


def _check_system(wf: Workflow, step: Step, obj: Any, acting: Acting, role: str) -> None:
    if role != Role.SYSTEM:
        return
    system = acting.system
    if system is None or not system.may(wf.name, step.action):
        who = system.key if system else acting.name
        raise Forbidden(
            gettext("系统 %(who)s 不能执行 %(action)s") % {"who": who, "action": step.action}, code="forbidden_role"
        )
    if system.own_only and wf.raised_by(obj) != acting.user_id:
        raise Forbidden(
            gettext("系统 %(key)s 只能处理自己发起的对象") % {"key": system.key},
            code="not_raised_by_you",
        )


def change_for(wf: Workflow, obj: Any, record: Any, acting: Acting) -> Change:
    extra = wf.change_extra(obj)
    return Change(
        workflow=wf.name,
        kind=obj._meta.label_lower,
        object_id=str(obj.pk),
        ref=wf.ref(obj),
        action=record.action,
        outcome=record.outcome,
        from_state=record.from_state,
        to_state=record.to_state,
        actor=acting.user.get_username() if acting.user_id else "",
        actor_name=acting.name,
        role=record.role,
        at=record.at.isoformat(),
        version=obj.version,
        transition_id=record.pk,
        origin_kind=extra.pop("origin_kind", ""),
        origin_id=extra.pop("origin_id", ""),
        extra=extra,
    )
