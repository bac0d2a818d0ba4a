"""Rules, alarms and the cases they raise.

An alarm lives in the engine's generic workflow (``cases.engine``: lock, version, transition row, audit row,
event): 告警中 → 已确认 → 已解除, and 复发 when it comes back soon after a clear. One alarm is open per device and
rule (a partial unique index decides between processes); further exceedances count on it. An alarm whose rule
names a category raises a case through ``cases.services`` at 待派遣 (or dispatched at once, for a fire), with a
deadline in minutes of continuous time counted from the alarm; a false alarm confirmed by a person voids that
case with the reason, and a clear is noted on it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_noop

from jingwu.cases import engine, origins
from jingwu.cases import services as cases
from jingwu.cases.choices import OPEN_STATES, State
from jingwu.cases.models import Case
from jingwu.lib import clock
from jingwu.org import actors
from jingwu.org.choices import Role

from .access import ACKNOWLEDGERS, CLEARERS
from .choices import (
    RESTORABLE,
    AlarmAction,
    AlarmState,
    DeviceState,
    DeviceType,
    EventType,
    ReadingKind,
    RuleKind,
    Severity,
    Verdict,
)
from .models import Alarm, Device, Rule, Watch

if TYPE_CHECKING:
    from .ingest import Sample, Signal

log = logging.getLogger("jingwu.iot")
S, A = AlarmState, AlarmAction

# How long a person has to confirm an alarm, by severity (continuous time: alarms do not wait for Monday).
ACK_MINUTES = {Severity.CRITICAL: 5, Severity.MAJOR: 30, Severity.MINOR: 120}


ALARM = engine.register(
    engine.Workflow(
        name="alarm",
        label=gettext_noop("告警"),
        model=Alarm,
        states=AlarmState,
        actions=AlarmAction,
        steps=(
            engine.Step(
                A.ACKNOWLEDGE,
                engine.states(S.RAISED),
                S.ACKNOWLEDGED,
                frozenset(ACKNOWLEDGERS),
                counts_as="告警确认",
            ),
            # A fire panel reset (告警解除) before anyone looked: the finding (属实/误报) is still recorded, once.
            engine.Step(A.ACKNOWLEDGE, engine.states(S.CLEARED), "", frozenset(ACKNOWLEDGERS), counts_as="告警确认"),
            engine.Step(
                A.CLEAR,
                engine.states(S.RAISED, S.ACKNOWLEDGED),
                S.CLEARED,
                frozenset(CLEARERS | {Role.SYSTEM}),
                needs_reason=True,
                counts_as="告警解除",
            ),
            engine.Step(A.REOPEN, engine.states(S.CLEARED), S.RAISED, engine.states(Role.SYSTEM), counts_as="告警复发"),
        ),
        open_states=engine.states(S.RAISED, S.ACKNOWLEDGED),
        initial=S.RAISED,
        outcomes={A.ACKNOWLEDGE: tuple(Verdict.values)},
        raised_by=lambda alarm: alarm.raised_by_id,
        hooks={A.ACKNOWLEDGE: lambda alarm, data, now, acting, role, record: _once(alarm)},
    )
)


def _once(alarm: Alarm) -> None:
    if alarm.verdict:
        from jingwu.lib.errors import InvalidState

        raise InvalidState(gettext("该告警已确认"), details={"verdict": alarm.verdict})


# --- the rules, as the receivers hold them ------------------------------------------------------------------


@dataclass
class _Rules:
    loaded: float
    by_kind: dict[str, list[Rule]]


_cache: _Rules | None = None
RULES_TTL = 30.0


def active_rules(kind: str) -> list[Rule]:
    global _cache
    import time

    now = time.monotonic()
    if _cache is None or now - _cache.loaded > RULES_TTL:
        by_kind: dict[str, list[Rule]] = defaultdict(list)
        for rule in Rule.objects.filter(active=True).select_related("category"):
            by_kind[rule.kind].append(rule)
        _cache = _Rules(now, by_kind)
    return _cache.by_kind.get(kind, [])


def forget_rules() -> None:
    """Rules changed (admin, tests): read them again at the next batch."""
    global _cache
    _cache = None


# --- evaluation -----------------------------------------------------------------------------------------------


def _exceeds(rule: Rule, value: float | None, prev: tuple[datetime, float | None] | None, at: datetime) -> bool:
    if value is None:
        return False
    if rule.kind == RuleKind.THRESHOLD:
        return (rule.above is not None and value > rule.above) or (rule.below is not None and value < rule.below)
    if rule.kind == RuleKind.RATE and rule.rate is not None and prev is not None and prev[1] is not None:
        # Over at least a minute: between readings a second apart, a sensor's rounding step alone would look
        # like a fast change.
        minutes = (at - prev[0]).total_seconds() / 60
        return minutes >= 1 and abs(value - prev[1]) / minutes > rule.rate
    return False


class _Steps:
    """Each alarm step of a batch in its own savepoint: one that fails (a case that cannot be raised, a person
    acting on the same alarm at that moment) is logged and counted, and the batch's other alarms go on."""

    def __init__(self) -> None:
        self.touched: list[int] = []
        self.failed = 0

    def run(self, fn: Any, *args: Any, **kwargs: Any) -> Alarm | None:
        try:
            with transaction.atomic():
                alarm = fn(*args, **kwargs)
        except Exception:
            self.failed += 1
            log.exception("alarm step %s failed; the readings are stored", getattr(fn, "__name__", fn))
            return None
        if alarm is not None and fn is raise_alarm:
            self.touched.append(alarm.pk)
        return alarm


