"""Drive cases into any state through the services, as the real actors."""

from __future__ import annotations

from typing import Any

from jingwu.cases import services
from jingwu.cases.models import Case

from .conftest import IN_A, jpeg


def act(case: Case, action: str, actor: Any, **kw: Any) -> Case:
    case.refresh_from_db()
    return services.perform(case.pk, action, actor=actor, version=case.version, data=services.ActionInput(**kw))


def public_report(cast: Any, **kw: Any) -> Case:
    args = {"lon": IN_A[0], "lat": IN_A[1], "description": "路边暴露垃圾", "category": "matter:06010"} | kw
    return services.report_case(actor=cast["citizen"], **args).case


def worker_report(cast: Any, **kw: Any) -> Case:
    args = {
        "lon": IN_A[0],
        "lat": IN_A[1],
        "description": "占道经营",
        "category": "matter:09006",
        "photos": [jpeg()],
    } | kw
    return services.report_case(actor=cast["gw_a"], **args).case


def public_closed(cast: Any, **kw: Any) -> Case:
    """A citizen's report taken all the way to 已结案 (theirs to rate)."""
    c = act(public_report(cast, **kw), "send_to_verify", cast["operator"])
    c = act(c, "verify", cast["gw_a"], outcome="confirmed", photos=[jpeg()])
    c = act(c, "file", cast["shiftlead"])
    c = act(c, "dispatch", cast["dispatcher"], department="W07")
    c = act(c, "feedback", cast["h_env"], photos=[jpeg()])
    c = act(c, "check", cast["gw_a"], outcome="pass", photos=[jpeg()])
    return act(c, "close", cast["shiftlead"])


def to_state(cast: Any, state: str) -> Case:
    """A fresh case (in grid A1, category 暴露垃圾 → 环卫公司) brought to ``state``."""
    if state == "closed_unsatisfied":  # closed, and its reporter said 不满意: waiting for 回访
        c = public_closed(cast)
        services.rate_case(c.pk, rating="unsatisfied", note="仍有垃圾")
        c.refresh_from_db()
        return c
    if state == "reported":
        return public_report(cast)
    if state == "verifying":
        return act(public_report(cast), "send_to_verify", cast["operator"])
    c = worker_report(cast, category="matter:06010")
    if state == "to_file":
        return c
    c = act(c, "file", cast["shiftlead"])
    if state == "to_dispatch":
        return c
    if state == "handling_supported":  # led by 城建办, 环卫公司 supporting
        return act(c, "dispatch", cast["dispatcher"], department="B05", supporting=["W07"])
    c = act(c, "dispatch", cast["dispatcher"])
    if state == "handling":
        return c
    if state == "handling_ext":
        return act(c, "request_extension", cast["h_env"], reason="rain", extension=services.Limit(1, "work_days"))
    if state == "returned":
        return act(c, "return", cast["h_env"], reason="not_ours")
    if state == "suspended":
        return act(c, "suspend", cast["leader"], reason="long_term")
    c = act(c, "feedback", cast["h_env"], photos=[jpeg()])
    if state == "to_check":
        return c
    c = act(c, "check", cast["gw_a"], outcome="pass", photos=[jpeg()])
    if state == "to_close":
        return c

    raise ValueError(state)
