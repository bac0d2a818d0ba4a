from __future__ import annotations

from typing import Any

from jingwu.cases import engine, services
from jingwu.cases.events import Change
from jingwu.cases.models import Case
from jingwu.lib.worktime import Limit, LimitUnit
from jingwu.org import actors
from jingwu.org.choices import Role

from .models import Beacon, BeaconAction, BeaconState

S, A = BeaconState, BeaconAction

BEACON_ACTOR = actors.register(
    actors.SystemActor(
        "toy_beacon",
        "测试信标",
        "iot",
        steps=frozenset({"beacon:clear", "beacon:reopen", "case:void"}),
        start_states=frozenset({"to_file"}),
    )
)


def _h_clear(obj: Any, data: Any, now: Any, acting: Any, role: str, record: Any) -> None:
    record.data = {"cleared_by": acting.name}


BEACON = engine.register(
    engine.Workflow(
        name="beacon",
        label="测试信标",
        model=Beacon,
        states=BeaconState,
        actions=BeaconAction,
        steps=(
            engine.Step(A.ACKNOWLEDGE, engine.states(S.RAISED), S.ACKNOWLEDGED, engine.states(Role.OPERATOR)),
            engine.Step(
                A.CLEAR,
                engine.states(S.RAISED, S.ACKNOWLEDGED),
                S.CLEARED,
                engine.states(Role.OPERATOR, Role.SYSTEM),
                needs_reason=True,
            ),
            engine.Step(A.REOPEN, engine.states(S.CLEARED), S.RAISED, engine.states(Role.SYSTEM)),
        ),
        open_states=engine.states(S.RAISED, S.ACKNOWLEDGED),
        initial=S.RAISED,
        hooks={A.CLEAR: _h_clear},
        limits={S.RAISED: Limit(10, LimitUnit.CONTINUOUS_HOURS)},
        raised_by=lambda beacon: beacon.raised_by_id,
    )
)


def raise_beacon(name: str, lon: float, lat: float) -> tuple[Beacon, Case]:
    """The domain's own service: its object, then the case it raises through the engine's services."""
    user = actors.system_user(BEACON_ACTOR)
    beacon = Beacon.objects.create(name=name, raised_by=user)
    result = services.report_case(
        actor=BEACON_ACTOR,
        lon=lon,
        lat=lat,
        description=f"{name} 告警",
        category="matter:90002",
        origin=beacon,
        start="to_file",
        start_reason="设备告警经规则确认",
        client_key=f"beacon-{beacon.pk}",
    )
    return beacon, result.case


RECEIVED: list[Change] = []


def follow_case(sender: Any, change: Change, **kwargs: Any) -> None:
    """Every step of a case this domain raised lands on its object, without a query for the case."""
    RECEIVED.append(change)
    if change.origin_kind == "toy.beacon":
        Beacon.objects.filter(pk=int(change.origin_id)).update(case_state=change.to_state)


def on_beacon_step(sender: Any, change: Change, **kwargs: Any) -> None:
    """A beacon that clears before its case is filed voids its own case."""
    if change.workflow != "beacon" or change.action != A.CLEAR:
        return
    case = Case.objects.filter(origin_kind="toy.beacon", origin_id=change.object_id).first()
    if case is None or case.status not in ("reported", "to_file"):
        return
    services.perform(
        case.pk,
        "void",
        actor=BEACON_ACTOR,
        version=case.version,
        data=services.ActionInput(
            reason="cleared", note="设备告警已解除", client_key=f"beacon-void-{change.object_id}"
        ),
    )