def evaluate(
    rows: Sequence[Sample],
    events: Sequence[Signal],
    back_online: Sequence[int],
    now: datetime,
    previous: dict[tuple[int, str], tuple[datetime, float | None]] | None = None,
) -> tuple[list[int], int]:
    """Run a stored batch through the rules: the alarms raised or repeated, and the steps that failed.
    ``previous``: for rate rules, each (device, factor)'s value before the batch (``rate_snapshot``)."""
    steps = _Steps()
    if back_online:
        for alarm in Alarm.objects.open().filter(device_id__in=back_online, rule__kind=RuleKind.OFFLINE):
            steps.run(clear, alarm, reason="online", note=gettext("设备恢复上报"), at=now)
    value_rules = active_rules(RuleKind.THRESHOLD) + active_rules(RuleKind.RATE)
    measured = [r for r in rows if r.kind in (ReadingKind.RTD, ReadingKind.MINUTE)]
    if value_rules and measured:
        with transaction.atomic():
            _evaluate_values(value_rules, measured, now, previous or {}, steps)
    if events:
        _evaluate_events(events, now, steps)
    hours = {(r.device_id, r.at) for r in rows if r.kind == ReadingKind.HOUR}
    if hours and active_rules(RuleKind.AQI):
        evaluate_aqi(sorted(hours), now, steps)
    return steps.touched, steps.failed


def rate_snapshot(rows: Sequence[Sample]) -> dict[tuple[int, str], tuple[datetime, float | None]]:
    """For rate rules, read before the batch is written: each (device, factor)'s latest value (one query)."""
    from .models import Latest

    codes = {r.code for r in active_rules(RuleKind.RATE)}
    wanted = {(r.device_id, r.code) for r in rows if r.code in codes}
    if not wanted:
        return {}
    found = Latest.objects.filter(device_id__in={d for d, _ in wanted}, code__in={c for _, c in wanted})
    return {
        (d, c): (at, v) for d, c, at, v in found.values_list("device_id", "code", "at", "value") if (d, c) in wanted
    }


