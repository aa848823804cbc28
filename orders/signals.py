"""Extension point through which other apps learn about order events (STYLE §1).

`order_event_recorded` is sent inside the transaction that records the event, so a
receiver's writes (e.g. a Discussion's automatic message) commit or roll back with it.
Receivers get `event` (an OrderEvent); the orders app never imports its receivers.
"""

from django.dispatch import Signal

order_event_recorded = Signal()
