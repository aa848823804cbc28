"""Extension point through which other apps learn about order events (STYLE §1).

`order_event_recorded` is sent inside the transaction that records the event, so a
receiver's writes (e.g. a Discussion's automatic message) commit or roll back with it.
Receivers get `event` (an OrderEvent); the orders app never imports its receivers.
"""

from django.dispatch import Signal

order_event_recorded = Signal()

# Sent by `manage.py seed_demo` after the orders' demo data exists, with `users` (login →
# User), `offers` (title → Offer) and `now`, so other apps add their demo data without
# orders importing them.
demo_data_seeded = Signal()