def _horizons(devices: set[int], rules: Sequence[int]) -> dict[tuple[int, int], datetime]:
    """The data time each (device, rule) has been judged up to: its latest alarm's. Data at or before it is a
    resend (a station that missed our answer): it raises, repeats, reopens and clears nothing."""
    out: dict[tuple[int, int], datetime] = {}
    rows = Alarm.objects.filter(device_id__in=devices, rule_id__in=rules).values_list("device_id", "rule_id", "last_at")
    for device_id, rule_id, last_at in rows:
        key = (device_id, rule_id)
        if key not in out or out[key] < last_at:
            out[key] = last_at
    return out


def _evaluate_values(
    rules: list[Rule],
    rows: Sequence[Sample],
    now: datetime,
    previous: dict[tuple[int, str], tuple[datetime, float | None]],
    steps: _Steps,
) -> None:
    codes = {r.code for r in rules}
    rows = sorted((r for r in rows if r.code in codes), key=lambda r: r.at)
    if not rows:
        return
    types = dict(Device.objects.filter(id__in={r.device_id for r in rows}).values_list("id", "type"))
    pairs: dict[tuple[int, int], list[Sample]] = defaultdict(list)
    for r in rows:
        for rule in rules:
            if rule.code == r.code and rule.applies_to(types.get(r.device_id, ""), r.device_id):
                pairs[(r.device_id, rule.pk)].append(r)
    if not pairs:
        return
    by_id = {rule.pk: rule for rule in rules}
    devices = {d for d, _ in pairs}
    # Locked in one order (device, rule) by every receiver: two bridges judging the same device wait, not deadlock.
    watches = {
        (w.device_id, w.rule_id): w
        for w in Watch.objects.select_for_update()
        .filter(device_id__in=devices, rule_id__in=by_id)
        .order_by("device_id", "rule_id")
    }
    open_alarms = {
        (a.device_id, a.rule_id): a for a in Alarm.objects.open().filter(device_id__in=devices, rule_id__in=by_id)
    }
    horizons = _horizons(devices, list(by_id))
    for (device_id, rule_id), samples in sorted(pairs.items()):
        rule = by_id[rule_id]
        horizon = horizons.get((device_id, rule_id))
        samples = [s for s in samples if horizon is None or s.at > horizon]
        if not samples:
            continue
        watch = watches.get((device_id, rule_id)) or Watch(device_id=device_id, rule_id=rule_id)
        before = (watch.exceeding_since, watch.normal_since)
        prev = previous.get((device_id, rule.code))
        alarm: Alarm | None = open_alarms.get((device_id, rule_id))
        for s in samples:
            if _exceeds(rule, s.value, prev, s.at):
                new_episode = watch.exceeding_since is None
                watch.normal_since = None
                if new_episode:
                    watch.exceeding_since = s.at
                assert watch.exceeding_since is not None
                if (s.at - watch.exceeding_since).total_seconds() >= rule.duration:
                    alarm = steps.run(
                        raise_alarm,
                        device_id,
                        rule,
                        s.at,
                        value=s.value,
                        detail=_reading_text(rule, s),
                        repeat=new_episode,
                        since=watch.exceeding_since,
                    )
            else:
                watch.exceeding_since = None
                if alarm is not None and alarm.status != S.CLEARED:
                    if watch.normal_since is None:
                        watch.normal_since = s.at
                    if (s.at - watch.normal_since).total_seconds() >= rule.clear_after:
                        steps.run(clear, alarm, reason="normal", note=gettext("监测值恢复正常"), at=now)
                        alarm = None
                        watch.normal_since = None
            if prev is None or rule.kind != RuleKind.RATE or (s.at - prev[0]).total_seconds() >= 60:
                prev = (s.at, s.value)
        if (watch.exceeding_since, watch.normal_since) != before:
            if watch.pk is None:
                Watch.objects.bulk_create([watch], ignore_conflicts=True)
            else:
                watch.save(update_fields=["exceeding_since", "normal_since"])


