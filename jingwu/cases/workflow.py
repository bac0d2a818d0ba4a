"""The loop as one table: (state, action[, outcome]) → state, who may take it, what it needs.

This table is the only statement of the case workflow. ``cases.services`` makes it the ``case`` workflow of
the generic engine (``cases.engine``), the API publishes it (``GET /api/workflow`` and
``/api/workflows/case``) and ``jingwu workflow-diagram`` draws it for ``docs/``.
"""

from __future__ import annotations

from jingwu.org.choices import Role

from .choices import OPEN_STATES, Action, State
from .engine import Step

R = Role
S = State
A = Action


def _s(*states: State) -> frozenset[str]:
    return frozenset(states)


def _r(*roles: Role) -> frozenset[str]:
    return frozenset(roles)


STEPS: tuple[Step, ...] = (
    # A petition clerk (信访专员) takes the centre's steps (受理, 不予受理, 立案, 交办, 审核答复, 办结, 复查重办) on
    # petitions and deputies' suggestions only; ``cases.services`` refuses them on any other kind of case.
    Step(A.ACCEPT, _s(S.REPORTED), S.TO_FILE, _r(R.OPERATOR, R.PETITION_CLERK)),
    Step(A.SEND_TO_VERIFY, _s(S.REPORTED), S.VERIFYING, _r(R.OPERATOR)),
    Step(
        A.VERIFY,
        _s(S.VERIFYING),
        S.TO_FILE,
        _r(R.GRID_WORKER),
        outcome="confirmed",
        needs_photo=True,
        scope="grid",
        counts_as="按时核实",
    ),
    Step(
        A.VERIFY,
        _s(S.VERIFYING),
        S.VOIDED,
        _r(R.GRID_WORKER),
        outcome="not_found",
        needs_reason=True,
        scope="grid",
        counts_as="按时核实",
    ),
    # An operator may void obvious spam only; the service enforces reason == "spam" for operators. A system
    # actor allowed to void (an alarm that clears) voids only the cases it raised.
    Step(
        A.VOID,
        _s(S.REPORTED, S.TO_FILE),
        S.VOIDED,
        _r(R.SHIFT_LEAD, R.OPERATOR, R.SYSTEM, R.PETITION_CLERK),
        needs_reason=True,
        counts_as="作废数",
    ),
    # A system actor voids a case it raised at a later stage too, when a person found its cause false (a fire
    # alarm confirmed as 误报): the reason is recorded and the case counts as voided, not handled.
    Step(
        A.VOID,
        _s(S.TO_DISPATCH, S.HANDLING, S.RETURNED),
        S.VOIDED,
        _r(R.SYSTEM),
        needs_reason=True,
        counts_as="作废数",
    ),
    Step(A.FILE, _s(S.TO_FILE), S.TO_DISPATCH, _r(R.SHIFT_LEAD, R.PETITION_CLERK), counts_as="立案数"),
    # A system actor dispatches where its registration allows it (a fire alarm goes to the fire station at once,
    # to the department the 权责清单 names).
    Step(
        A.DISPATCH,
        _s(S.TO_DISPATCH, S.RETURNED),
        S.HANDLING,
        _r(R.DISPATCHER, R.SYSTEM, R.PETITION_CLERK),
        counts_as="派遣数",
    ),
    Step(
        A.RETURN,
        _s(S.HANDLING),
        S.RETURNED,
        _r(R.HANDLER),
        needs_reason=True,
        scope="department",
        counts_as="回退(准确派遣率)",
    ),
    Step(A.REQUEST_EXTENSION, _s(S.HANDLING), S.HANDLING, _r(R.HANDLER), needs_reason=True, scope="department"),
    # Leaders approve any extension; a shift lead only the first (the service enforces that).
    Step(A.APPROVE_EXTENSION, _s(S.HANDLING), S.HANDLING, _r(R.SHIFT_LEAD, R.LEADER)),
    Step(A.DENY_EXTENSION, _s(S.HANDLING), S.HANDLING, _r(R.SHIFT_LEAD, R.LEADER), needs_reason=True),
    Step(
        A.FEEDBACK, _s(S.HANDLING), S.TO_CHECK, _r(R.HANDLER), needs_photo=True, scope="department", counts_as="处置数"
    ),
    # 核查 by the grid's worker; for a case a domain raised, also by whom it names (``cases.origins``): a
    # hazard's 复查 is done by the inspectors, a petition's reply is checked by the petition clerk, an audit
    # finding's rectification by the supervising office (督查员).
    Step(
        A.CHECK,
        _s(S.TO_CHECK),
        S.TO_CLOSE,
        _r(R.GRID_WORKER, R.INSPECTOR, R.PETITION_CLERK, R.SUPERVISOR),
        outcome="pass",
        needs_photo=True,
        scope="checker",
        counts_as="按时核查",
    ),
    Step(
        A.CHECK,
        _s(S.TO_CHECK),
        S.HANDLING,
        _r(R.GRID_WORKER, R.INSPECTOR, R.PETITION_CLERK, R.SUPERVISOR),
        outcome="fail",
        needs_reason=True,
        scope="checker",
        counts_as="返工数",
    ),
    Step(A.CLOSE, _s(S.TO_CLOSE), S.CLOSED, _r(R.SHIFT_LEAD, R.PETITION_CLERK), counts_as="结案数"),
    Step(A.SUSPEND, _s(S.HANDLING), S.SUSPENDED, _r(R.LEADER), needs_reason=True),
    Step(A.RESUME, _s(S.SUSPENDED), S.HANDLING, _r(R.LEADER)),
    Step(
        A.SELF_RESOLVE,
        _s(S.REPORTED, S.TO_FILE),
        S.CLOSED,
        _r(R.GRID_WORKER),
        needs_photo=True,
        scope="reporter",
        counts_as="结案数",
    ),
    Step(A.MERGE, frozenset(OPEN_STATES), S.MERGED, _r(R.OPERATOR, R.SHIFT_LEAD), needs_reason=False),
    # 指定承办人: the lead department names the person who carries the case; 协办反馈: a supporting department
    # gives its part. Neither moves the case or its deadline.
    Step(A.ASSIGN, _s(S.HANDLING), "", _r(R.HANDLER), scope="department"),
    Step(A.SUPPORT_REPLY, _s(S.HANDLING), "", _r(R.HANDLER), needs_reason=True, scope="support"),
    # 催办: a reminder to the department or grid worker who holds the case, shown to them first; the deadline
    # stays as it is.
    Step(
        A.URGE,
        _s(S.HANDLING, S.VERIFYING, S.TO_CHECK),
        "",
        _r(R.LEADER, R.SHIFT_LEAD, R.SUPERVISOR),
        needs_reason=True,
        counts_as="催办数",
    ),
    # 回访 after a 不满意 rating: the call is recorded and the case stays closed, or (a shift lead) it is reopened
    # for dispatch. Offered only while a 不满意 waits for its call (the service checks).
    Step(
        A.REVISIT,
        _s(S.CLOSED),
        S.CLOSED,
        _r(R.OPERATOR, R.SHIFT_LEAD, R.PETITION_CLERK),
        outcome="explained",
        needs_reason=True,
    ),
    Step(
        A.REVISIT,
        _s(S.CLOSED),
        S.TO_DISPATCH,
        _r(R.SHIFT_LEAD, R.PETITION_CLERK),
        outcome="reopen",
        needs_reason=True,
        counts_as="回访重办",
    ),
    # 督办: the scheduler (or a leader) escalates a late case; the state and its deadline stay as they are.
    Step(A.ESCALATE, frozenset(OPEN_STATES), "", _r(R.SYSTEM, R.LEADER), needs_reason=True, counts_as="督办数"),
)

