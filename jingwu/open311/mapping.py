"""Our loop's states in Open311's vocabulary."""

from __future__ import annotations

from jingwu.cases.choices import State

# status: the standard's open/closed. 挂账 stays open: the problem is not solved.
STATUS = {s.value: ("closed" if s in (State.CLOSED, State.VOIDED, State.MERGED) else "open") for s in State}

# mySociety's extended statuses, for servicerequestupdates and ``extensions=true``.
EXTENDED = {
    State.REPORTED: "open",
    State.VERIFYING: "investigating",
    State.TO_FILE: "investigating",
    State.TO_DISPATCH: "action_scheduled",
    State.HANDLING: "in_progress",
    State.RETURNED: "internal_referral",
    State.TO_CHECK: "in_progress",
    State.TO_CLOSE: "fixed",
    State.SUSPENDED: "action_scheduled",
    State.CLOSED: "fixed",
    State.VOIDED: "no_further_action",
    State.MERGED: "duplicate",
}


def extended_status(state: str, reason: str = "") -> str:
    if state == State.VOIDED and reason in ("not_in_scope", "not_ours"):
        return "not_councils_responsibility"
    return EXTENDED.get(State(state), "open")