def _reading_text(rule: Rule, s: Sample) -> str:
    """``非甲烷总烃 84.9 mg/m³（> 60）``: the factor by name, the value with its unit, the limit it broke."""
    from .factors import factor

    f = factor(rule.code)
    limit = f"> {rule.above:g}" if rule.above is not None and (s.value or 0) > rule.above else ""
    if not limit and rule.below is not None:
        limit = f"< {rule.below:g}"
    if rule.kind == RuleKind.RATE:
        limit = gettext("变化率超过 %(rate)g/分钟") % {"rate": rule.rate}
    return f"{f['name']} {s.value:g} {f['unit']}（{limit}）".replace(" （", "（")


def _evaluate_events(events: Sequence[Signal], now: datetime, steps: _Steps) -> None:
    rules = active_rules(RuleKind.EVENT)
    types = dict(Device.objects.filter(id__in={e.device_id for e in events}).values_list("id", "type"))
    for e in events:
        if e.type == EventType.FAULT:
            Device.objects.filter(pk=e.device_id).exclude(state=DeviceState.DISABLED).update(
                state=DeviceState.FAULT, state_since=now
            )
        if e.type == EventType.RESTORE:
            # A restore names what it restores (``of``); without it, it is a reset of the whole device.
            if e.of in ("", EventType.FAULT):
                Device.objects.filter(pk=e.device_id, state=DeviceState.FAULT).update(
                    state=DeviceState.ONLINE, state_since=now
                )
            restorable = [r.pk for r in rules if r.event in RESTORABLE and (not e.of or r.event == e.of)]
            for alarm in Alarm.objects.open().filter(device_id=e.device_id, rule_id__in=restorable):
                note = gettext("设备报告恢复正常：%(detail)s") % {"detail": e.detail}
                steps.run(clear, alarm, reason="restored", note=note, at=now)
            continue
        for rule in rules:
            if rule.event == e.type and rule.applies_to(types.get(e.device_id, ""), e.device_id):
                text = f"{EventType(e.type).label}：{e.detail}" if e.detail else str(EventType(e.type).label)
                steps.run(raise_alarm, e.device_id, rule, e.at, detail=text, repeat=True)


def evaluate_aqi(hours: Sequence[tuple[int, datetime]], now: datetime, steps: _Steps | None = None) -> list[int]:
    """AQI rules on air stations' hours (the station's hourly data, or the rollup's)."""
    from . import readings

    steps = steps or _Steps()
    rules = active_rules(RuleKind.AQI)
    if not rules:
        return []
    air = set(Device.objects.filter(id__in={d for d, _ in hours}, type=DeviceType.AIR).values_list("id", flat=True))
    horizons = _horizons(air, [r.pk for r in rules]) if air else {}
    for device_id, hour in hours:
        if device_id not in air:
            continue
        result = readings.hour_aqi(device_id, hour)
        if result is None or result.aqi is None or result.level is None:
            continue
        for rule in rules:
            if not rule.applies_to(DeviceType.AIR, device_id) or rule.aqi_level is None:
                continue
            horizon = horizons.get((device_id, rule.pk))
            if horizon is not None and hour <= horizon:
                continue  # an hour already judged, sent again
            if result.level.number >= rule.aqi_level:
                detail = f"AQI {result.aqi} {result.level.name}（{'、'.join(result.primary)}）"
                steps.run(raise_alarm, device_id, rule, hour, value=result.aqi, detail=detail, repeat=True)
            else:
                alarm = Alarm.objects.open().filter(device_id=device_id, rule=rule).first()
                if alarm is not None:
                    note = gettext("空气质量恢复：AQI %(aqi)s") % {"aqi": result.aqi}
                    steps.run(clear, alarm, reason="normal", note=note, at=now)
    return steps.touched