# Who may report, and the state a report starts in (a grid worker in their own grid skips 受理/核实).
REPORT_ROLES = _r(
    R.GRID_WORKER,
    R.PUBLIC,
    R.OPERATOR,
    R.SHIFT_LEAD,
    R.SYSTEM,
    R.INSPECTOR,
    R.RIVER_CHIEF,
    R.PETITION_CLERK,
    R.DEPUTY,
)

# Where a case may start other than 待受理, and who may start it there (the reason is recorded):
# a grid worker in their own grid, or a verified inspection finding → 待立案; a task from above (上级交办)
# entered by the shift lead, or a hazard an inspection files at once → 待派遣. System actors may start where
# their registration says (``SystemActor.start_states``).
START_ROLES: dict[str, frozenset[str]] = {
    S.TO_FILE: _r(R.SHIFT_LEAD, R.INSPECTOR, R.RIVER_CHIEF),
    S.TO_DISPATCH: _r(R.SHIFT_LEAD),
}

# The source of a report follows from who reports it; these roles may name the channel it came in by.
SOURCES_BY_ROLE: dict[str, tuple[str, ...]] = {
    R.GRID_WORKER: ("grid_worker",),
    R.PUBLIC: ("public",),
    R.OPERATOR: ("hotline", "superior", "media", "petition", "public"),
    R.SHIFT_LEAD: ("superior", "hotline", "media", "petition", "public"),
    R.INSPECTOR: ("inspection",),
    R.RIVER_CHIEF: ("inspection",),
    R.PETITION_CLERK: ("petition",),
    R.DEPUTY: ("petition",),
}

