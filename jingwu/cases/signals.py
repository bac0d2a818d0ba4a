"""Events other domains subscribe to, sent after the transaction commits.

``case_changed(change=Change, case_id, transition_id, action, to_state)`` for every step of a case, and
``workflow_changed(change=Change)`` for every step of any workflow (cases included). A ``Change`` carries
what a receiver needs without a query. Receivers are isolated (``cases.events``): one that raises is
logged and retried by the task worker, and never turns a committed action into an error.
"""

from django.dispatch import Signal

case_changed = Signal()
workflow_changed = Signal()
