"""Events other domains subscribe to, sent after the transaction commits.

``case_changed(case_id, transition_id, action, to_state)``: safety, IoT and supervision modules follow
the cases they created through this, without the engine knowing them.
"""

from django.dispatch import Signal

case_changed = Signal()