def check_offline(now: datetime | None = None) -> int:
    """Devices silent for longer than their rule allows go offline, with an alarm where a rule asks for one.
    A device never heard from is not offline: it has not been commissioned yet."""
    now = now or clock.now()
    rules = active_rules(RuleKind.OFFLINE)
    if not rules:
        return 0
    went = 0
    for device in Device.objects.filter(state__in=[DeviceState.ONLINE, DeviceState.FAULT], last_seen__isnull=False):
        for rule in rules:
            if not rule.applies_to(device.type, device.pk):
                continue
            silent = timedelta(seconds=device.interval * rule.offline_factor)
            assert device.last_seen is not None
            if now - device.last_seen <= silent:
                continue
            with transaction.atomic():
                changed = Device.objects.filter(pk=device.pk, state=device.state, last_seen=device.last_seen).update(
                    state=DeviceState.OFFLINE, state_since=now
                )
                if changed:
                    went += 1
                    minutes = int((now - device.last_seen).total_seconds() // 60)
                    raise_alarm(
                        device.pk,
                        rule,
                        now,
                        detail=gettext("已 %(m)s 分钟未上报（上报间隔 %(i)s 秒）")
                        % {"m": minutes, "i": device.interval},
                        repeat=True,
                    )
            break
    return went


# --- raising, clearing, acknowledging ----------------------------------------------------------------------------


def raise_alarm(
    device_id: int,
    rule: Rule,
    at: datetime,
    *,
    value: float | None = None,
    detail: str = "",
    repeat: bool = False,
    since: datetime | None = None,
) -> Alarm:
    """The open alarm for this device and rule: a new one, the last one reopened when the trouble came back
    (``since``) within the rule's ``rearm`` time of its clear (flapping), or the open one with this repeat
    counted (``repeat``)."""
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update().open().filter(device_id=device_id, rule=rule).first()
        if alarm is not None:
            return _repeat(alarm, at, value, detail, count=repeat)
        recent = (
            Alarm.objects.filter(
                device_id=device_id,
                rule=rule,
                status=S.CLEARED,
                cleared_at__gte=(since or at) - timedelta(seconds=rule.rearm),
            )
            .order_by("-cleared_at")
            .first()
        )
        if recent is not None:
            return _reopen(recent, at, value, detail)
        user = actors.system_user(actors.IOT)
        try:
            with transaction.atomic():
                alarm = Alarm.objects.create(
                    device_id=device_id,
                    rule=rule,
                    raised_by=user,
                    raised_at=at,
                    last_at=at,
                    value=value,
                    peak=value,
                    detail=detail[:200],
                    due_at=at + timedelta(minutes=ACK_MINUTES[Severity(rule.severity)]),
                )
        except IntegrityError:  # another receiver raised it a moment ago
            alarm = Alarm.objects.select_for_update().open().get(device_id=device_id, rule=rule)
            return _repeat(alarm, at, value, detail, count=repeat)
        _first_record(alarm, at)
        if rule.category_id is not None:
            _raise_case(alarm)
        log.info("alarm %s raised: device %s rule %s %s", alarm.pk, device_id, rule.pk, detail)
        return alarm


def _repeat(alarm: Alarm, at: datetime, value: float | None, detail: str, *, count: bool) -> Alarm:
    if at <= alarm.last_at:
        return alarm  # a resent message, or one older than what the alarm already knows
    alarm.last_at = at
    fields = ["last_at"]
    if count:
        alarm.count += 1
        fields.append("count")
    if value is not None:
        alarm.value = value
        if alarm.peak is None or abs(value) > abs(alarm.peak):
            alarm.peak = value
        fields += ["value", "peak"]
    if detail:
        alarm.detail = detail[:200]
        fields.append("detail")
    alarm.save(update_fields=fields)
    return alarm


def _first_record(alarm: Alarm, at: datetime) -> None:
    from jingwu.cases.models import ObjectTransition

    ObjectTransition.objects.create(
        workflow=ALARM.name,
        object_id=str(alarm.pk),
        seq=1,
        action="raise",
        from_state="",
        to_state=S.RAISED,
        actor=alarm.raised_by,
        actor_name=actors.IOT.name,
        role=Role.SYSTEM,
        at=at,
        note=alarm.detail,
        deadline_after=alarm.due_at,
    )


def _lock_case(alarm_id: int) -> None:
    """The alarm's case is locked before the alarm, as every step of a case locks the case and then (through
    ``follow``) the alarm: one order, no deadlock between a person acknowledging and a dispatcher dispatching."""
    case_id = Alarm.objects.filter(pk=alarm_id).values_list("case_id", flat=True).first()
    if case_id:
        list(Case.objects.select_for_update().filter(pk=case_id).values_list("pk", flat=True))


def _reopen(alarm: Alarm, at: datetime, value: float | None, detail: str) -> Alarm:
    _lock_case(alarm.pk)
    alarm = engine.perform(
        alarm.pk,
        A.REOPEN,
        actor=actors.IOT,
        version=alarm.version,
        data=engine.StepInput(note=detail, client_key=f"alarm-{alarm.pk}-reopen-{alarm.version}"),
        workflow=ALARM,
    )
    # A new episode: no finding yet, a new time to confirm it by, and its minutes counted from now.
    due = at + timedelta(minutes=ACK_MINUTES[Severity(alarm.rule.severity)])
    Alarm.objects.filter(pk=alarm.pk).update(cleared_at=None, verdict="", due_at=due, raised_at=at)
    alarm.cleared_at, alarm.verdict, alarm.due_at, alarm.raised_at = None, "", due, at
    alarm = _repeat(alarm, at, value, detail, count=True)
    case = Case.objects.filter(pk=alarm.case_id).first() if alarm.case_id else None
    if case is not None and case.status in OPEN_STATES:
        cases.add_note(case.pk, actor=actors.IOT, text=gettext("告警复发：%(d)s") % {"d": detail})
    elif alarm.rule.category_id is not None:
        _raise_case(alarm)
    return alarm


def clear(
    alarm: Alarm, *, reason: str, note: str, at: datetime, actor: Any = None, version: int | None = None
) -> Alarm:
    """告警解除: by the rules (the value back to normal, the device restored or online again) or by a person."""
    with transaction.atomic():
        who = actor or actors.IOT
        _lock_case(alarm.pk)
        alarm = engine.perform(
            alarm.pk,
            A.CLEAR,
            actor=who,
            version=alarm.version if version is None else version,
            data=engine.StepInput(reason=reason, note=note),
            workflow=ALARM,
        )
        Alarm.objects.filter(pk=alarm.pk).update(cleared_at=at)
        alarm.cleared_at = at
        _note_case(alarm, gettext("告警已解除：%(note)s") % {"note": note})
    return alarm


# Who may have a false alarm's case voided once it is dispatched: those who dispatch. An operator's 误报 at that
# stage is noted on the case for them.
VOIDERS = frozenset({Role.SHIFT_LEAD, Role.DISPATCHER})
VOIDABLE = frozenset({State.TO_DISPATCH, State.HANDLING, State.RETURNED})


def acknowledge(alarm_id: int, *, actor: Any, version: int, verdict: str, note: str = "") -> Alarm:
    """告警确认 by a person who looked: a false alarm (or a test) voids the alarm's case with that reason (once
    dispatched, only when a shift lead or dispatcher says so); otherwise the finding is noted on the case."""
    with transaction.atomic():
        _lock_case(alarm_id)
        alarm = engine.perform(
            alarm_id,
            A.ACKNOWLEDGE,
            actor=actor,
            version=version,
            data=engine.StepInput(outcome=verdict, note=note),
            workflow=ALARM,
        )
        Alarm.objects.filter(pk=alarm.pk).update(verdict=verdict)
        alarm.verdict = verdict
        case = Case.objects.select_for_update().filter(pk=alarm.case_id).first() if alarm.case_id else None
        if case is None or case.status not in OPEN_STATES:
            return alarm
        acting = actors.resolve(actor)
        who = acting.name
        label = Verdict(verdict).label
        may_void = case.status in VOIDABLE and (
            case.status == State.TO_DISPATCH or acting.role_for(VOIDERS) is not None
        )
        if verdict == Verdict.REAL:
            cases.add_note(
                case.pk, actor=actors.IOT, text=gettext("%(who)s 确认告警属实。%(note)s") % {"who": who, "note": note}
            )
        elif not may_void:
            text = gettext("%(who)s 确认为%(label)s：%(note)s（案件已在办理，请值班长或派遣员核定）")
            cases.add_note(case.pk, actor=actors.IOT, text=text % {"who": who, "label": label, "note": note})
        else:
            cases.perform(
                case.pk,
                "void",
                actor=actors.IOT,
                version=case.version,
                data=cases.ActionInput(
                    reason="false_alarm",
                    note=gettext("%(who)s 确认为%(label)s：%(note)s") % {"who": who, "label": label, "note": note},
                    client_key=f"alarm-{alarm.pk}-void-{case.pk}",
                ),
            )
    return alarm


def _note_case(alarm: Alarm, text: str) -> None:
    if not alarm.case_id:
        return
    case = Case.objects.filter(pk=alarm.case_id).only("status").first()
    if case is not None and case.status in OPEN_STATES:
        cases.add_note(case.pk, actor=actors.IOT, text=text)


# --- the case -------------------------------------------------------------------------------------------------------


def _raise_case(alarm: Alarm) -> None:
    rule, device = alarm.rule, Device.objects.select_related("place").get(pk=alarm.device_id)
    place = device.place.name if device.place else ""
    where = "，".join(p for p in (place, device.name, device.address) if p)
    n = Alarm.objects.filter(pk=alarm.pk).values_list("count", flat=True).first()
    result = cases.report_case(
        actor=actors.IOT,
        category=rule.category,
        description=f"【{rule.name}】{where}：{alarm.detail}",
        lon=device.lon if device.lon is not None else (device.place.lon if device.place else None),
        lat=device.lat if device.lat is not None else (device.place.lat if device.place else None),
        address=device.address or (device.place.address if device.place else ""),
        source_detail=f"{device.get_type_display()} {device.ident}"[:100],
        start=State.TO_DISPATCH,
        start_reason=gettext("设备告警经规则“%(rule)s”确认（告警 %(id)s）") % {"rule": rule.name, "id": alarm.pk},
        origin=alarm,
        client_key=f"alarm-{alarm.pk}-{n}",
    )
    case = result.case
    alarm.case = case
    alarm.case_status = case.status
    Alarm.objects.filter(pk=alarm.pk).update(case=case, case_status=case.status)
    if rule.dispatch:
        case = cases.perform(
            case.pk,
            "dispatch",
            actor=actors.IOT,
            version=case.version,
            data=cases.ActionInput(note=gettext("告警自动派遣"), client_key=f"alarm-{alarm.pk}-{n}-dispatch"),
        )
        Alarm.objects.filter(pk=alarm.pk).update(case_status=case.status)


def _deadline(case: Case, now: datetime) -> datetime | None:
    """The rule's minutes from the alarm's episode (a reopened alarm's case counts from its recurrence)."""
    alarm = Alarm.objects.select_related("rule").filter(pk=int(case.origin_id)).first()
    if alarm is None or alarm.rule.deadline_minutes is None:
        return None
    return max(alarm.raised_at, case.reported_at) + timedelta(minutes=alarm.rule.deadline_minutes)


def _follow(case: Case, transition: Any) -> None:
    Alarm.objects.filter(pk=int(case.origin_id)).update(case_status=case.status)


def _for_leaders(case: Case) -> bool:
    return Alarm.objects.filter(pk=int(case.origin_id), rule__event=EventType.FIRE).exists()


def _link(case: Case, user: Any) -> tuple[str, str] | None:
    return (gettext("告警 %(id)s") % {"id": case.origin_id}, f"/iot/alarms/{case.origin_id}/")


ORIGIN = origins.Origin(
    kind="iot.alarm", deadline=_deadline, follow=_follow, for_leaders=_for_leaders, link=_link, continuous=True
)