ACTIONS_WITH_OUTCOME: dict[str, tuple[str, ...]] = {
    A.VERIFY: ("confirmed", "not_found"),
    A.CHECK: ("pass", "fail"),
    A.REVISIT: ("explained", "reopen"),
}


def find_step(state: str, action: str, outcome: str = "") -> Step | None:
    for step in STEPS:
        if step.action == action and state in step.sources and (not step.outcome or step.outcome == outcome):
            return step
    return None


def steps_for(action: str) -> list[Step]:
    return [s for s in STEPS if s.action == action]


def available(state: str, roles: str | tuple[str, ...]) -> list[Step]:
    wanted = {roles} if isinstance(roles, str) else set(roles)
    return [s for s in STEPS if state in s.sources and s.roles & wanted]


def mermaid() -> str:
    """The table as a Mermaid state diagram, for docs/workflow.md."""
    lines = ["stateDiagram-v2", "    [*] --> reported: report", "    [*] --> to_file: report (grid worker)"]
    for step in STEPS:
        label = step.action + (f" ({step.outcome})" if step.outcome else "")
        roles = "/".join(sorted(step.roles))
        every_open = step.sources == OPEN_STATES
        for src in sorted(step.sources):
            if every_open and src != S.REPORTED:
                continue
            source = "open" if every_open else src
            lines.append(f"    {source} --> {step.target_from(source)}: {label} [{roles}]")
    lines += ["    closed --> [*]", "    voided --> [*]", "    merged --> [*]"]
    return "\n".join(lines)


def markdown() -> str:
    """The table and its diagram as Markdown; docs/workflow.md carries this text (a test keeps it current)."""
    lines = [
        "| From | Action | Outcome | To | Who | Needs | Counts as |",
        "|---|---|---|---|---|---|---|",
        "| — | report | | reported, or to_file for a grid worker in own grid | "
        + ", ".join(sorted(REPORT_ROLES))
        + " | idempotency key | 上报数 |",
        "| — | report (start further along) | | "
        + "; ".join(f"{state}: {', '.join(sorted(roles))}" for state, roles in START_ROLES.items())
        + "; system actors as registered | reason | |",
    ]
    for s in STEPS:
        needs = ", ".join(n for n, on in (("reason", s.needs_reason), ("photo", s.needs_photo)) if on)
        scope = f" ({s.scope})" if s.scope else ""
        sources = "any open" if s.sources == OPEN_STATES else ", ".join(sorted(s.sources))
        who = ", ".join(sorted(s.roles)) + scope
        target = s.target or "(unchanged)"
        lines.append(f"| {sources} | {s.action} | {s.outcome} | {target} | {who} | {needs} | {s.counts_as} |")
    return "\n".join(lines) + "\n\n```mermaid\n" + mermaid() + "\n```\n"
